// The scenarios of issue 18: what a released Argo CD (v3.5.1) throws at jetway. Each drives the imitation and returns
// what happened; the tests in test/scenarios assert over it. Every run keeps jetway's re-check of waiting and failed apps
// at its default (5 min), so none can progress through it.

import { fetchRecords } from '../../../src/service/client.js';
import type { RecordView } from '../../../src/refresher/records.js';
import type { PluginParameter } from '../cmp-server.js';
import { metric } from '../serve.js';
import { productionTimings, type AppDirectory, type ArgoCdEnvironment, type EnvironmentOptions } from './environment.js';
import {
  applicationOf,
  createPipelineApplication,
  deployed,
  flightStatus,
  jobState,
  pipeline,
  pipelineCompleted,
  pipelineScenario,
  scenario,
  settled,
  stepsDirectory,
  stepsParameters,
  type ScenarioBody,
  type ScenarioOptions,
  type ScenarioResult,
  type Wait,
} from './scenarios.js';

/** Waits until a promise has settled (a gate reached), failing the scenario after the step timeout like any wait. */
async function reached(wait: Wait, what: string, promise: Promise<void>): Promise<void> {
  let done = false;
  void promise.then(() => (done = true));
  await wait(what, () => done);
}

/** The gated test flight's directory (test/flights/gated). */
const gatedDirectory = (path: string): AppDirectory => ({ path, files: { 'gated.wasm.gz': 'test/flights/wasm/gated.wasm.gz' } });

/** A gated flight's parameters: its stages, the objects that wait for a ConfigMap, and read access to those ConfigMaps. */
function gatedParameters(stages: unknown[][], gated: Array<{ configMap: string; stage: number; object: unknown }> = []): PluginParameter[] {
  return [
    { name: 'clusterAccess', string: 'true' },
    { name: 'input', string: JSON.stringify({ stages, gated }) },
    ...(gated.length > 0 ? [{ name: 'resourceMatchers', array: [...new Set(gated.map((g) => `ConfigMap:${g.configMap}`))] }] : []),
    { name: 'wasm', string: 'gated.wasm.gz' },
  ];
}

/** The gated flight's app `staged`, and the namespace it deploys to. */
const staged = { app: 'staged', namespace: 'staged' } as const;

/** Runs `body` with the gated flight as app `staged`; `environment` adds to that. */
function stagedScenario(options: ScenarioOptions, body: ScenarioBody, environment: Partial<EnvironmentOptions> = {}): Promise<ScenarioResult> {
  return scenario({ directories: [gatedDirectory(staged.app)], namespace: staged.namespace, ...environment }, staged.app, body, options);
}

/** `options` with Argo CD's automated sync retried quickly (100 ms, doubling, at most 1 s), unless they set their own. */
function withQuickSyncRetry(options: ScenarioOptions): ScenarioOptions {
  return { ...options, timings: { syncRetry: { baseMs: 100, factor: 2, capMs: 1_000 }, ...options.timings } };
}

/** A Job that prints its step. */
function job(name: string, image = 'busybox:1.36'): Record<string, unknown> {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name },
    spec: { backoffLimit: 0, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'step', image, command: ['sh', '-c', `echo ${name}`] }] } } },
  };
}

/** A Deployment of nginx. */
function deployment(name: string): Record<string, unknown> {
  const labels = { 'app.kubernetes.io/name': name };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: { replicas: 1, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } } },
  };
}

/** A ConfigMap. */
function configMap(name: string, data: Record<string, string> = { ready: 'true' }): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data };
}

/** Whether the service holds a record for `app` (undefined while it does not answer). */
async function hasRecord(env: ArgoCdEnvironment, app: string): Promise<boolean | undefined> {
  try {
    return ((await fetchRecords(env.service.socket)) as RecordView[]).some((r) => r.app === app);
  } catch {
    return undefined;
  }
}

/**
 * The lost refresh: job one is held while a user's Hard Refresh reconcile is slow after its generate (the reconcile
 * began with the refresh annotation). Job one completes during it and jetway asks for a hard refresh, which lands
 * while the reconcile runs. Under v3.5.1's rule the reconcile's status write removes that annotation; jetway must
 * notice its refresh was not honoured and ask again, so job two is generated within debounce + a few seconds.
 */
