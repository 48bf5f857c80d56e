// The service's modules: bytes by digest and compiled modules by (digest, memory cap), each bounded, least recently used out.

import { compileFlight } from '../module/compile.js';
import { sha256 } from '../module/digest.js';
import { Lru } from '../module/lru.js';

/**
 * Keeps compiled modules warm so a request pays neither download nor compile. Both maps are bounded: the memory cap is
 * the app author's parameter, so compiled variants are counted on their own (one module under 4096 different caps must
 * not hold 4096 compiled copies).
 */
export class ModuleStore {
  private readonly compiledModules: Lru<Promise<WebAssembly.Module>>;
  private readonly bytes: Lru<Uint8Array>;

  constructor(maxModules = 16, maxCompiled = maxModules) {
    this.compiledModules = new Lru(maxCompiled);
    this.bytes = new Lru(maxModules, (digest) => {
      for (const key of this.compiledModules.keys()) if (key.startsWith(`${digest}/`)) this.compiledModules.delete(key);
    });
  }

  has(digest: string): boolean {
    return this.bytes.has(digest);
  }

  // Why: bytes arrive once per digest; the digest is checked so a client cannot poison another's module.
  add(digest: string, bytes: Uint8Array): void {
    if (sha256(bytes) !== digest) throw new Error(`module bytes do not match digest ${digest}`);
    if (this.bytes.get(digest) === undefined) this.bytes.set(digest, bytes);
  }

  /** The bytes of a module held here, verified against its digest when added. */
  held(digest: string): Uint8Array | undefined {
    return this.bytes.get(digest);
  }

  /** The compiled module, compiling at most once per (digest, cap) while it stays; undefined when the bytes are unknown. */
  compiled(digest: string, maxMemoryMib: number | undefined): Promise<WebAssembly.Module> | undefined {
    const bytes = this.bytes.get(digest);
    if (!bytes) return undefined;
    const key = `${digest}/${maxMemoryMib ?? 'none'}`;
    let compiled = this.compiledModules.get(key);
    if (!compiled) {
      compiled = compileFlight(bytes, maxMemoryMib).then((c) => c.module);
      const mine = compiled;
      compiled.catch(() => {
        if (this.compiledModules.get(key) === mine) this.compiledModules.delete(key);
      });
      this.compiledModules.set(key, compiled);
    }
    return compiled;
  }
}
