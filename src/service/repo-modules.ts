// Repository modules remembered in `jetway serve`: the file is read per request and compared with the one seen
// before, but unzipped, hashed as a module and checked against the policies once per content.

import type { ModuleLoader } from '../argocd/generate.js';
import type { ModuleBytes } from '../flight/runner.js';
import { defaultMaxModuleBytes } from '../module/bounds.js';
import { sameContent, readBytes } from '../module/bytes.js';
import { locateRepoModule } from '../module/file.js';
import { loadModule, type LoadOptions } from '../module/load.js';
import { Lru } from '../module/lru.js';

interface Entry {
  /** The repository file as read (for an unzipped .wasm, the module's own bytes, not a copy). */
  file: Uint8Array;
  module: ModuleBytes;
}

/**
 * A loader for generate requests. Why not the on-disk cache alone: a cache hit still reads the 17 MB module and hashes
 * it to verify it (about 30 ms here), on every request. Here a hit costs reading the repository file and comparing it
 * byte for byte with the file seen last for the same reference (sameContent: about a millisecond for 4 MB, where
 * hashing it took 16 ms). Only plain repository paths are remembered; URLs go through loadModule and its cache, whose
 * ref index (and its TTL for mutable refs) says which module a URL means, and `held` hands over the bytes the service
 * already holds for it, so neither a URL nor a changed repository file reads and hashes a module the service has.
 */
export class RepoModules {
  private readonly entries: Lru<Entry>;

  constructor(
    private readonly held: (digest: string) => Uint8Array | undefined,
    maxEntries = 16,
  ) {
    this.entries = new Lru(maxEntries);
  }

  readonly load: ModuleLoader = async (ref, given) => {
    const options = { ...given, held: this.held };
    if (ref.includes('://')) return loadModule(ref, options);
    const located = await locateRepoModule(ref, options.baseDir, options.repoRoot ?? options.baseDir, options.maxModuleBytes ?? defaultMaxModuleBytes);
    const key = memoKey(ref, options, located.size);
    const hit = this.entries.get(key);
    if (hit && (await sameContent(located.path, hit.file))) return hit.module;
    this.entries.delete(key); // a changed file's entry is not kept while the new content loads
    // the same file, read again and fully checked (allow-list, checksum, signature) by the path a generate process takes
    const file = await readBytes(located.path);
    const loaded = await loadModule(ref, options);
    const module = { bytes: loaded.bytes, digest: loaded.digest };
    this.entries.set(key, { file: Buffer.compare(file, loaded.bytes) === 0 ? loaded.bytes : file, module });
    return module;
  };
}

/** Everything loadModule's answer depends on for a repository file besides its content: the ref (allow-list, inferred checksum), the policies. */
function memoKey(ref: string, options: LoadOptions, size: number): string {
  return JSON.stringify([ref, options.checksum ?? '', options.allow ?? [], options.verify ?? [], options.maxModuleBytes ?? defaultMaxModuleBytes, size]);
}