export function runLostRefreshScenario(options: ScenarioOptions = {}): Promise<ScenarioResult> {
  const { app, namespace } = pipeline;
  return pipelineScenario(options, async (env, wait, checkpoint) => {
    env.jobs.holdJob(`${app}-one`);
    createPipelineApplication(env);
    await wait('jetway recorded a run that saw job one running, and Argo CD is idle', async () => {
      const stored = applicationOf(env, app);
      const idle = stored?.metadata?.annotations?.['argocd.argoproj.io/refresh'] === undefined && !env.generating() && stored?.operation === undefined;
      return idle && stored?.status?.sync?.status === 'Synced' && (await flightStatus(env, app)) === 'waiting for job one to complete';
    });
    const gate = env.slowReconcile(app);
    env.requestHardRefresh(app);
    env.timeline.add({ what: 'user', action: 'pressed Hard Refresh' });
    await reached(wait, 'the hard-refresh reconcile has compared and is slow to finish', gate.reached);
    env.timeline.add({ what: 'user', action: 'reconcile slowed' });
    env.jobs.releaseJob(`${app}-one`);
    await wait('job one has completed', () => jobState(env, namespace, `${app}-one`) === 'complete');
    const done = env.timeline.first('job-completed', `Job/${app}-one`);
    await wait('jetway asked for a hard refresh after job one completed', () => env.timeline.of('refresh-patched').some((p) => p.at > done));
    gate.release();
    env.timeline.add({ what: 'user', action: 'the slow reconcile finished' });
    await wait('a generate emitted job two', () => env.timeline.of('generated').some((g) => g.result === 'ran' && g.objects.includes(`Job/${app}-two`)));
    await pipelineCompleted(wait, env, checkpoint);
  });
}

/**
 * A staged flight whose output changes mid-sync: the first sync applies the migration Job (wave 0) and waits for it;
 * meanwhile a feature flag ConfigMap appears, jetway hard-refreshes, and the flight now adds a ConfigMap to wave 1.
 * Argo CD re-plans the running sync through the manifest cache, so the same operation applies the ConfigMap with the
 * Deployment. Argo CD's production delay between waves (2 s).
 */
export function runMidSyncChangeScenario(options: ScenarioOptions = {}): Promise<ScenarioResult> {
  const { app, namespace } = staged;
  const parameters = gatedParameters([[job('migrate')], [deployment('web')]], [{ configMap: 'feature-flag', stage: 1, object: configMap('settings') }]);
  return stagedScenario(
    options,
    async (env, wait, checkpoint) => {
      env.jobs.holdJob('migrate');
      env.createApplication({ name: app, path: 'staged', parameters });
      await wait('the sync waits for the migration', () => applicationOf(env, app)?.status?.operationState?.message === 'waiting for healthy state of batch/Job/migrate');
      await checkpoint('first-wave');
      env.api.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'feature-flag', namespace }, data: { enabled: 'true' } });
      env.timeline.add({ what: 'user', action: 'created ConfigMap feature-flag' });
      await wait('a generate emitted the gated ConfigMap', () => env.timeline.of('generated').some((g) => g.result === 'ran' && g.objects.includes('ConfigMap/settings')));
      await checkpoint('output-changed');
      env.jobs.releaseJob('migrate');
      await deployed(wait, env, app);
      await checkpoint('end');
    },
    { timings: { waveDelayMs: productionTimings.waveDelayMs } },
  );
}

/**
 * A failing wave: the migration Job fails (Degraded), so the sync fails before the Deployment's wave; Argo CD retries
 * the automated sync 5 times with its backoff and skips auto-sync meanwhile, then gives up with "(retried 5 times)".
 * The user fixes the Job, deletes it and presses Sync.
 */
export function runFailingWaveScenario(options: ScenarioOptions = {}): Promise<ScenarioResult> {
  const { app, namespace } = staged;
  const parameters = gatedParameters([[job('migrate')], [deployment('web')]]);
  return stagedScenario(withQuickSyncRetry(options), async (env, wait, checkpoint) => {
    env.jobs.failJob('migrate', 'migration exited with code 1');
    env.createApplication({ name: app, path: 'staged', parameters });
    await wait('the sync has failed for good', () => applicationOf(env, app)?.status?.operationState?.phase === 'Failed');
    await wait('the app shows the sync error', () => applicationOf(env, app)?.status?.conditions?.some((c) => c.type === 'SyncError') === true);
    await checkpoint('failed');
    env.jobs.fixJob('migrate');
    env.api.remove('batch/v1', 'Job', namespace, 'migrate');
    env.controller.sync(app);
    env.timeline.add({ what: 'user', action: 'fixed and deleted Job/migrate, pressed Sync' });
    await deployed(wait, env, app);
    await checkpoint('end');
  });
}

