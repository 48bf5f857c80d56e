// Modules may arrive gzipped (a .gz name, Content-Encoding: gzip, or an OCI layer); this gives back the plain bytes.

import { gunzipSync } from 'node:zlib';
import { moduleTooLarge } from './bounds.js';
import { ModuleError, reason } from './errors.js';

/** True when the bytes start with the gzip magic number 1f 8b (fetch may already have decoded a gzip body). */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Gunzips when the bytes are gzip, or when `declaredGzip` says they must be; stops past `maxBytes` of output (a gzip bomb never inflates whole). */
export function decompress(bytes: Uint8Array, source: string, declaredGzip: boolean, maxBytes: number): Uint8Array {
  if (!isGzip(bytes) && !declaredGzip) return bytes;
  try {
    const out = gunzipSync(bytes, { maxOutputLength: maxBytes });
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw moduleTooLarge(source, maxBytes, 'decompresses to');
    throw new ModuleError('invalid', `module ${source} is not valid gzip: ${reason(error)} (re-create it with gzip, or drop the .gz suffix)`, { cause: error });
  }
}
