// One Argo CD installation, imitated, around a real `jetway serve`: the fake API server holds the cluster and the
// Applications; the repo-server imitation runs plugin.yaml's command as shipped (`jetway-generate`, which falls back
// to `jetway generate` here) through the cmp-server imitation, with JETWAY_SOCKET pointing at the service, and the
// sidecar's in-cluster service-account credentials; the
// application controller and the workload controllers act on the cluster; every actor writes to one timeline. Argo CD
// may live in any namespace (`argocdNamespace`), and Applications in other namespaces (apps in any namespace). With
// `remoteCluster`, a second API server (its own CA and tokens) is a cluster Argo CD may deploy to once a cluster Secret
// registers it: the application controller deploys each Application to its destination, and the workload controllers
// run in every cluster.

import { execFileSync } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import type { KubeObject } from '../../../src/cluster/types.js';
import { makeCrd, startApiServer, type FakeApiServer } from '../apiserver.js';
import { bearerConfig, registerCluster, startRemoteApiServer } from '../apiserver/clusters.js';
import { CmpServer, RepoServerImitation, readPluginConfig, type PluginParameter } from '../cmp-server.js';
import { repoPath } from '../paths.js';
import { startServe, type ServeProcess } from '../serve.js';
import {
  ApplicationController,
  refreshAnnotation,
  refreshTimestampAnnotation,
  resourcesFinalizer,
  type ApplicationObject,
  type ApplicationSpec,
  type RefreshAnnotationRule,
} from './application-controller.js';
import { DestinationClusters, type DestinationSpec } from './destinations.js';
import { Kubectl } from './kubectl.js';
import type { SyncWindow } from '../../../src/refresher/sync-windows.js';
import { deployedDownwardEnv } from '../deployed-serve.js';
import { Timeline } from './timeline.js';
import { DatabaseOperator, DeploymentController, GarbageCollector, JobController } from './workload-controllers.js';

export const repoURL = 'https://git.example/platform/apps.git';
/** The commit every Application's HEAD resolves to. */
export const revision = '3f1c9a7e5b2d4c6f8a0e1b3d5f7a9c2e4b6d8f0a';
/** Argo CD's namespace unless a scenario installs it elsewhere. */
export const argocdNamespace = 'argocd';

/**
 * How fast the imitated world moves. Argo CD's own timings default to a shrunk copy of production (`defaultTimings`);
 * jetway's re-check of waiting and failed apps stays at its production default (5 min) everywhere, so no scenario can
 * progress through it. `productionTimings` are Argo CD's and jetway's defaults.
 */
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
  /** The retry of automated syncs (5 s × 2^n, capped at 3 min in Argo CD; 5 retries). */
  syncRetry: { baseMs: number; factor: number; capMs: number };
  /** ARGOCD_SYNC_WAVE_DELAY (2 s in Argo CD). */
  waveDelayMs: number;
  /** How long the garbage collector takes to finish a foreground deletion (a Job's Pods going away). */
  collectMs: number;
  /** The cmp-server's grace between SIGTERM and SIGKILL of a plugin command (5 s in Argo CD). */
  killGraceMs: number;
  /** controller.repo.server.timeout.seconds: a manifest request's deadline from the comparison's start (60 s). */
  repoTimeoutMs: number;
  /** `jetway serve --debounce`, `--min-interval`, `--waiting-refresh`. */
  debounceMs: number;
  minIntervalMs: number;
  waitingRefreshMs: number;
}

/** Argo CD v3.5.1's and jetway's production defaults (the workload durations are the scenario's own). */
export const productionTimings: Omit<Timings, 'tickMs' | 'jobMs' | 'deploymentMs' | 'databaseMs' | 'collectMs'> = {
  resyncMs: 120_000,
  selfHealBackoff: { baseMs: 2_000, factor: 3, capMs: 300_000 },
  syncRetry: { baseMs: 5_000, factor: 2, capMs: 180_000 },
  waveDelayMs: 2_000,
  killGraceMs: 5_000,
  repoTimeoutMs: 60_000,
  debounceMs: 2_000,
  minIntervalMs: 10_000,
  waitingRefreshMs: 300_000,
};

