// yokecd's `build` parameter: compile the flight from the commit's Go source, once per (app, every input the build reads).

import { createHash, type Hash } from 'node:crypto';
import { mkdir, readFile, readdir, realpath, rename, rm, stat, utimes } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { ModuleError } from './errors.js';
import { isInside } from './file.js';
import { readGoModDirectives } from './go-mod.js';

/** The admin's switch for `build` (JETWAY_BUILD): auto = allowed unless modules are restricted (allow-list or signatures). */
export type BuildSwitch = 'auto' | 'on' | 'off';

/** What the admin decided about building, from the sidecar's settings. */
export interface BuildPolicy {
  build: BuildSwitch;
  /** JETWAY_MODULE_ALLOW globs. */
  allow: readonly string[];
  /** JETWAY_VERIFY_KEYS. */
  verifyKeys: readonly string[];
}

/** Refuses `build: true` unless the admin allows it: a module built from the repository is neither allow-listed nor signed. */
export function checkBuildAllowed(policy: BuildPolicy): void {
  if (policy.build === 'off') {
    throw new ModuleError('refused', 'build: true is turned off on this plugin (JETWAY_BUILD=off): build the flight elsewhere and point the wasm parameter at the module');
  }
  if (policy.verifyKeys.length > 0) {
    throw new ModuleError(
      'refused',
      'build: true is refused because modules must carry a signature (JETWAY_VERIFY_KEYS), and a module built from the repository has none: build and sign it (yoke sign), then use the wasm parameter',
    );
  }
  if (policy.allow.length > 0 && policy.build !== 'on') {
    throw new ModuleError(
      'refused',
      'build: true is refused because modules must come from the allow-list (JETWAY_MODULE_ALLOW), which a module built from the repository is not on: use an allowed wasm module, or an admin sets JETWAY_BUILD=on to allow builds too',
    );
  }
}

export interface BuildOptions {
  /** The Go toolchain to run (JETWAY_GO), default `go` on PATH. */
  go: string;
  /** Where built modules (builds/) and the Go caches (gocache/, gopath/) are kept. */
  cacheDir: string;
  /** Bound on the whole cache directory after a build (JETWAY_CACHE_MAX_BYTES): old builds, then the Go caches, go first. */
  cacheMaxBytes: number;
  /** The checked-out repository: every input must lie inside it. */
  repoRoot: string;
  /** The app the build is for: a build is never shared between apps (release and destination namespace). */
  release: string;
  namespace: string;
  /** The sidecar's environment, for the Go network settings an admin may give (GOPROXY and friends). */
  env: NodeJS.ProcessEnv;
}

/** Settings an admin may give the sidecar that change what `go build` fetches; they are part of the key. */
const passedThrough = ['GOPROXY', 'GONOPROXY', 'GOPRIVATE', 'GONOSUMDB', 'GOSUMDB', 'GOINSECURE', 'HTTPS_PROXY', 'HTTP_PROXY', 'NO_PROXY'];

/** Where `go build` runs and what it reads: the module root, the workspace file, local replacements. */
interface BuildInputs {
  appDir: string;
  moduleRoot: string;
  /** The go.work that applies (Go looks from the app folder upwards), or undefined (GOWORK=off). */
  workFile: string | undefined;
  /** Folders whose every file is a build input: the module root, go.work's `use` folders, local `replace` targets. */
  trees: string[];
}

