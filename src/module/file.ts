// Reads a module from the application's repository, refusing any path (or symlink) that leads outside it.

import { realpath, stat } from 'node:fs/promises';
import { isAbsolute, parse, relative, resolve, sep } from 'node:path';
import { moduleTooLarge } from './bounds.js';
import { readBytes } from './bytes.js';
import { ModuleError, reason } from './errors.js';

/** The file at `ref` (relative to `baseDir`) as stored, confined to `repoRoot` after resolving symlinks, and at most `maxBytes` long. */
export async function readRepoModule(ref: string, baseDir: string, repoRoot: string, maxBytes: number): Promise<Uint8Array> {
  return readBytes((await locateRepoModule(ref, baseDir, repoRoot, maxBytes)).path);
}

/** Where the file at `ref` really is and its size, with every check readRepoModule makes, without reading it. */
export async function locateRepoModule(ref: string, baseDir: string, repoRoot: string, maxBytes: number): Promise<{ path: string; size: number }> {
  const root = await realpath(repoRoot).catch((error: unknown) => {
    throw new ModuleError('not-found', `cannot read the repository ${repoRoot} to load module ${ref}: ${reason(error)}`, { cause: error });
  });
  const base = await realpath(baseDir).catch(() => resolve(baseDir));
  const escapes = (): ModuleError => new ModuleError('refused', `module path ${ref} escapes the repository: use a path inside the repository, or an http(s):// or oci:// URL`);
  const wanted = resolve(base, ref);
  if (!isInside(root, wanted)) throw escapes();
  let real: string;
  try {
    real = await realpath(wanted);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new ModuleError('not-found', notFound(ref, root, wanted), { cause: error });
    throw new ModuleError('unreachable', `cannot read module file ${ref}: ${reason(error)}`, { cause: error });
  }
  if (!isInside(root, real)) throw escapes();
  const info = await stat(real);
  if (!info.isFile()) throw new ModuleError('not-found', `module path ${ref} is not a file`);
  if (info.size > maxBytes) throw moduleTooLarge(ref, maxBytes, 'is');
  return { path: real, size: info.size };
}

/** Where a missing module was looked for: repository-relative, but absolute when the root is "/" (render, simulate), where relative would drop the leading slash. */
function notFound(ref: string, root: string, wanted: string): string {
  if (root === parse(root).root) return `module file ${ref} not found (looked for ${wanted})`;
  return `module file ${ref} not found in the repository (looked for ${relative(root, wanted) || '.'})`;
}

/** True when `path` is `root` or below it (both resolved): the one confinement check for repository paths. */
export function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}
