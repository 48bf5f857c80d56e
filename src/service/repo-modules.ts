// Repository modules remembered by content in `jetway serve`: the file is read and hashed per request, but unzipped,
// hashed as a module and checked against the policies once per content.

import type { ModuleLoader } from '../argocd/generate.js';
import type { ModuleBytes } from '../flight/render.js';
import { sha256 } from '../module/compile.js';
import { readRepoModule } from '../module/file.js';
import { loadModule, type LoadOptions } from '../module/load.js';

/**
 * A loader for generate requests. Why not the on-disk cache alone: a cache hit still reads the 17 MB module and hashes
 * it to verify it (about 30 ms here), on every request; here a hit costs reading and hashing the repository file.
 * Only plain repository paths are remembered; URLs go through loadModule and its cache as in a generate process.
 */
export class RepoModules {
  private readonly entries = new Map<string, ModuleBytes>();

  constructor(private readonly maxEntries = 32) {}

  readonly load: ModuleLoader = async (ref, options) => {
    if (ref.includes('://')) return loadModule(ref, options);
    const file = await readRepoModule(ref, options.baseDir, options.repoRoot ?? options.baseDir);
    const key = memoKey(ref, options, sha256(file));
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit); // most recently used last
      return hit;
    }
    const loaded = await loadModule(ref, options);
    const entry = { bytes: loaded.bytes, digest: loaded.digest };
    this.entries.set(key, entry);
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    return entry;
  };
}

/** Everything loadModule's answer depends on for a repository file: the ref (allow-list, inferred checksum), the policies, the content. */
function memoKey(ref: string, options: LoadOptions, fileDigest: string): string {
  return JSON.stringify([ref, options.checksum ?? '', options.allow ?? [], options.verify ?? [], fileDigest]);
}
