// How modules are named: the sha256 of their bytes, computed once where the bytes are read.

import { createHash } from 'node:crypto';

/** sha256 hex of bytes: how modules are named in the cache and checked against `checksum`. */
export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