/** How long the imitated workloads take, and how often the imitation's controllers act. */
const workloadTimings = { tickMs: 25, jobMs: 400, deploymentMs: 400, databaseMs: 600, collectMs: 200 };

/** The scenarios' timings: production's, with Argo CD's and jetway's pacing scaled down so a scenario runs in seconds. */
export const defaultTimings: Timings = {
  ...productionTimings,
  ...workloadTimings,
  selfHealBackoff: { baseMs: 200, factor: 3, capMs: 5_000 },
  resyncMs: 60_000,
  waveDelayMs: 100,
  syncRetry: { baseMs: 250, factor: 2, capMs: 9_000 },
  debounceMs: 150,
  minIntervalMs: 300,
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
  /** Where Argo CD is installed. Default "argocd". */
  argocdNamespace?: string;
  /** --application-namespaces: other namespaces Applications may live in. */
  applicationNamespaces?: string[];
  /** Default `v3.5.1`; `master` for argo-cd #28603's rule. */
  refreshAnnotationRule?: RefreshAnnotationRule;
  /** Install jetway's FlightStatus CRD (deploy/flight-status) in the destination, which then lists it in KUBE_API_VERSIONS. */
  flightStatusCrd?: boolean;
  /** Start a remote cluster (`env.remote`) with the destination namespace; register it with `env.registerRemote`. */
  remoteCluster?: boolean;
}

/** What a scenario's Application asks for. */
export interface ApplicationRequest {
  name: string;
  path: string;
  parameters: PluginParameter[];
  /** syncPolicy.automated.selfHeal (prune is always on). Default true. */
  selfHeal?: boolean;
  /** The Application's own namespace. Default Argo CD's. */
  namespace?: string;
  /** syncPolicy.automated at all (with prune). Default true; false leaves every sync to a user (or jetway). */
  automated?: boolean;
  /** metadata.annotations, e.g. jetway's sync opt-in. */
  annotations?: Record<string, string>;
  /** Carry resources-finalizer.argocd.argoproj.io (deleting the app deletes its resources). Default false. */
  cascade?: boolean;
  /** spec.destination's cluster (`server` or `name`). Default the in-cluster server. */
  cluster?: Omit<DestinationSpec, 'namespace'>;
}

/** A remote cluster Argo CD may deploy to, and what registers it. */
export interface RemoteCluster {
  api: FakeApiServer;
  /** Its Job controller (the workload controllers run in every cluster). */
  jobs: JobController;
  /**
   * Writes (or rewrites: a rotation) the cluster Secret in Argo CD's namespace naming the remote `name` at its URL, with
   * `token` (granted on the remote with Argo CD's rights: argocd-manager's cluster-admin) and the remote's CA.
   */
  register(token: string, name?: string): KubeObject;
}

