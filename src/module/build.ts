// yokecd's `build` parameter: compile the flight from the commit's Go source, once per source tree.

import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';

/** Hashes every Go build input under `dir` (sorted paths, `path\0content\0`), so a new commit with the same source reuses the build. */
export async function sourceTreeHash(dir: string): Promise<string> {
  const files: string[] = [];
  async function walk(current: string): Promise<void> {
    for (const entry of await readdir(current, { withFileTypes: true })) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      const path = join(current, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile() && /(\.go|^go\.mod|^go\.sum|^go\.work)$/.test(entry.name)) files.push(relative(dir, path));
    }
  }
  await walk(dir);
  files.sort();
  const hash = createHash('sha256');
  for (const file of files) hash.update(file).update('\0').update(await readFile(join(dir, file))).update('\0');
  return hash.digest('hex');
}

export interface BuildOptions {
  /** The Go toolchain to run (JETWAY_GO), default `go` on PATH. */
  go: string;
  /** Where built modules are kept, by source hash. */
  cacheDir: string;
}

/** Builds (or reuses) the module for the Go source in `dir`; returns the wasm bytes and whether it was built now. */
export async function buildFromSource(dir: string, options: BuildOptions): Promise<{ bytes: Uint8Array; built: boolean }> {
  const hash = await sourceTreeHash(dir);
  const target = join(options.cacheDir, 'builds', `${hash}.wasm`);
  const cached = await readFile(target).catch(() => undefined);
  if (cached) return { bytes: cached, built: false };
  await mkdir(join(options.cacheDir, 'builds'), { recursive: true });
  const temp = `${target}.${process.pid}.${Date.now()}.tmp`;
  // imported here: execa costs about 90 ms to load, which every generate without `build` would otherwise pay
  const { execa } = await import('execa');
  const result = await execa(options.go, ['build', '-trimpath', '-o', temp, '.'], {
    cwd: dir,
    env: { GOOS: 'wasip1', GOARCH: 'wasm', GOFLAGS: '-mod=mod', GOTOOLCHAIN: 'local', GOCACHE: join(options.cacheDir, 'gocache') },
    reject: false,
    stdin: 'ignore',
  });
  if (result.failed) {
    await rm(temp, { force: true });
    const notInstalled = (result as { code?: string }).code === 'ENOENT';
    if (notInstalled) {
      throw new Error(`build: true needs a Go toolchain (>= 1.24) in the plugin image, and ${options.go} was not found: set JETWAY_GO or use a prebuilt wasm module`);
    }
    throw new Error(`go build failed in ${dir}: ${String(result.stderr || result.stdout || result.message).trim()}`);
  }
  if (!(await stat(temp).catch(() => undefined))) throw new Error(`go build reported success but wrote no module in ${dir}`);
  await rename(temp, target);
  return { bytes: await readFile(target), built: true };
}
