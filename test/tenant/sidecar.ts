// A jetway plugin sidecar for tenant-attack tests: Argo CD's cmp-server imitation running `jetway generate` with the
// admin environment a test chooses, in front of one repository; the child's peak RSS is reported for memory bounds.

import { chmod, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CmpServer, RepoServerImitation, readPluginConfig, type Application } from '../support/cmp-server.js';
import { repoPath } from '../support/paths.js';

export const repoURL = 'https://git.example/tenant.git';

export interface Sidecar {
  /** The repository's files (change them between generates to make a new commit). */
  source: string;
  /** Generates as Argo CD would; a new revision each call, so Argo CD's manifest cache never answers. */
  generate(app: Application): Promise<Record<string, unknown>[]>;
  /** Generates and returns the child's peak RSS in bytes (NaN when it was killed), whatever the outcome. */
  measured(app: Application): Promise<{ outcome: Record<string, unknown>[] | Error; peakRssBytes: number }>;
  close(): Promise<void>;
}

/** Writes `files` (path -> content) into a fresh repository and starts a sidecar with `adminEnv` on top of the base env. */
export async function startSidecar(files: Record<string, string | Uint8Array>, adminEnv: Record<string, string> = {}): Promise<Sidecar> {
  const dir = await mkdtemp(join(tmpdir(), 'jetway-tenant-'));
  const bin = join(dir, 'bin');
  await mkdir(bin);
  const rssFile = join(dir, 'peak-rss');
  // the sidecar image has `jetway` on PATH; here a shim runs the built CLI, with a probe that reports its peak RSS on exit
  const probe = new URL('./rss-probe.js', import.meta.url).href;
  await writeFile(join(bin, 'jetway'), `#!/bin/sh\nexec "${process.execPath}" --import "${probe}" "${repoPath('dist/src/cli/main.js')}" "$@"\n`);
  await chmod(join(bin, 'jetway'), 0o755);
  await symlink(repoPath('bin/jetway-generate'), join(bin, 'jetway-generate')); // plugin.yaml's command; no service here, so it runs `jetway`
  const source = join(dir, 'repo');
  await writeFiles(source, files);
  const cmp = new CmpServer({
    plugin: await readPluginConfig(repoPath('plugin.yaml')),
    baseEnv: { PATH: `${bin}:${process.env['PATH'] ?? ''}`, HOME: dir, JETWAY_CACHE_DIR: join(dir, 'cache'), JETWAY_TEST_RSS_FILE: rssFile, ...adminEnv },
    deadlineMs: 120_000,
    killGraceMs: 500,
  });
  const repo = new RepoServerImitation({ plugins: [cmp], repositories: { [repoURL]: source } });
  let commit = 0;
  const generate = async (app: Application) => {
    commit++;
    return (await repo.generate({ ...app, revision: commit.toString(16).padStart(40, '0') })).manifests;
  };
  return {
    source,
    generate,
    async measured(app) {
      await rm(rssFile, { force: true });
      const outcome = await generate(app).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));
      // a generate killed at Argo CD's deadline reports nothing: NaN fails every bound, after the outcome's own assertion
      return { outcome, peakRssBytes: Number(await readFile(rssFile, 'utf8').catch(() => NaN)) };
    },
    async close() {
      await cmp.settle();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Writes path -> content under `root`, making folders as needed. */
export async function writeFiles(root: string, files: Record<string, string | Uint8Array>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  }
}

/** An Application of this repository using the jetway plugin. */
export function tenantApp(name: string, path: string, parameters: NonNullable<Application['source']['plugin']>['parameters'], destinationNamespace = 'team-a'): Application {
  return { name, project: 'default', destinationNamespace, revision: '0'.repeat(40), source: { repoURL, path, targetRevision: 'HEAD', plugin: { name: 'jetway', parameters } } };
}