/** Builds (or reuses) the module for the Go source in `dir`; returns the wasm bytes and whether it was built now. */
export async function buildFromSource(dir: string, options: BuildOptions): Promise<{ bytes: Uint8Array; built: boolean }> {
  const root = await realpath(options.repoRoot);
  const inputs = await findInputs(root, await realpath(dir));
  const env = buildEnv(options, inputs);
  const { execa } = await import('execa'); // imported here: execa costs about 90 ms to load, which every generate without `build` would otherwise pay
  const version = await execa(options.go, ['env', 'GOVERSION'], { env, extendEnv: false, reject: false, stdin: 'ignore' });
  if ((version as { code?: string }).code === 'ENOENT') {
    throw new ModuleError('build', `build: true needs a Go toolchain (>= 1.24) in the plugin image, and ${options.go} was not found: set JETWAY_GO or use a prebuilt wasm module`);
  }
  if (version.failed) throw new ModuleError('build', `${options.go} env GOVERSION failed: ${String(version.stderr || version.message).trim()}`);
  const key = await buildKey(root, inputs, env, version.stdout.trim(), options);
  const builds = join(options.cacheDir, 'builds');
  const target = join(builds, `${key}.wasm`);
  const cached = await readFile(target).catch(() => undefined);
  if (cached) {
    const now = new Date();
    await utimes(target, now, now).catch(() => undefined);
    return { bytes: cached, built: false };
  }
  await mkdir(builds, { recursive: true });
  const temp = `${target}.${process.pid}.${Date.now()}.tmp`;
  const result = await execa(options.go, ['build', '-trimpath', '-o', temp, '.'], { cwd: inputs.appDir, env, extendEnv: false, reject: false, stdin: 'ignore' });
  if (result.failed) {
    await rm(temp, { force: true });
    throw new ModuleError('build', `go build failed in ${relative(root, inputs.appDir) || '.'}: ${String(result.stderr || result.stdout || result.message).trim()}`);
  }
  if (!(await stat(temp).catch(() => undefined))) throw new ModuleError('build', `go build reported success but wrote no module in ${relative(root, inputs.appDir) || '.'}`);
  await rename(temp, target);
  const bytes = await readFile(target);
  await boundCache(options, target, env, execa);
  return { bytes, built: true };
}

/** The module root (nearest go.mod from the app folder up, inside the repository), the go.work, and local replacements, all confined to the repository. */
async function findInputs(root: string, appDir: string): Promise<BuildInputs> {
  if (!isInside(root, appDir)) throw new ModuleError('refused', 'build: true: the app folder is outside the repository');
  const moduleRoot = await nearest(root, appDir, 'go.mod');
  if (!moduleRoot) {
    throw new ModuleError('build', `build: true needs a go.mod in the app folder or a folder above it inside the repository; none found from ${relative(root, appDir) || '.'} up`);
  }
  const workDir = await nearest(root, appDir, 'go.work');
  const workFile = workDir ? join(workDir, 'go.work') : undefined;
  const trees = new Set<string>([moduleRoot]);
  const modFiles = [join(moduleRoot, 'go.mod')];
  if (workFile) {
    const work = readGoModDirectives(await readFile(workFile, 'utf8'));
    for (const use of work.uses) {
      const folder = await confined(root, workDir!, use, `go.work uses ${use}`);
      trees.add(folder);
      modFiles.push(join(folder, 'go.mod'));
    }
    for (const replacement of work.localReplacements) trees.add(await confined(root, workDir!, replacement.path, `go.work replaces ${replacement.module} with ${replacement.path}`));
  }
  for (const modFile of modFiles) {
    const text = await readFile(modFile, 'utf8').catch(() => '');
    const where = relative(root, modFile);
    for (const replacement of readGoModDirectives(text).localReplacements) {
      trees.add(await confined(root, dirname(modFile), replacement.path, `${where} replaces ${replacement.module} with ${replacement.path}`));
    }
  }
  return { appDir, moduleRoot, workFile, trees: [...trees].sort() };
}

/** The nearest folder from `from` up to `root` holding `name`. */
async function nearest(root: string, from: string, name: string): Promise<string | undefined> {
  for (let current = from; isInside(root, current); current = dirname(current)) {
    if (
      await stat(join(current, name)).then(
        (s) => s.isFile(),
        () => false,
      )
    )
      return current;
    if (current === root) break;
  }
  return undefined;
}

/** A local path from go.mod/go.work, resolved (symlinks too) and refused when it leads outside the repository. */
async function confined(root: string, base: string, path: string, what: string): Promise<string> {
  const wanted = resolve(base, path);
  const real = await realpath(wanted).catch(() => wanted);
  if (!isInside(root, real)) {
    throw new ModuleError('refused', `build: true refused: ${what}, a folder outside the repository; a build reads only the repository's own files: copy that module into the repository`);
  }
  return real;
}

