// Module sources -> the bytes of a wasm module: repository files, http(s) and oci:// URLs, through the cache and the admin's policies.

import { checkAllowed, isAllowed } from './allow-list.js';
import { defaultMaxModuleBytes, defaultMaxOciManifestBytes } from './bounds.js';
import { readCached, recordRef, storeModule, lookupRef, touchCached, type CacheSettings } from './cache.js';
import { checkChecksum, checksumFromRef } from './checksum.js';
import { sha256 } from './digest.js';
import { dockerConfigDir } from './docker-config.js';
import { readRepoModule } from './file.js';
import { ModuleError, reason } from './errors.js';
import { shown } from './fetch-bounded.js';
import { decompress, isGzip } from './gzip.js';
import { fetchModule } from './http.js';
import { pinnedRef, parseOciRef } from './oci-ref.js';
import { pullLayer, resolveManifest } from './oci.js';
import { openSession } from './registry-client.js';
import { Lru } from './lru.js';
import { isWasm } from './sections.js';
import { checkSignature, parseKeys, type KeySet } from './signature.js';

export interface LoadOptions {
  /** Relative repository paths resolve here (the Application's path in the checked-out repository). */
  baseDir: string;
  /** Repository paths may not lead outside this directory (symlinks resolved). Default: `baseDir`. */
  repoRoot?: string;
  /** Expected sha256 hex of the decompressed module; default: inferred from a `sha256_<hex>` name or tag. */
  checksum?: string;
  /** Talk to the OCI registry over plain http. */
  insecure?: boolean;
  /** Cache remote modules here; no caching when unset. */
  cacheDir?: string;
  /** Bound on the cached modules' total size. Default 1 GiB. */
  cacheMaxBytes?: number;
  /** Re-resolve a mutable ref (OCI tag, plain URL) once it was resolved this long ago. Default 5 minutes. */
  mutableTtlMs?: number;
  /** JETWAY_MODULE_ALLOW: globs (Go path.Match, as yoke) the module reference must match; empty or unset allows all. */
  allow?: readonly string[];
  /** JETWAY_VERIFY_KEYS: PEM public keys; when given, the module must carry a yoke signature by one of them. */
  verify?: readonly string[];
  /** Where docker's config.json with registry credentials lives. Default: ~/.docker (generate, render and simulate pass DOCKER_CONFIG from src/settings). */
  dockerConfigDir?: string;
  /** Bound on a module's size, downloaded and decompressed (JETWAY_MAX_MODULE_BYTES). Default 128 MiB. */
  maxModuleBytes?: number;
  /** Bound on an OCI manifest (JETWAY_MAX_OCI_MANIFEST_BYTES). Default 4 MiB. */
  maxOciManifestBytes?: number;
  /** Told when the module could not be cached (a full volume, a module larger than the cache): the load goes on uncached. */
  warn?: (message: string) => void;
  signal?: AbortSignal;
  /**
   * The bytes of a module this process already holds, by digest, verified against it when first read (jetway serve's
   * module store). A cache hit then skips reading and hashing the module again: for a 17 MB module, most of a warm
   * generate's time in the service.
   */
  held?: (digest: string) => Uint8Array | undefined;
}

export interface LoadedModule {
  /** The decompressed module. */
  bytes: Uint8Array;
  /** sha256 hex of `bytes`. */
  digest: string;
  /** Where it came from (the reference as given), for messages. */
  source: string;
  /** True when the bytes came from the on-disk cache: not downloaded again, or for a gzipped repository file, not unzipped again. */
  cached: boolean;
}

interface Fetched {
  bytes: Uint8Array;
  digest: string;
  cached: boolean;
}

/** One load's cache (none when unset), what to tell when writing to it fails, and the modules the process holds. */
interface CacheUse {
  cache: CacheSettings | undefined;
  warn: (message: string) => void;
  held: LoadOptions['held'];
}

const defaultTtlMs = 5 * 60 * 1000;
const defaultCacheBytes = 1024 * 1024 * 1024;

/** Loads a module from the repository, http(s) or oci://, then applies the allow-list, checksum and signature policies. */
export async function loadModule(ref: string, options: LoadOptions): Promise<LoadedModule> {
  checkAllowed(options.allow, ref);
  const keys = options.verify && options.verify.length > 0 ? parseKeys(options.verify) : undefined;
  const cache: CacheSettings | undefined = options.cacheDir ? { dir: options.cacheDir, maxBytes: options.cacheMaxBytes ?? defaultCacheBytes } : undefined;
  const fetched = await fetchBytes(ref, options, { cache, warn: options.warn ?? (() => undefined), held: options.held });
  checkChecksum(ref, fetched.digest, options.checksum || checksumFromRef(ref));
  if (keys) checkSignatureOnce(ref, fetched, keys);
  return { ...fetched, source: ref };
}

/** Modules (by digest) whose signature verified under a key set (by fingerprints), the 256 most recently used. */
const verified = new Lru<true>(256);

// Why: verifying copies and hashes the whole module (about 20 ms for 17 MB); jetway serve loads the same module for
// every generate. The digest names the bytes (computed or checked by this process), the fingerprints name the keys,
// so a signature that verified once verifies again. Failures are not remembered: each says which ref failed.
function checkSignatureOnce(ref: string, fetched: Fetched, keys: KeySet): void {
  const key = `${fetched.digest} ${[...keys.keys()].sort().join(' ')}`;
  if (verified.get(key)) return;
  checkSignature(ref, fetched.bytes, keys);
  verified.set(key, true);
}

