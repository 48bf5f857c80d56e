// Module sources -> the bytes of a wasm module. (Minimal: local files; http(s), oci, cache and policies come next.)

import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { sha256 } from './compile.js';

export interface LoadOptions {
  /** Relative paths resolve here. */
  baseDir: string;
}

export interface LoadedModule {
  /** The decompressed module. */
  bytes: Uint8Array;
  /** sha256 of `bytes`. */
  digest: string;
  /** Where it came from, for messages. */
  source: string;
}

/** Loads a module from a path; `.gz` files are decompressed. */
export async function loadModule(ref: string, options: LoadOptions): Promise<LoadedModule> {
  const path = ref.startsWith('/') ? ref : `${options.baseDir}/${ref}`;
  let bytes: Uint8Array = await readFile(path).catch((error: NodeJS.ErrnoException) => {
    throw new Error(`cannot read module ${ref}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`);
  });
  if (ref.endsWith('.gz')) bytes = gunzipSync(bytes);
  return { bytes, digest: sha256(bytes), source: ref };
}