/**
 * A flight that changes an existing Job's pod template: the API server refuses the update (422, field is immutable);
 * the client-side dry run does not catch it, the apply does, and the automated sync fails after its retries.
 */
export function runImmutableJobScenario(options: ScenarioOptions = {}): Promise<ScenarioResult> {
  const { app, namespace } = staged;
  return stagedScenario(withQuickSyncRetry(options), async (env, wait, checkpoint) => {
    env.createApplication({ name: app, path: 'staged', parameters: gatedParameters([[job('migrate')]]) });
    await wait('the migration has completed', () => jobState(env, namespace, 'migrate') === 'complete');
    await settled(wait, env, app);
    env.setParameters(app, gatedParameters([[job('migrate', 'busybox:1.37')]]));
    env.timeline.add({ what: 'user', action: 'the flight now emits Job/migrate with image busybox:1.37' });
    await wait('the sync has failed for good', () => {
      const state = applicationOf(env, app)?.status?.operationState;
      return state?.phase === 'Failed' && state.message.includes('retried');
    });
    await checkpoint('refused');
  });
}

/** The steps of the production-ratio pipeline. */
export const productionSteps = ['one', 'two', 'three', 'four', 'five'];

/**
 * One five-step pipeline (test/flights/steps) at production ratios: Argo CD v3.5.1's defaults (self-heal backoff 2 s ×3,
 * 2 s between waves, retries 5 s ×2, reconciliation 120 s) and jetway's (debounce 2 s, re-check 5 min) with
 * `--min-interval 1s`, below the self-heal base, so Argo CD's backoff is what paces the later stages. Jobs run 1 s.
 */
export function runProductionRatioScenario(options: ScenarioOptions = {}): Promise<ScenarioResult> {
  const timings = { ...productionTimings, minIntervalMs: 1_000, tickMs: 50, jobMs: 1_000, deploymentMs: 1_000, databaseMs: 1_000, collectMs: 500 };
  return pipelineScenario(
    { stepTimeoutMs: 120_000, ...options },
    async (env, wait, checkpoint) => {
      createPipelineApplication(env, { path: stepsDirectory.path, parameters: stepsParameters(productionSteps) });
      await pipelineCompleted(wait, env, checkpoint, productionSteps.at(-1));
    },
    { directories: [stepsDirectory], timings },
  );
}

/**
 * The Application deleted mid-pipeline: it carries Argo CD's resources finalizer, so deletion marks it
 * (deletionTimestamp), Argo CD deletes its Jobs in the foreground, then removes the finalizer. jetway must drop its
 * record and its watches, and job three is never created.
 */
export function runApplicationDeletedScenario(options: ScenarioOptions = {}): Promise<ScenarioResult> {
  const { app, namespace } = pipeline;
  return pipelineScenario(options, async (env, wait, checkpoint) => {
    env.jobs.holdJob(`${app}-two`);
    createPipelineApplication(env, { cascade: true });
    await wait('job two is running', () => jobState(env, namespace, `${app}-two`) === 'running');
    await wait('jetway watches what the flight looked up', async () => (await metric(env.service.opsUrl, 'jetway_watches_open')) > 0);
    await checkpoint('mid-pipeline');
    await env.deleteApplication(app);
    env.timeline.add({ what: 'user', action: 'deleted the Application' });
    await wait('the Application is gone', () => applicationOf(env, app) === undefined);
    await wait('no Job of the app is left', () => env.api.list('batch/v1', 'Job', namespace).length === 0);
    await wait('jetway dropped its record of the app', async () => (await hasRecord(env, app)) === false);
    await wait('jetway closed its watches', async () => (await metric(env.service.opsUrl, 'jetway_watches_open')) === 0);
    await checkpoint('end');
  });
}

/**
 * Two apps wait on one shared object (a ConfigMap another team creates): both look it up, jetway watches it once for
 * both, and its creation hard-refreshes each app, which then adds its own ConfigMap.
 */