/** The build's environment, explicit (nothing inherited but PATH and the admin's Go network settings). */
function buildEnv(options: BuildOptions, inputs: BuildInputs): Record<string, string> {
  const env: Record<string, string> = {
    PATH: options.env['PATH'] ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: join(options.cacheDir, 'gohome'),
    GOOS: 'wasip1',
    GOARCH: 'wasm',
    CGO_ENABLED: '0',
    GOFLAGS: '-mod=mod',
    GOTOOLCHAIN: 'local',
    GOENV: 'off',
    GOWORK: inputs.workFile ?? 'off',
    GOCACHE: join(options.cacheDir, 'gocache'),
    GOPATH: join(options.cacheDir, 'gopath'),
  };
  for (const name of passedThrough) if (options.env[name]) env[name] = options.env[name]!;
  return env;
}

/**
 * The cache key: the app (release, namespace), the toolchain version, the build environment, the package's place in
 * the module, and every file of every input tree (paths relative to the repository, contents; `.git` left out).
 * Why every file and not only *.go: `//go:embed` reads any file of the module, and a parent go.mod or a sibling
 * package changes the build as much as the app's own folder.
 */
async function buildKey(root: string, inputs: BuildInputs, env: Record<string, string>, goVersion: string, options: BuildOptions): Promise<string> {
  const hash = createHash('sha256');
  const field = (value: string) => hash.update(value).update('\0');
  field('jetway build v2');
  field(options.release);
  field(options.namespace);
  field(goVersion);
  const keyed = Object.entries(env).filter(([name]) => !['PATH', 'HOME', 'GOCACHE', 'GOPATH'].includes(name));
  for (const [name, value] of keyed.sort()) field(`${name}=${name === 'GOWORK' && value !== 'off' ? relative(root, value) : value}`);
  field(relative(root, inputs.appDir));
  for (const tree of inputs.trees) await hashTree(root, tree, hash, field, new Set());
  return hash.digest('hex');
}

/** Hashes a folder's files in name order; symlinks are followed once checked to stay inside the repository. */
async function hashTree(root: string, dir: string, hash: Hash, field: (value: string) => void, seen: Set<string>): Promise<void> {
  if (seen.has(dir)) return;
  seen.add(dir);
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    if (entry.name === '.git') continue;
    let path = join(dir, entry.name);
    let isDir = entry.isDirectory();
    if (entry.isSymbolicLink()) {
      const real = await realpath(path).catch(() => undefined);
      if (real === undefined) continue; // a dangling link is no input
      if (!isInside(root, real)) {
        throw new ModuleError('refused', `build: true refused: ${relative(root, path)} is a symlink to ${real}, outside the repository; a build reads only the repository's own files`);
      }
      isDir = (await stat(real)).isDirectory();
      path = real;
    } else if (!isDir && !entry.isFile()) continue;
    if (isDir) {
      await hashTree(root, path, hash, field, seen);
    } else {
      field(relative(root, join(dir, entry.name)));
      hash.update(await readFile(path));
      hash.update('\0');
    }
  }
}

/** Keeps the whole cache directory within its bound after a build: least recently used builds first, then the Go caches. */
async function boundCache(options: BuildOptions, keep: string, env: Record<string, string>, execa: typeof import('execa').execa): Promise<void> {
  let total = await treeSize(options.cacheDir);
  if (total <= options.cacheMaxBytes) return;
  const builds = join(options.cacheDir, 'builds');
  const files = await Promise.all(
    (await readdir(builds))
      .filter((name) => name.endsWith('.wasm'))
      .map(async (name) => {
        const info = await stat(join(builds, name)).catch(() => undefined);
        return { path: join(builds, name), size: info?.size ?? 0, used: info?.mtimeMs ?? 0 };
      }),
  );
  for (const file of files.sort((a, b) => a.used - b.used)) {
    if (total <= options.cacheMaxBytes) return;
    if (file.path === keep) continue;
    await rm(file.path, { force: true });
    total -= file.size;
  }
  if (total <= options.cacheMaxBytes) return;
  // the Go caches are rebuilt on demand: dropping them costs the next build time, never correctness
  await execa(options.go, ['clean', '-cache', '-modcache'], { env, extendEnv: false, reject: false, stdin: 'ignore' });
  await rm(join(options.cacheDir, 'gocache'), { recursive: true, force: true });
  if ((await treeSize(options.cacheDir)) > options.cacheMaxBytes) await rm(keep, { force: true });
}

/** Bytes of every file below `dir` (links not followed). */
async function treeSize(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += await treeSize(path);
    else if (entry.isFile()) total += (await stat(path).catch(() => undefined))?.size ?? 0;
  }
  return total;
}