/** Dispatches on the scheme; repository files are read each time, remote sources go through the cache. */
async function fetchBytes(ref: string, options: LoadOptions, use: CacheUse): Promise<Fetched> {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(ref)?.[1]?.toLowerCase();
  const maxBytes = options.maxModuleBytes ?? defaultMaxModuleBytes;
  if (scheme === undefined || scheme === 'file') {
    const path = scheme === 'file' ? decodeURIComponent(new URL(ref).pathname) : ref;
    return unzipped(ref, await readRepoModule(path, options.baseDir, options.repoRoot ?? options.baseDir, maxBytes), path.endsWith('.gz'), use, maxBytes);
  }
  const ttl = options.mutableTtlMs ?? defaultTtlMs;
  if (scheme === 'http' || scheme === 'https') {
    const checkTarget = (target: URL) => checkRedirectAllowed(options.allow, target);
    const hit = await fromCache(use, ref, ttl);
    return hit ?? store(use, [ref], fresh(ref, await fetchModule(ref, { signal: options.signal, maxBytes, checkTarget })));
  }
  if (scheme === 'oci') return fetchOci(ref, options, use, ttl, maxBytes);
  throw new ModuleError('invalid', `module ${ref} uses the unsupported scheme ${scheme}: use a repository path, http(s):// or oci://`);
}

/** A tag is re-resolved after the TTL, but a manifest already seen is served from the cache without downloading the layer again. */
async function fetchOci(ref: string, options: LoadOptions, use: CacheUse, ttl: number, maxBytes: number): Promise<Fetched> {
  const oci = parseOciRef(ref);
  const refKey = options.insecure ? `${ref} (insecure)` : ref;
  const hit = await fromCache(use, refKey, oci.digest === undefined ? ttl : undefined);
  if (hit) return hit;
  const session = openSession(oci, ref, options.insecure === true, dockerConfigDir(options.dockerConfigDir), options.signal);
  const manifest = await resolveManifest(session, options.maxOciManifestBytes ?? defaultMaxOciManifestBytes);
  const pinned = pinnedRef(oci, manifest.digest);
  const known = await fromCache(use, pinned, undefined);
  if (known) {
    await remember(use, () => recordRef(use.cache!, refKey, known.digest));
    return known;
  }
  return store(use, [pinned, refKey], fresh(ref, await pullLayer(session, manifest.layerDigest, maxBytes)));
}

/** The cached module a ref points at, when the ref entry is fresh and the module is held in memory or still stored. */
async function fromCache(use: CacheUse, key: string, ttl: number | undefined): Promise<Fetched | undefined> {
  const { cache } = use;
  if (!cache) return undefined;
  const digest = await lookupRef(cache, key, ttl);
  if (digest === undefined) return undefined;
  const held = use.held?.(digest);
  if (held) {
    await touchCached(cache, digest); // the stored copy stays as recently used as the module is
    return { bytes: held, digest, cached: true };
  }
  const bytes = await readCached(cache, digest);
  return bytes ? { bytes, digest, cached: true } : undefined;
}

/**
 * A gzipped repository module is unzipped once per content: the cache maps the file's sha256 to the module's, so the
 * next generate of the same file (every refresh, every commit that keeps it) reads the module instead of gunzipping
 * it again (about 70 ms for a 17 MB Go flight).
 */
async function unzipped(ref: string, file: Uint8Array, declaredGzip: boolean, use: CacheUse, maxBytes: number): Promise<Fetched> {
  if (!isGzip(file) && !declaredGzip) return fresh(ref, file);
  const key = `gzip sha256:${sha256(file)}`;
  return (await fromCache(use, key, undefined)) ?? store(use, [key], fresh(ref, decompress(file, ref, declaredGzip, maxBytes)));
}

/** Checks downloaded bytes are wasm (so nothing else is cached), and hashes them. */
function fresh(ref: string, bytes: Uint8Array): Fetched {
  if (!isWasm(bytes)) throw new ModuleError('invalid', `module ${ref} is not WebAssembly (no \\0asm header): check it points at a .wasm or .wasm.gz file`);
  return { bytes, digest: sha256(bytes), cached: false };
}

/** Saves a downloaded module and the refs that led to it; the cache is an optimisation, so a failed write only warns. */
async function store(use: CacheUse, keys: string[], fetched: Fetched): Promise<Fetched> {
  const cache = use.cache;
  if (!cache) return fetched;
  await remember(use, async () => {
    await storeModule(cache, fetched.bytes, fetched.digest);
    for (const key of keys) await recordRef(cache, key, fetched.digest);
  });
  return fetched;
}

/** Runs a cache write; a `cache` failure (a full volume, an unwritable directory) becomes a warning and the load continues uncached. */
async function remember(use: CacheUse, write: () => Promise<void>): Promise<void> {
  if (!use.cache) return;
  try {
    await write();
  } catch (error) {
    // anything else is not the cache's to excuse (a fault in jetway itself): it fails the load
    if (!(error instanceof ModuleError && error.kind === 'cache')) throw error;
    use.warn(`module not cached, continuing without the cache: ${reason(error)}`);
  }
}

/** JETWAY_MODULE_ALLOW holds for every redirect target too: an allowed URL cannot hand the download to a host the admin did not allow. */
function checkRedirectAllowed(allow: readonly string[] | undefined, target: URL): void {
  if (!allow || isAllowed(allow, target.href)) return;
  throw new ModuleError(
    'refused',
    `it redirects to ${shown(target)}, which is not in the allow-list (JETWAY_MODULE_ALLOW): point the wasm parameter at an allowed location, or ask an admin to allow that one`,
  );
}