export function runSharedObjectScenario(options: ScenarioOptions = {}): Promise<ScenarioResult> {
  const namespace = 'shared';
  const apps = ['alpha', 'beta'];
  const directories = apps.map((a) => gatedDirectory(a));
  return scenario(
    { directories, namespace },
    apps[0]!,
    async (env, wait, checkpoint) => {
      for (const a of apps) {
        env.createApplication({ name: a, path: a, parameters: gatedParameters([[configMap(`${a}-base`)]], [{ configMap: 'go-live', stage: 0, object: configMap(`${a}-live`) }]) });
      }
      await wait('both apps are synced and waiting', async () => {
        const statuses = await Promise.all(apps.map(async (a) => applicationOf(env, a)?.status?.sync?.status === 'Synced' && (await hasRecord(env, a)) === true));
        return statuses.every(Boolean);
      });
      await checkpoint('waiting');
      env.api.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'go-live', namespace }, data: { at: 'now' } });
      env.timeline.add({ what: 'user', action: 'created ConfigMap go-live' });
      await wait('both apps applied their gated ConfigMap', () => apps.every((a) => env.api.get('v1', 'ConfigMap', namespace, `${a}-live`) !== undefined));
      for (const a of apps) await settled(wait, env, a);
      await checkpoint('end');
    },
    options,
  );
}

/**
 * An Application outside Argo CD's namespace (apps in any namespace): ARGOCD_APP_NAME is `<namespace>_<name>`, and
 * jetway must refresh that Application in its own namespace. Uses the gated flight: its object names do not derive
 * from the release, which is not a valid object name there.
 */
export function runAppInOtherNamespaceScenario(options: ScenarioOptions = {}): Promise<ScenarioResult> {
  const appNamespace = 'team-a';
  const app = `${appNamespace}_web`;
  const namespace = 'web';
  const parameters = gatedParameters([[configMap('web-base')]], [{ configMap: 'go-live', stage: 0, object: deployment('web') }]);
  return scenario(
    { directories: [gatedDirectory('web')], namespace, applicationNamespaces: [appNamespace] },
    app,
    async (env, wait, checkpoint) => {
      env.createApplication({ name: 'web', path: 'web', parameters, namespace: appNamespace });
      await wait('the app is synced and jetway holds its record', async () => applicationOf(env, app)?.status?.sync?.status === 'Synced' && (await hasRecord(env, app)) === true);
      env.api.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'go-live', namespace }, data: { at: 'now' } });
      env.timeline.add({ what: 'user', action: 'created ConfigMap go-live' });
      await deployed(wait, env, app);
      await checkpoint('end');
    },
    options,
  );
}

/** Argo CD installed in namespace `gitops` (issue 13): the pipeline example end to end; serve learns the namespace from POD_NAMESPACE. */
export function runArgoCdInGitopsScenario(options: ScenarioOptions = {}): Promise<ScenarioResult> {
  return pipelineScenario(
    options,
    async (env, wait, checkpoint) => {
      createPipelineApplication(env);
      await pipelineCompleted(wait, env, checkpoint);
    },
    { argocdNamespace: 'gitops' },
  );
}

/**
 * `jetway generate` in the sidecar on its own (jetway serve is down, so generate runs in-process): the plugin container
 * holds no cluster credentials (issue 14), whatever its environment offers, so the pipeline's generate fails. Returns the
 * users the API server saw for lookups of the app's Jobs (none expected) and the failure.
 */
export async function runSidecarCredentialsScenario(options: ScenarioOptions = {}): Promise<ScenarioResult & { lookupUsers: string[]; error: string }> {
  const { namespace } = pipeline;
  let lookupUsers: string[] = [];
  let error = '';
  const result = await pipelineScenario(options, async (env, wait, checkpoint) => {
    await env.killService();
    createPipelineApplication(env);
    // issue 14: the plugin container holds no credentials, so with the service gone the generate fails in one line
    await wait('a generate failed', () => env.timeline.of('generated').some((g) => g.result === 'failed'));
    error = env.timeline.of('generated').find((g) => g.result === 'failed')?.error ?? '';
    // everything but the controller's own reads and applies: what generate did
    const jobs = env.api.requests.filter((r) => r.path.startsWith(`/apis/batch/v1/namespaces/${namespace}/jobs`) && r.user !== env.controllerUser);
    lookupUsers = [...new Set(jobs.map((r) => r.user ?? ''))];
    await checkpoint('end');
  });
  return { ...result, lookupUsers, error };
}
