// One Argo CD installation, imitated, around a real `jetway serve`: the fake API server holds the cluster and the
// Applications; the repo-server imitation runs `jetway generate` through the cmp-server imitation (plugin.yaml as
// shipped, with JETWAY_SOCKET pointing at the service); the application controller and the workload controllers act
// on the cluster; every actor writes to one timeline.

import { chmod, copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { KubeObject } from '../../../src/cluster/types.js';
import { makeCrd, startApiServer, type FakeApiServer } from '../apiserver.js';
import { CmpServer, RepoServerImitation, readPluginConfig, type PluginParameter } from '../cmp-server.js';
import { repoPath } from '../paths.js';
import { startServe, type ServeProcess } from '../serve.js';
import { ApplicationController, refreshAnnotation, type ApplicationObject, type ApplicationSpec } from './application-controller.js';
import { Timeline } from './timeline.js';
import { DatabaseOperator, DeploymentController, JobController } from './workload-controllers.js';

export const repoURL = 'https://git.example/platform/apps.git';
/** The commit every Application's HEAD resolves to. */
export const revision = '3f1c9a7e5b2d4c6f8a0e1b3d5f7a9c2e4b6d8f0a';
export const argocdNamespace = 'argocd';

/** How fast the imitated world moves; every scenario sets these small so the suite stays fast. */
export interface Timings {
  /** Poll period of every controller. */
  tickMs: number;
  /** How long a Job runs before it completes or fails. */
  jobMs: number;
  /** How long a Deployment's new generation takes to become available. */
  deploymentMs: number;
  /** How long the database operator takes to publish a connection Secret. */
  databaseMs: number;
  /** Argo CD's periodic reconciliation (timeout.reconciliation, 120 s in Argo CD). */
  resyncMs: number;
  /** Argo CD's self-heal backoff (2 s, x3, capped at 300 s in Argo CD). */
  selfHealBackoff: { baseMs: number; factor: number; capMs: number };
  /** `jetway serve --debounce`, `--min-interval`, `--waiting-refresh`. */
  debounceMs: number;
  minIntervalMs: number;
  waitingRefreshMs: number;
}

export const defaultTimings: Timings = {
  tickMs: 25,
  jobMs: 400,
  deploymentMs: 400,
  databaseMs: 600,
  resyncMs: 60_000,
  selfHealBackoff: { baseMs: 200, factor: 3, capMs: 5_000 },
  debounceMs: 150,
  minIntervalMs: 300,
  waitingRefreshMs: 60_000,
};

/** A directory of the fixture repository: `files` maps names in it to files of this repository or to bytes. */
export interface AppDirectory {
  path: string;
  files: Record<string, string | Uint8Array>;
}

export interface EnvironmentOptions {
  directories: AppDirectory[];
  /** The destination namespace of every Application. */
  namespace: string;
  timings?: Partial<Timings>;
  /** Install the Database CRD and its operator (the app example). */
  databaseOperator?: boolean;
}

/** What a scenario's Application asks for. */
export interface ApplicationRequest {
  name: string;
  path: string;
  parameters: PluginParameter[];
  /** syncPolicy.automated.selfHeal (prune is always on). Default true. */
  selfHeal?: boolean;
}

/** A running imitation; `close` stops everything it started. */
export interface ArgoCdEnvironment {
  api: FakeApiServer;
  timeline: Timeline;
  timings: Timings;
  controller: ApplicationController;
  jobs: JobController;
  service: ServeProcess;
  /** Creates the Application; the controller picks it up on its next pass. */
  createApplication(request: ApplicationRequest): ApplicationObject;
  /** Changes an Application's plugin parameters (a commit to the Application manifest). */
  setParameters(name: string, parameters: PluginParameter[]): void;
  /** SIGKILLs `jetway serve` (as an OOM kill or node loss would). */
  killService(): Promise<void>;
  /** Starts `jetway serve` again on the same socket. */
  restartService(): Promise<void>;
  /** Whether the repo-server is generating manifests right now (faults can be limited to generates). */
  generating(): boolean;
  /** Errors thrown inside the imitation's controllers. */
  errors(): Error[];
  close(): Promise<void>;
}

// Why: the sidecar image has `jetway` on PATH; here a shim runs the built CLI with this Node.
async function jetwayOnPath(dir: string): Promise<string> {
  const bin = join(dir, 'bin');
  await mkdir(bin);
  await writeFile(join(bin, 'jetway'), `#!/bin/sh\nexec "${process.execPath}" "${repoPath('dist/src/cli/main.js')}" "$@"\n`);
  await chmod(join(bin, 'jetway'), 0o755);
  return bin;
}

// Why: the cmp-server copies the whole repository per generate, so each scenario's repository holds only what it uses.
async function fixtureRepository(dir: string, directories: AppDirectory[]): Promise<string> {
  const root = join(dir, 'repo');
  for (const d of directories) {
    await mkdir(join(root, d.path), { recursive: true });
    for (const [name, source] of Object.entries(d.files)) {
      if (typeof source === 'string') await copyFile(repoPath(source), join(root, d.path, name));
      else await writeFile(join(root, d.path, name), source);
    }
  }
  return root;
}

/** The `jetway serve` flags for these timings (Go durations, as the flags take them). */
function serveFlags(t: Timings): string[] {
  return ['--debounce', `${t.debounceMs}ms`, '--min-interval', `${t.minIntervalMs}ms`, '--waiting-refresh', `${t.waitingRefreshMs}ms`, '--argocd-namespace', argocdNamespace];
}

/** Starts the whole imitation around a real `jetway serve`. */
export async function startArgoCd(options: EnvironmentOptions): Promise<ArgoCdEnvironment> {
  const timings = { ...defaultTimings, ...options.timings };
  const timeline = new Timeline();
  const dir = await mkdtemp(join(tmpdir(), 'jetway-argocd-'));
  const api = await startApiServer({ namespaces: ['default', argocdNamespace, options.namespace] });
  if (options.databaseOperator) api.put(makeCrd({ group: 'db.example.com', kind: 'Database' }));
  const socket = join(dir, 'jetway.sock');
  let service = await startServe(api, serveFlags(timings), socket);
  timeline.add({ what: 'service-started', pid: service.process.pid ?? 0 });
  const cmp = new CmpServer({
    plugin: await readPluginConfig(repoPath('plugin.yaml')),
    baseEnv: {
      PATH: `${await jetwayOnPath(dir)}:${process.env['PATH'] ?? ''}`,
      HOME: dir,
      JETWAY_KUBECONFIG: api.kubeconfig(),
      JETWAY_SOCKET: socket,
      JETWAY_CACHE_DIR: join(dir, 'cache'),
    },
    tmpDir: dir,
    deadlineMs: 30_000,
    killGraceMs: 500,
  });
  const repo = new RepoServerImitation({ plugins: [cmp], repositories: { [repoURL]: await fixtureRepository(dir, options.directories) } });
  const applications = `/apis/argoproj.io/v1alpha1/namespaces/${argocdNamespace}/applications/`;
  const unsubscribe = api.onRequest((r) => {
    const refresh = (r.body as KubeObject | undefined)?.metadata?.annotations?.[refreshAnnotation];
    if (r.method === 'PATCH' && r.path.startsWith(applications) && refresh !== undefined) {
      timeline.add({ what: 'refresh-patched', app: basename(r.path), refresh });
    }
  });
  let generating = 0;
  const counted: Pick<RepoServerImitation, 'generate'> = {
    async generate(app, opts) {
      generating++;
      try {
        return await repo.generate(app, opts);
      } finally {
        generating--;
      }
    },
  };
  const world = { api, timeline, tickMs: timings.tickMs };
  const controller = new ApplicationController({
    api,
    repo: counted,
    timeline,
    resolveRevision: () => revision,
    argocdNamespace,
    tickMs: timings.tickMs,
    resyncMs: timings.resyncMs,
    selfHealBackoff: timings.selfHealBackoff,
  });
  const jobs = new JobController({ ...world, durationMs: timings.jobMs });
  const deployments = new DeploymentController({ ...world, readyAfterMs: timings.deploymentMs });
  const databases = options.databaseOperator ? new DatabaseOperator({ ...world, provisionMs: timings.databaseMs }) : undefined;
  const updateSpec = (name: string, change: (spec: ApplicationSpec) => void) =>
    api.mutate('argoproj.io/v1alpha1', 'Application', argocdNamespace, name, (o) => change((o as ApplicationObject).spec));

  return {
    api,
    timeline,
    timings,
    controller,
    jobs,
    get service() {
      return service;
    },
    createApplication(request) {
      const spec: ApplicationSpec = {
        project: 'default',
        destination: { server: 'https://kubernetes.default.svc', namespace: options.namespace },
        source: { repoURL, path: request.path, targetRevision: 'HEAD', plugin: { name: 'jetway', parameters: request.parameters } },
        syncPolicy: { automated: { prune: true, selfHeal: request.selfHeal ?? true } },
      };
      return api.put({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: { name: request.name, namespace: argocdNamespace }, spec }) as ApplicationObject;
    },
    setParameters(name, parameters) {
      updateSpec(name, (spec) => {
        spec.source.plugin = { ...spec.source.plugin, parameters };
      });
    },
    async killService() {
      service.process.kill('SIGKILL');
      await service.process;
      timeline.add({ what: 'service-killed', pid: service.process.pid ?? 0 });
    },
    async restartService() {
      service = await startServe(api, serveFlags(timings), socket);
      timeline.add({ what: 'service-started', pid: service.process.pid ?? 0 });
    },
    generating: () => generating > 0,
    errors() {
      return [...controller.errors, ...jobs.errors, ...deployments.errors, ...(databases?.errors ?? [])];
    },
    async close() {
      unsubscribe();
      await Promise.all([controller.stop(), jobs.stop(), deployments.stop(), databases?.stop()]);
      await service.stop();
      await cmp.settle();
      await api.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The fixture directory of an example flight: its module and input file. */
export function exampleDirectory(example: 'pipeline' | 'app'): AppDirectory {
  return { path: example, files: { [`${example}.wasm.gz`]: `examples/${example}/${example}.wasm.gz`, 'input.json': `examples/${example}/input.json` } };
}
