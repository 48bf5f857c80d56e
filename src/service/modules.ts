// The service's modules: bytes by digest and compiled modules by (digest, memory cap), bounded, least recently used out.

import { compileFlight, sha256 } from '../module/compile.js';

interface Entry {
  bytes: Uint8Array;
  compiled: Map<string, Promise<WebAssembly.Module>>;
}

/** Keeps compiled modules warm so a request pays neither download nor compile. */
export class ModuleStore {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly maxModules = 16) {}

  has(digest: string): boolean {
    return this.entries.has(digest);
  }

  // Why: bytes arrive once per digest; the digest is checked so a client cannot poison another's module.
  add(digest: string, bytes: Uint8Array): void {
    if (sha256(bytes) !== digest) throw new Error(`module bytes do not match digest ${digest}`);
    if (this.entries.has(digest)) return;
    this.entries.set(digest, { bytes, compiled: new Map() });
    while (this.entries.size > this.maxModules) this.entries.delete(this.entries.keys().next().value!);
  }

  /** The compiled module, compiling at most once per (digest, cap); undefined when the bytes are unknown. */
  compiled(digest: string, maxMemoryMib: number | undefined): Promise<WebAssembly.Module> | undefined {
    const entry = this.entries.get(digest);
    if (!entry) return undefined;
    this.entries.delete(digest);
    this.entries.set(digest, entry); // most recently used last
    const key = String(maxMemoryMib ?? 'none');
    let compiled = entry.compiled.get(key);
    if (!compiled) {
      compiled = compileFlight(entry.bytes, maxMemoryMib).then((c) => c.module);
      compiled.catch(() => entry.compiled.delete(key));
      entry.compiled.set(key, compiled);
    }
    return compiled;
  }
}