/** A running imitation; `close` stops everything it started. */
export interface ArgoCdEnvironment {
  api: FakeApiServer;
  timeline: Timeline;
  timings: Timings;
  controller: ApplicationController;
  jobs: JobController;
  /** The remote cluster, when the scenario asked for one. */
  remote: RemoteCluster | undefined;
  service: ServeProcess;
  /** Where Argo CD is installed. */
  argocdNamespace: string;
  /** How `jetway generate` in the sidecar reached the cluster: the service account (as deployed) or, where this machine cannot mount one, a kubeconfig. */
  generateCredentials: 'in-cluster' | 'kubeconfig';
  /** The user the sidecar's service account authenticates as. */
  repoServerUser: string;
  /** The user the application controller authenticates as. */
  controllerUser: string;
  /** Creates the Application; the controller picks it up on its next pass. */
  createApplication(request: ApplicationRequest): ApplicationObject;
  /** Changes an Application's plugin parameters (a commit to the Application manifest). */
  setParameters(name: string, parameters: PluginParameter[], namespace?: string): void;
  /** Deletes an Application through the API (`kubectl delete application`): with its finalizer, Argo CD cascades first. */
  deleteApplication(name: string, namespace?: string): Promise<void>;
  /** Replaces the sync windows of the `default` AppProject (an admin editing the project). */
  setSyncWindows(windows: SyncWindow[]): void;
  /** A new commit on the branch every Application tracks: `targetRevision: HEAD` resolves to `sha` from now on. */
  pushCommit(sha: string): void;
  /** The commit HEAD resolves to now. */
  readonly revision: string;
  /** A user pressing Hard Refresh (RefreshApp of the Argo CD version the annotation rule comes from). */
  requestHardRefresh(name: string, namespace?: string): void;
  /** The next reconcile of `app` (its instance name) that began with a requested refresh pauses after its comparison until released. */
  slowReconcile(app: string): { reached: Promise<void>; release(): void };
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
  return ['--debounce', `${t.debounceMs}ms`, '--min-interval', `${t.minIntervalMs}ms`, '--waiting-refresh', `${t.waitingRefreshMs}ms`];
}

/** How this machine can give a process its own /var/run/secrets: a user+mount namespace, a mount namespace (root), or not at all. */
let mountNamespace: string[] | null | undefined;

// Why: the sidecar reads its service account from the fixed in-cluster path; a private mount namespace puts the fake's
// service-account folder there for the plugin's commands only, never on the machine.
function mountNamespaceCommand(): string[] | null {
  if (mountNamespace !== undefined) return mountNamespace;
  mountNamespace = null;
  for (const candidate of [
    ['unshare', '-rm', '--propagation', 'private'],
    ['unshare', '-m', '--propagation', 'private'],
  ]) {
    try {
      execFileSync(candidate[0]!, [...candidate.slice(1), 'sh', '-c', 'mount -t tmpfs tmpfs /var/run'], { stdio: 'ignore', timeout: 5_000 });
      mountNamespace = candidate;
      break;
    } catch {
      // not allowed here; try the next form
    }
  }
  return mountNamespace;
}

/**
 * The `jetway` on the sidecar's PATH. With a service-account folder, the CLI runs in a private mount namespace where
 * that folder is /var/run/secrets/kubernetes.io/serviceaccount, so it loads in-cluster credentials as in the pod.
 */
async function jetwayShim(dir: string, serviceAccount: string | undefined): Promise<string> {
  const bin = join(dir, 'bin');
  await mkdir(bin);
  const cli = `"${process.execPath}" "${repoPath('dist/src/cli/main.js')}"`;
  const ns = serviceAccount ? mountNamespaceCommand() : null;
  const body =
    ns && serviceAccount
      ? `exec ${ns.join(' ')} sh -c 'mount -t tmpfs tmpfs /var/run && mkdir -p ${saPath} && mount --bind "$0" ${saPath} && exec "$@"' "${serviceAccount}${saPath}" ${cli} "$@"`
      : `exec ${cli} "$@"`;
  await writeFile(join(bin, 'jetway'), `#!/bin/sh\n${body}\n`);
  await chmod(join(bin, 'jetway'), 0o755);
  // plugin.yaml's command; `jetway serve` here has no JETWAY_SOURCES_DIR (its credentials are not the repo-server's),
  // so it declines the whole generate and the launcher runs the `jetway` above, with the sidecar's credentials
  await symlink(repoPath('bin/jetway-generate'), join(bin, 'jetway-generate'));
  return bin;
}
const saPath = '/var/run/secrets/kubernetes.io/serviceaccount';

