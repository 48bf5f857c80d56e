// The on-disk module cache: modules by sha256 (atomic writes, bounded by LRU eviction) and an index of refs -> digest.
// A ref can hold Secret values (refs filled into the URL), so the index stores only the ref's hash, never the ref.

import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readBytes } from './bytes.js';
import { sha256 } from './digest.js';
import { ModuleError, reason } from './errors.js';

export interface CacheSettings {
  dir: string;
  /** Evict least-recently-used modules when the stored modules exceed this many bytes. */
  maxBytes: number;
}

interface RefEntry {
  digest: string;
  resolvedAt: number;
}

const staleTempMs = 10 * 60 * 1000;

/** The stored module with this sha256, or undefined when absent or damaged; a hit marks it recently used. */
export async function readCached(cache: CacheSettings, digest: string): Promise<Uint8Array | undefined> {
  const path = modulePath(cache, digest);
  let bytes: Uint8Array;
  try {
    bytes = await readBytes(path);
  } catch {
    return undefined;
  }
  if (sha256(bytes) !== digest) {
    await unlink(path).catch(() => undefined);
    return undefined;
  }
  await touchCached(cache, digest);
  return bytes;
}

/** Marks the stored module with this sha256 recently used (eviction is least recently used); absent, nothing happens. */
export async function touchCached(cache: CacheSettings, digest: string): Promise<void> {
  const now = new Date();
  await utimes(modulePath(cache, digest), now, now).catch(() => undefined);
}

/**
 * Stores a module under its digest (temp file + rename, so a concurrent reader never sees half a file), then evicts; a
 * module larger than the whole bound is not written. Any failure is a `cache` ModuleError (the caller warns and goes on).
 */
export async function storeModule(cache: CacheSettings, bytes: Uint8Array, digest: string): Promise<void> {
  if (bytes.byteLength > cache.maxBytes) {
    throw new ModuleError(
      'cache',
      `the module (${bytes.byteLength} bytes) is larger than the whole module cache (JETWAY_CACHE_MAX_BYTES ${cache.maxBytes}), so it is not cached: raise JETWAY_CACHE_MAX_BYTES to cache it`,
    );
  }
  await cacheWrite(cache, async () => {
    await mkdir(join(cache.dir, 'sha256'), { recursive: true });
    await writeAtomic(cache, modulePath(cache, digest), bytes);
    await evict(cache, digest);
  });
}

/** The digest a ref resolved to, when recorded and (for mutable refs, `ttlMs` set) resolved less than `ttlMs` ago. */
export async function lookupRef(cache: CacheSettings, ref: string, ttlMs: number | undefined): Promise<string | undefined> {
  let entry: RefEntry;
  try {
    entry = JSON.parse(await readFile(refPath(cache, ref), 'utf8')) as RefEntry;
  } catch {
    return undefined;
  }
  // an entry written before refs were kept out of the index is a miss: the new entry replaces it (same file name)
  if (typeof entry.digest !== 'string' || 'ref' in entry) return undefined;
  if (ttlMs !== undefined && !(Date.now() - entry.resolvedAt < ttlMs)) return undefined;
  return entry.digest;
}

/** Records that `ref` resolved to `digest` now; a failure is a `cache` ModuleError. */
export async function recordRef(cache: CacheSettings, ref: string, digest: string): Promise<void> {
  const entry: RefEntry = { digest, resolvedAt: Date.now() };
  await cacheWrite(cache, async () => {
    await mkdir(join(cache.dir, 'refs'), { recursive: true });
    await writeAtomic(cache, refPath(cache, ref), new TextEncoder().encode(JSON.stringify(entry)));
  });
}

/** Runs a write to the cache; whatever the filesystem throws (full, read-only, permissions) becomes one `cache` ModuleError naming the cache. */
async function cacheWrite(cache: CacheSettings, write: () => Promise<void>): Promise<void> {
  try {
    await write();
  } catch (error) {
    throw new ModuleError('cache', `cannot write to the module cache ${cache.dir}: ${reason(error)}`, { cause: error });
  }
}

/** Writes beside the target and renames over it: rename is atomic within one filesystem. */
async function writeAtomic(cache: CacheSettings, path: string, bytes: Uint8Array): Promise<void> {
  const tmpDir = join(cache.dir, 'tmp');
  await mkdir(tmpDir, { recursive: true });
  const tmp = join(tmpDir, `${process.pid}-${randomBytes(6).toString('hex')}`);
  try {
    await writeFile(tmp, bytes);
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}

/** Deletes least-recently-used modules (oldest mtime, refreshed on each hit) until under the bound, never `keep`; drops stale temp files. */
async function evict(cache: CacheSettings, keep: string): Promise<void> {
  const dir = join(cache.dir, 'sha256');
  const files = await Promise.all(
    (await readdir(dir)).map(async (name) => {
      const info = await stat(join(dir, name)).catch(() => undefined);
      return { name, size: info?.size ?? 0, used: info?.mtimeMs ?? 0 };
    }),
  );
  let total = files.reduce((sum, f) => sum + f.size, 0);
  for (const file of files.sort((a, b) => a.used - b.used)) {
    if (total <= cache.maxBytes) break;
    if (file.name === `${keep}.wasm`) continue;
    await unlink(join(dir, file.name)).catch(() => undefined);
    total -= file.size;
  }
  const tmpDir = join(cache.dir, 'tmp');
  for (const name of await readdir(tmpDir).catch(() => [])) {
    const info = await stat(join(tmpDir, name)).catch(() => undefined);
    if (info && Date.now() - info.mtimeMs > staleTempMs) await rm(join(tmpDir, name), { force: true });
  }
}

function modulePath(cache: CacheSettings, digest: string): string {
  return join(cache.dir, 'sha256', `${digest}.wasm`);
}

/** One small file per ref, named by the ref's sha256 (the file's only trace of the ref), so concurrent writers of different refs never share a file. */
function refPath(cache: CacheSettings, ref: string): string {
  return join(cache.dir, 'refs', `${sha256(new TextEncoder().encode(ref))}.json`);
}

/** Brings the cache under its bound and clears stale temp files: `jetway serve` runs it on start and periodically, so the bound holds between writes. */
export async function tidyCache(cache: CacheSettings): Promise<void> {
  await mkdir(join(cache.dir, 'sha256'), { recursive: true });
  await evict(cache, '');
  await dropOldRefEntries(cache);
}

/** Deletes index entries of the earlier format, which held the ref itself (Secret values filled in) beside its digest. */
async function dropOldRefEntries(cache: CacheSettings): Promise<void> {
  const dir = join(cache.dir, 'refs');
  for (const name of await readdir(dir).catch(() => [])) {
    const text = await readFile(join(dir, name), 'utf8').catch(() => '');
    if (text.includes('"ref":')) await rm(join(dir, name), { force: true });
  }
}
