// A jetway plugin sidecar for tests that play an Application author: a repository the author controls, the real
// plugin.yaml in Argo CD's cmp-server imitation running `jetway generate` with the admin environment a test chooses, a
// repo-server in front; the child's peak RSS is reported for memory bounds.

import assert from 'node:assert/strict';
import { execa, type ResultPromise } from 'execa';
import { chmod, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { FakeApiServer } from './apiserver.js';
import { makeCrd } from './apiserver/discovery.js';
import { CmpServer, RepoServerImitation, buildRequestEnv, readPluginConfig, type Application } from './cmp-server.js';
import { repoPath } from './paths.js';
import { startServe, type ServeProcess } from './serve.js';

export const repoURL = 'https://git.example/tenant.git';

export interface Sidecar {
  /** The repository's files (change them between generates to make a new commit). */
  source: string;
  /** The sidecar's JETWAY_CACHE_DIR (shared by every sidecar `withEnv` makes). */
  cacheDir: string;
  /** Generates as Argo CD would; a new revision each call, so Argo CD's manifest cache never answers. */
  generate(app: Application): Promise<Record<string, unknown>[]>;
  /**
   * `jetway generate` for `app` started as the cmp-server starts it (the sidecar's environment, its own process group)
   * without waiting, for tests that kill it themselves, as Argo CD does at its deadline.
   */
  start(app: Application): ResultPromise<{ reject: false; detached: true }>;
  /** Generates and returns the child's peak RSS in bytes (NaN when it was killed), whatever the outcome. */
  measured(app: Application): Promise<{ outcome: Record<string, unknown>[] | Error; peakRssBytes: number }>;
  /** Another sidecar over the same repository and cache whose env adds `adminEnv` to this one's; closed with this one. */
  withEnv(adminEnv: Record<string, string>): Sidecar;
  /** The `jetway serve` beside the plugin, when the sidecar was started with one. */
  serve: ServeProcess | undefined;
  close(): Promise<void>;
}

/**
 * The `jetway serve` container beside the plugin, as deploy/ runs it: the only holder of cluster credentials (its own
 * kubeconfig for `api`, the Argo CD cluster), Argo CD's namespace `argocd`, the plugin's /tmp visible as its sources.
 */
export interface SidecarServe {
  api: FakeApiServer;
  /** Added to serve's environment (e.g. JETWAY_PROJECT_SCOPE); the admin env of the sidecar is given to both containers. */
  env?: Record<string, string>;
}

/**
 * Writes `files` (path -> content) into a fresh repository and starts a sidecar with `adminEnv` on top of the base env;
 * with `serve`, also a real `jetway serve` that does the generate (and every lookup) for the plugin.
 */
export async function startSidecar(files: Record<string, string | Uint8Array>, adminEnv: Record<string, string> = {}, serveOn?: SidecarServe): Promise<Sidecar> {
  const dir = await mkdtemp(join(tmpdir(), 'jetway-tenant-'));
  const bin = join(dir, 'bin');
  await mkdir(bin);
  // the sidecar image has `jetway` on PATH; here a shim runs the built CLI, with a probe that reports its peak RSS on exit
  const probe = new URL('./rss-probe.js', import.meta.url).href;
  await writeFile(join(bin, 'jetway'), `#!/bin/sh\nexec "${process.execPath}" --import "${probe}" "${repoPath('dist/src/cli/main.js')}" "$@"\n`);
  await chmod(join(bin, 'jetway'), 0o755);
  await symlink(repoPath('bin/jetway-generate'), join(bin, 'jetway-generate')); // plugin.yaml's command; no service here, so it runs `jetway`
  const source = join(dir, 'repo');
  await writeFiles(source, files);
  const plugin = await readPluginConfig(repoPath('plugin.yaml'));
  const cacheDir = join(dir, 'cache');
  const servers: CmpServer[] = [];
  const socket = join(dir, 'jetway.sock');
  if (serveOn) installArgoProjects(serveOn.api);
  const serve = serveOn
    ? await startServe(serveOn.api, [], socket, { POD_NAMESPACE: 'argocd', ...adminEnv, JETWAY_SOURCES_DIR: join(dir, '_cmp_server'), JETWAY_CACHE_DIR: cacheDir, ...serveOn.env })
    : undefined;
  let commit = 0;

  // Why one function per env: the tests compare the same repository under different admin settings.
  const sidecar = (env: Record<string, string>): Sidecar => {
    const rssFile = join(dir, `peak-rss-${servers.length}`);
    const baseEnv = { ...env, TEST_RSS_PROBE_FILE: rssFile };
    const cmp = new CmpServer({ plugin, baseEnv, deadlineMs: 120_000, killGraceMs: 500, ...(serve ? { tmpDir: dir } : {}) });
    servers.push(cmp);
    const repo = new RepoServerImitation({ plugins: [cmp], repositories: { [repoURL]: source } });
    const generate = async (app: Application) => {
      if (serveOn) ensureApplication(serveOn.api, app);
      commit++;
      return (await repo.generate({ ...app, revision: commit.toString(16).padStart(40, '0') })).manifests;
    };
    return {
      source,
      cacheDir,
      generate,
      start(app) {
        const request: Record<string, string> = { ...baseEnv };
        for (const entry of buildRequestEnv(app, { kubeVersion: '1.31.2', apiVersions: ['v1'] })) request[entry.slice(0, entry.indexOf('='))] = entry.slice(entry.indexOf('=') + 1);
        return execa('jetway', ['generate'], { cwd: join(source, app.source.path), env: request, extendEnv: false, reject: false, detached: true });
      },
      async measured(app) {
        await rm(rssFile, { force: true });
        const outcome = await generate(app).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));
        // a generate killed at Argo CD's deadline reports nothing: NaN fails every bound, after the outcome's own assertion
        return { outcome, peakRssBytes: Number(await readFile(rssFile, 'utf8').catch(() => NaN)) };
      },
      withEnv: (more) => sidecar({ ...env, ...more }),
      serve,
      async close() {
        await Promise.all(servers.map((s) => s.settle()));
        await serve?.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  };
  return sidecar({ PATH: `${bin}:${process.env['PATH'] ?? ''}`, HOME: dir, JETWAY_CACHE_DIR: cacheDir, ...(serve ? { JETWAY_SOCKET: socket } : {}), ...adminEnv });
}

/** Argo CD's AppProject CRD and the `default` project every install has (deploying anywhere), unless already there. */
export function installArgoProjects(api: FakeApiServer): void {
  if (!api.get('apiextensions.k8s.io/v1', 'CustomResourceDefinition', undefined, 'appprojects.argoproj.io')) {
    api.put(makeCrd({ group: 'argoproj.io', kind: 'AppProject', plural: 'appprojects', singular: 'appproject', shortNames: ['appproj', 'appprojs'], versions: ['v1alpha1'] }));
  }
  if (!api.get('argoproj.io/v1alpha1', 'AppProject', 'argocd', 'default')) {
    api.put({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'AppProject',
      metadata: { name: 'default', namespace: 'argocd' },
      spec: { sourceRepos: ['*'], destinations: [{ namespace: '*', server: '*' }] },
    });
  }
}

/** Argo CD generates only for an Application that exists: one deploying in-cluster, unless the test put its own. */
export function ensureApplication(api: FakeApiServer, app: Application): void {
  const namespace = app.namespace ?? 'argocd';
  if (api.get('argoproj.io/v1alpha1', 'Application', namespace, app.name)) return;
  api.put({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name: app.name, namespace },
    spec: { project: app.project, destination: { server: 'https://kubernetes.default.svc', namespace: app.destinationNamespace ?? '' }, source: app.source },
  });
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

/** A measured outcome's failure, asserting the generate failed instead of emitting manifests. */
export function failed(outcome: Record<string, unknown>[] | Error): Error {
  assert.ok(outcome instanceof Error, `generate emitted ${Array.isArray(outcome) ? outcome.length : 0} objects instead of failing`);
  return outcome;
}

/** The jetway part of a ComparisonError: what Argo CD shows after the cmp-server's prefix. */
export function jetwayLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const at = text.indexOf('jetway: ');
  return at < 0 ? text : text.slice(at);
}