/** Starts the whole imitation around a real `jetway serve`. */
export async function startArgoCd(options: EnvironmentOptions): Promise<ArgoCdEnvironment> {
  const timings = { ...defaultTimings, ...options.timings };
  const home = options.argocdNamespace ?? argocdNamespace;
  const appNamespaces = options.applicationNamespaces ?? [];
  const timeline = new Timeline();
  const dir = await mkdtemp(join(tmpdir(), 'jetway-argocd-'));
  const api = await startApiServer({ namespaces: [...new Set(['default', home, options.namespace, ...appNamespaces])] });
  if (options.databaseOperator) api.put(makeCrd({ group: 'db.example.com', kind: 'Database' }));
  if (options.flightStatusCrd) api.put(yaml.load(await readFile(repoPath('deploy/flight-status/flightstatus-crd.yaml'), 'utf8')) as KubeObject);
  // Argo CD's AppProject CRD and the `default` project every install has (no sync windows until a scenario sets some)
  api.put(makeCrd({ group: 'argoproj.io', kind: 'AppProject', plural: 'appprojects', singular: 'appproject', shortNames: ['appproj', 'appprojs'], versions: ['v1alpha1'] }));
  api.put({ apiVersion: 'argoproj.io/v1alpha1', kind: 'AppProject', metadata: { name: 'default', namespace: home }, spec: { sourceRepos: ['*'], destinations: [{ namespace: '*', server: '*' }] } });
  let headRevision = revision;
  // the repo-server's service account, as the deploy binds it: read access to the cluster
  const repoServerUser = `system:serviceaccount:${home}:argocd-repo-server`;
  api.addToken('argocd-repo-server-token', [{ verbs: ['get', 'list', 'watch'], apiGroups: ['*'], resources: ['*'] }], repoServerUser);
  const serviceAccount = api.serviceAccountDir('argocd-repo-server-token', home);
  const bin = await jetwayShim(dir, serviceAccount);
  const generateCredentials = mountNamespaceCommand() ? 'in-cluster' : 'kubeconfig';
  const socket = join(dir, 'jetway.sock');
  const flags = serveFlags(timings);
  // serve learns Argo CD's namespace as deployed: the downward-API env of deploy/repo-server-patch.yaml, no flag (issue 13)
  const serveEnv = deployedDownwardEnv(home);
  let service = await startServe(api, flags, socket, serveEnv);
  timeline.add({ what: 'service-started', pid: service.process.pid ?? 0 });
  const cmp = new CmpServer({
    plugin: await readPluginConfig(repoPath('plugin.yaml')),
    baseEnv: {
      PATH: `${bin}:${process.env['PATH'] ?? ''}`,
      HOME: dir,
      // a pod's environment: the API server's service address; credentials from the mounted service account
      ...(generateCredentials === 'in-cluster' ? api.inClusterEnv() : { JETWAY_KUBECONFIG: api.kubeconfig('argocd-repo-server-token') }),
      JETWAY_SOCKET: socket,
      JETWAY_CACHE_DIR: join(dir, 'cache'),
    },
    tmpDir: dir,
    killGraceMs: timings.killGraceMs,
  });
  const repo = new RepoServerImitation({ plugins: [cmp], repositories: { [repoURL]: await fixtureRepository(dir, options.directories) }, argocdNamespace: home });
  const unsubscribe = api.onRequest((r) => {
    const refresh = (r.body as KubeObject | undefined)?.metadata?.annotations?.[refreshAnnotation];
    const path = /^\/apis\/argoproj\.io\/v1alpha1\/namespaces\/([^/]+)\/applications\/([^/]+)$/.exec(r.path);
    if (r.method === 'PATCH' && path && refresh !== undefined) {
      timeline.add({ what: 'refresh-patched', app: path[1] === home ? path[2]! : `${path[1]}_${path[2]}`, refresh });
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
  const gates = new Map<string, { arrived(): void; released: Promise<void> }>();
  const releases = new Set<() => void>();
  // the application controller's own service account (cluster-admin, as the install binds it)
  const controllerUser = `system:serviceaccount:${home}:argocd-application-controller`;
  api.addToken('argocd-application-controller-token', [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }], controllerUser);
  const kubectl = new Kubectl(api.kubeconfig('argocd-application-controller-token'));
  const world = { api, timeline, tickMs: timings.tickMs };
  const remoteApi = options.remoteCluster ? await startRemoteApiServer(['default', options.namespace]) : undefined;
  const destinations = new DestinationClusters({ api, kubectl, argocdNamespace: home }, remoteApi ? [remoteApi] : []);
  const controller = new ApplicationController({
    api,
    kubectl,
    destinations: (destination) => destinations.resolve(destination),
    repo: counted,
    timeline,
    resolveRevision: () => headRevision,
    argocdNamespace: home,
    applicationNamespaces: appNamespaces,
    tickMs: timings.tickMs,
    resyncMs: timings.resyncMs,
    selfHealBackoff: timings.selfHealBackoff,
    syncRetry: { limit: 5, backoff: { durationMs: timings.syncRetry.baseMs, factor: timings.syncRetry.factor, maxDurationMs: timings.syncRetry.capMs } },
    waveDelayMs: timings.waveDelayMs,
    repoTimeoutMs: timings.repoTimeoutMs,
    refreshAnnotationRule: options.refreshAnnotationRule ?? 'v3.5.1',
    async afterCompare(app, requested) {
      const gate = gates.get(app);
      if (!gate || !requested) return;
      gates.delete(app);
      gate.arrived();
      await gate.released;
    },
  });
  const jobs = new JobController({ ...world, durationMs: timings.jobMs });
  const deployments = new DeploymentController({ ...world, readyAfterMs: timings.deploymentMs });
  const collector = new GarbageCollector({ ...world, kubectl, collectMs: timings.collectMs });
  const databases = options.databaseOperator ? new DatabaseOperator({ ...world, provisionMs: timings.databaseMs }) : undefined;
  // the remote's own controllers: its Jobs run and its foreground deletions finish there
  const remoteWorld = remoteApi ? { api: remoteApi, timeline, tickMs: timings.tickMs } : undefined;
  const remoteKubectl = remoteApi ? new Kubectl(remoteApi.kubeconfig()) : undefined;
  const remote: (RemoteCluster & { collector: GarbageCollector; deployments: DeploymentController }) | undefined =
    remoteWorld && remoteKubectl
      ? {
          api: remoteWorld.api,
          jobs: new JobController({ ...remoteWorld, durationMs: timings.jobMs }),
          deployments: new DeploymentController({ ...remoteWorld, readyAfterMs: timings.deploymentMs }),
          collector: new GarbageCollector({ ...remoteWorld, kubectl: remoteKubectl, collectMs: timings.collectMs }),
          register(token, name = 'remote') {
            remoteWorld.api.addToken(token, [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }], 'system:serviceaccount:kube-system:argocd-manager');
            const secret = registerCluster(api, { secretName: `cluster-${name}`, name, server: remoteWorld.api.url, config: bearerConfig(token, remoteWorld.api.ca), namespace: home });
            timeline.add({ what: 'user', action: `registered cluster ${name} (${remoteWorld.api.url})` });
            return secret;
          },
        }
      : undefined;
  const application = (name: string, namespace = home) => api.get('argoproj.io/v1alpha1', 'Application', namespace, name) as ApplicationObject;

  return {
    api,
    timeline,
    timings,
    controller,
    jobs,
    remote,
    argocdNamespace: home,
    generateCredentials,
    repoServerUser,
    controllerUser,
    get service() {
      return service;
    },
    createApplication(request) {
      const spec: ApplicationSpec = {
        project: 'default',
        destination: { ...(request.cluster ?? { server: 'https://kubernetes.default.svc' }), namespace: options.namespace },
        source: { repoURL, path: request.path, targetRevision: 'HEAD', plugin: { name: 'jetway', parameters: request.parameters } },
        syncPolicy: request.automated === false ? {} : { automated: { prune: true, selfHeal: request.selfHeal ?? true } },
      };
      const metadata = {
        name: request.name,
        namespace: request.namespace ?? home,
        ...(request.cascade ? { finalizers: [resourcesFinalizer] } : {}),
        ...(request.annotations ? { annotations: request.annotations } : {}),
      };
      return api.put({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata, spec }) as ApplicationObject;
    },
    setParameters(name, parameters, namespace = home) {
      api.mutate('argoproj.io/v1alpha1', 'Application', namespace, name, (o) => {
        const spec = (o as ApplicationObject).spec;
        spec.source.plugin = { ...spec.source.plugin, parameters };
      });
    },
    async deleteApplication(name, namespace = home) {
      await kubectl.delete(application(name, namespace), 'Background');
    },
    setSyncWindows(windows) {
      api.mutate('argoproj.io/v1alpha1', 'AppProject', home, 'default', (o) => {
        (o as KubeObject & { spec: { syncWindows?: SyncWindow[] } }).spec.syncWindows = structuredClone(windows);
      });
      timeline.add({ what: 'user', action: `set the sync windows of AppProject default: ${JSON.stringify(windows)}` });
    },
    pushCommit(sha) {
      headRevision = sha;
      timeline.add({ what: 'user', action: `pushed commit ${sha}` });
    },
    get revision() {
      return headRevision;
    },
    requestHardRefresh(name, namespace = home) {
      // RefreshApp: v3.5.1 sets the annotation alone; master (with #28603) adds a new refresh-timestamp
      const stamp: Record<string, string> = options.refreshAnnotationRule === 'master' ? { [refreshTimestampAnnotation]: new Date().toISOString() } : {};
      api.mutate('argoproj.io/v1alpha1', 'Application', namespace, name, (o) => {
        o.metadata = { ...o.metadata, annotations: { ...(o.metadata?.annotations ?? {}), [refreshAnnotation]: 'hard', ...stamp } };
      });
    },
    slowReconcile(app) {
      let release!: () => void;
      let arrived!: () => void;
      const reached = new Promise<void>((resolve) => (arrived = resolve));
      const released = new Promise<void>((resolve) => (release = resolve));
      releases.add(release);
      gates.set(app, { arrived, released });
      return { reached, release };
    },
    async killService() {
      service.process.kill('SIGKILL');
      await service.process;
      timeline.add({ what: 'service-killed', pid: service.process.pid ?? 0 });
    },
    async restartService() {
      service = await startServe(api, flags, socket, serveEnv);
      timeline.add({ what: 'service-started', pid: service.process.pid ?? 0 });
    },
    generating: () => generating > 0,
    errors() {
      const remoteErrors = remote ? [...remote.jobs.errors, ...remote.deployments.errors, ...remote.collector.errors] : [];
      return [...controller.errors, ...jobs.errors, ...deployments.errors, ...collector.errors, ...(databases?.errors ?? []), ...remoteErrors];
    },
    async close() {
      unsubscribe();
      for (const release of releases) release();
      await Promise.all([controller.stop(), jobs.stop(), deployments.stop(), collector.stop(), databases?.stop(), remote?.jobs.stop(), remote?.deployments.stop(), remote?.collector.stop()]);
      await service.stop();
      await cmp.settle();
      kubectl.close();
      destinations.close();
      remoteKubectl?.close();
      await api.close();
      await remoteApi?.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The fixture directory of an example flight: its module and input file. */
export function exampleDirectory(example: 'pipeline' | 'app'): AppDirectory {
  return { path: example, files: { [`${example}.wasm.gz`]: `examples/${example}/${example}.wasm.gz`, 'input.json': `examples/${example}/input.json` } };
}
