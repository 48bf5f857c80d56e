// The `checksum` parameter and yoke's checksum-in-the-name convention (internal/checksum.go ChecksumFromPath).

import { ModuleError } from './errors.js';

/** yoke's inference: an OCI tag `sha256_<hex>`, or a file name (up to its first dot) `sha256_<hex>` or `..._sha256_<hex>`. */
export function checksumFromRef(ref: string): string | undefined {
  if (ref.startsWith('oci://')) {
    const base = lastSegment(ref.slice('oci://'.length));
    const colon = base.indexOf(':');
    if (colon < 0) return undefined;
    const tag = base.slice(colon + 1);
    return tag.startsWith('sha256_') ? nonEmpty(tag.slice('sha256_'.length)) : undefined;
  }
  const base = lastSegment(urlPath(ref)).split('.')[0] ?? '';
  if (base.startsWith('sha256_')) return nonEmpty(base.slice('sha256_'.length));
  const at = base.indexOf('_sha256_');
  return at < 0 ? undefined : nonEmpty(base.slice(at + '_sha256_'.length));
}

/** Fails with both digests when the decompressed module is not the one the user pinned. */
export function checkChecksum(source: string, digest: string, expected: string | undefined): void {
  if (expected === undefined || expected === '') return;
  const want = expected
    .trim()
    .toLowerCase()
    .replace(/^sha256:/, '');
  if (digest !== want) throw new ModuleError('refused', `module ${source} has sha256 ${digest}, expected ${want} (checksum)`);
}

/** The path part of a URL, or the ref itself for a repository path (as Go's url.Parse(...).Path would give). */
function urlPath(ref: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(ref)) return ref;
  try {
    return new URL(ref).pathname;
  } catch {
    return ref;
  }
}

function lastSegment(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}

function nonEmpty(value: string): string | undefined {
  return value === '' ? undefined : value.toLowerCase();
}
