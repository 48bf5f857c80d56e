// The scenarios of issue 7, each a function that drives the imitation and returns what happened: the scenario tests
// assert over the result, and the benchmark times them. Every run starts and closes its own environment.

import type { KubeObject } from '../../../src/cluster/types.js';
import type { RecordView } from '../../../src/refresher/records.js';
import { fetchRecords } from '../../../src/service/client.js';
import type { PluginParameter } from '../cmp-server.js';
import { watModule } from '../wat.js';
import type { ApplicationObject, RefreshAnnotationRule } from './application-controller.js';
import { exampleDirectory, startArgoCd, type AppDirectory, type ApplicationRequest, type ArgoCdEnvironment, type EnvironmentOptions, type Timings } from './environment.js';
import type { Timeline } from './timeline.js';

export interface ScenarioOptions {
  timings?: Partial<Timings>;
  /** Longest wait for any one expected state. Default 20 s. */
  stepTimeoutMs?: number;
  /** The controller's refresh annotation rule. Default `v3.5.1`. */
  refreshAnnotationRule?: RefreshAnnotationRule;
}

/** The state of one app at a moment, as a user would look at it. */
export interface Snapshot {
  at: number;
  sync: string | undefined;
  health: string | undefined;
  conditions: string[];
  /** The sync operation's phase and message, as the UI shows it. */
  operation: string | undefined;
  /** The app's live Jobs, Deployments, ConfigMaps and Databases (by Argo CD's tracking id), as "Kind/name". */
  live: string[];
  /** The flight's status as `jetway status` shows it. */
  flightStatus: string | undefined;
}

/** An Event on the Application, as the Argo CD UI lists it. */
export interface AppEvent {
  type: string;
  reason: string;
  message: string;
  count: number;
}

export interface ScenarioResult {
  timeline: Timeline;
  /** Hard refreshes jetway patched onto the Application. */
  refreshCycles: number;
  wallMs: number;
  /** Named moments of the scenario. */
  checkpoints: Record<string, Snapshot>;
  /** The Events on the Application at the end. */
  events: AppEvent[];
}

/** Runs assertions over a result; a failure carries the scenario's timeline, so the order that broke is visible. */
export function explain(result: ScenarioResult, assertions: () => void): void {
  try {
    assertions();
  } catch (error) {
    if (error instanceof Error) error.message += `\n--- timeline ---\n${result.timeline}`;
    throw error;
  }
}

/** Polls `check` until it holds; on timeout the error carries the timeline and the controllers' errors. */
async function waitFor(env: ArgoCdEnvironment, what: string, check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) {
      const errors = env.errors().map((e) => e.message);
      const logs = env.service.logs.slice(-15).map((l) => JSON.stringify(l));
      throw new Error(
        `timed out after ${timeoutMs} ms waiting until ${what}\n--- timeline ---\n${env.timeline}\n--- controller errors ---\n${errors.join('\n')}\n--- jetway serve log (last lines) ---\n${logs.join('\n')}`,
      );
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Where the Application of an instance name (`name`, or `<namespace>_<name>` outside Argo CD's namespace) lives. */
function applicationRef(env: ArgoCdEnvironment, app: string): { namespace: string; name: string } {
  const split = app.indexOf('_');
  return split < 0 ? { namespace: env.argocdNamespace, name: app } : { namespace: app.slice(0, split), name: app.slice(split + 1) };
}

/** The Application of an instance name, as stored now. */
export function applicationOf(env: ArgoCdEnvironment, app: string): ApplicationObject | undefined {
  const ref = applicationRef(env, app);
  return env.controller.application(ref.name, ref.namespace);
}

/** The record `jetway status` shows for `app`, if the service holds one (undefined while it is down). */
export async function flightRecord(env: ArgoCdEnvironment, app: string): Promise<RecordView | undefined> {
  try {
    return ((await fetchRecords(env.service.socket)) as RecordView[]).find((r) => r.app === app);
  } catch {
    return undefined;
  }
}

/** The flight's status as `jetway status` shows it right now. */
export async function flightStatus(env: ArgoCdEnvironment, app: string): Promise<string | undefined> {
  return (await flightRecord(env, app))?.statusMessage;
}

/** The Events whose involvedObject is the Application, oldest first. */
function applicationEvents(env: ArgoCdEnvironment, app: string): AppEvent[] {
  const ref = applicationRef(env, app);
  return env.api
    .list('v1', 'Event', ref.namespace)
    .filter((e) => (e['involvedObject'] as { name?: string } | undefined)?.name === ref.name)
    .sort((a, b) => String(a['firstTimestamp']).localeCompare(String(b['firstTimestamp'])))
    .map((e) => ({ type: String(e['type']), reason: String(e['reason']), message: String(e['message']), count: Number(e['count']) }));
}

/** What the user sees of `app` now. */
async function snapshot(env: ArgoCdEnvironment, app: string): Promise<Snapshot> {
  const status = applicationOf(env, app)?.status;
  const live = (kind: [string, string]) =>
    env.api
      .list(...kind)
      .filter((o: KubeObject) => o.metadata?.annotations?.['argocd.argoproj.io/tracking-id']?.startsWith(`${app}:`))
      .map((o) => `${kind[1]}/${o.metadata?.name}`);
  const kinds: Array<[string, string]> = [
    ['batch/v1', 'Job'],
    ['apps/v1', 'Deployment'],
    ['v1', 'ConfigMap'],
  ];
  if (env.api.get('apiextensions.k8s.io/v1', 'CustomResourceDefinition', undefined, 'databases.db.example.com')) kinds.push(['db.example.com/v1', 'Database']);
  return {
    at: env.timeline.now(),
    sync: status?.sync?.status,
    health: status?.health?.status,
    conditions: (status?.conditions ?? []).map((c) => `${c.type}: ${c.message}`),
    operation: status?.operationState ? `${status.operationState.phase}: ${status.operationState.message}` : undefined,
    live: kinds.flatMap(live).sort(),
    flightStatus: await flightStatus(env, app),
  };
}

/** The result of a finished scenario; closes the environment. */
async function finish(env: ArgoCdEnvironment, app: string, started: number, checkpoints: Record<string, Snapshot>): Promise<ScenarioResult> {
  const events = applicationEvents(env, app);
  const errors = env.errors();
  await env.close();
  if (errors.length > 0) throw new Error(`the imitation's controllers failed:\n${errors.map((e) => e.stack).join('\n')}`);
  return {
    timeline: env.timeline,
    refreshCycles: env.timeline.of('refresh-patched').filter((e) => e.app === app).length,
    wallMs: Date.now() - started,
    checkpoints,
    events,
  };
}

/** Waits until a condition holds, failing the scenario after its step timeout. */
export type Wait = (what: string, check: () => boolean | Promise<boolean>) => Promise<void>;

/** Until Argo CD shows the app Synced and Healthy. */
export function settled(wait: Wait, env: ArgoCdEnvironment, app: string): Promise<void> {
  return wait('the app is synced and healthy', () => {
    const status = applicationOf(env, app)?.status;
    return status?.sync?.status === 'Synced' && status.health?.status === 'Healthy';
  });
}

/** Until the pipeline flight reports completion and Argo CD shows the app settled. */
export async function completed(wait: Wait, env: ArgoCdEnvironment, app: string): Promise<void> {
  await wait('the flight reports that all jobs have completed', async () => (await flightStatus(env, app)) === 'all jobs have completed');
  await progressed(wait, env, app, 'all jobs have completed');
  await settled(wait, env, app);
}

/** Until jetway's FlightProgressed Event for `status` is on the Application (it is written after the record). */
function progressed(wait: Wait, env: ArgoCdEnvironment, app: string, status: string): Promise<void> {
  return wait(`the Application has the FlightProgressed Event to "${status}"`, () => applicationEvents(env, app).some((e) => e.reason === 'FlightProgressed' && e.message.endsWith(`to "${status}"`)));
}

/** What a scenario does in its environment: it waits for states and records named moments (checkpoints). */
export type ScenarioBody = (env: ArgoCdEnvironment, wait: Wait, checkpoint: (name: string) => Promise<void>) => Promise<void>;

/** Runs `body` in a fresh environment, closing it even when the body throws. */
export async function scenario(environment: EnvironmentOptions, app: string, body: ScenarioBody, options: ScenarioOptions): Promise<ScenarioResult> {
  const started = Date.now();
  const env = await startArgoCd({
    ...environment,
    timings: { ...environment.timings, ...options.timings },
    ...(options.refreshAnnotationRule ? { refreshAnnotationRule: options.refreshAnnotationRule } : {}),
  });
  const checkpoints: Record<string, Snapshot> = {};
  try {
    await body(
      env,
      (what, check) => waitFor(env, what, check, options.stepTimeoutMs ?? 20_000),
      async (name) => {
        checkpoints[name] = await snapshot(env, app);
      },
    );
  } catch (error) {
    await env.close();
    throw error;
  }
  return finish(env, app, started, checkpoints);
}

/** The parameters of the pipeline example's Application. */
export function pipelineParameters(): PluginParameter[] {
  return [
    { name: 'clusterAccess', string: 'true' },
    { name: 'inputFiles', array: ['input.json'] },
    { name: 'wasm', string: 'pipeline.wasm.gz' },
  ];
}

/** The pipeline example's Application, and the namespace its Jobs run in. */
export const pipeline = { app: 'pipeline', namespace: 'pipelines' } as const;

/** Runs `body` with the pipeline example's directory, in the pipeline's namespace; `environment` adds to that. */
export function pipelineScenario(options: ScenarioOptions, body: ScenarioBody, environment: Partial<EnvironmentOptions> = {}): Promise<ScenarioResult> {
  return scenario({ directories: [exampleDirectory('pipeline')], namespace: pipeline.namespace, ...environment }, pipeline.app, body, options);
}

/** Creates the pipeline example's Application; `request` changes what differs (policy, annotations, parameters). */
export function createPipelineApplication(env: ArgoCdEnvironment, request: Partial<ApplicationRequest> = {}): void {
  env.createApplication({ name: pipeline.app, path: 'pipeline', parameters: pipelineParameters(), ...request });
}

/** Until the pipeline's last Job (`pipeline-<step>`) has completed and the flight and Argo CD say so; then checkpoint `end`. */
export async function pipelineCompleted(wait: Wait, env: ArgoCdEnvironment, checkpoint: (name: string) => Promise<void>, step = 'three'): Promise<void> {
  await wait(`job ${step} has completed`, () => jobState(env, pipeline.namespace, `${pipeline.app}-${step}`) === 'complete');
  await completed(wait, env, pipeline.app);
  await checkpoint('end');
}

/** The steps test flight (test/flights/steps): a pipeline of one Job per argument, read by the pipeline's input. */
export const stepsDirectory: AppDirectory = { path: 'steps', files: { 'steps.wasm.gz': 'test/flights/wasm/steps.wasm.gz', 'input.json': 'examples/pipeline/input.json' } };

/** The parameters of a steps flight's Application that runs `steps` in turn. */
export function stepsParameters(steps: string[]): PluginParameter[] {
  return [
    { name: 'args', array: steps },
    { name: 'clusterAccess', string: 'true' },
    { name: 'inputFiles', array: ['input.json'] },
    { name: 'wasm', string: 'steps.wasm.gz' },
  ];
}

/** Until the app's Deployment is available and Argo CD shows the app Synced and Healthy. */
export async function deployed(wait: Wait, env: ArgoCdEnvironment, app: string): Promise<void> {
  await wait('the Deployment is available', () => env.timeline.of('deployment-available').length > 0);
  await settled(wait, env, app);
}

/** A Job's phase in the live cluster: absent, running, complete or failed. */
export function jobState(env: ArgoCdEnvironment, namespace: string, name: string): 'absent' | 'running' | 'complete' | 'failed' {
  const job = env.api.get('batch/v1', 'Job', namespace, name);
  if (!job) return 'absent';
  const conditions = ((job['status'] as { conditions?: Array<{ type: string }> } | undefined)?.conditions ?? []).map((c) => c.type);
  return conditions.includes('Failed') ? 'failed' : conditions.includes('Complete') ? 'complete' : 'running';
}

/**
 * Whether Argo CD has answered jetway's hard refreshes patched after `since` (timeline ms): a hard generate ended after
 * it and was compared, and no refresh is pending or generating. Argo CD then shows the state as of that generate.
 */
export function hardRefreshReconciled(env: ArgoCdEnvironment, app: string, since: number): () => boolean {
  return () => {
    const pending = applicationOf(env, app)?.metadata?.annotations?.['argocd.argoproj.io/refresh'] !== undefined;
    const generated = env.timeline.of('generated').find((g) => g.app === app && g.refresh === 'hard' && g.at > since);
    return !pending && !env.generating() && generated !== undefined && env.timeline.of('compared').some((c) => c.app === app && c.at > generated.at);
  };
}

/**
 * When jetway patched the hard refresh it made for `reason` (a change as its HardRefreshTriggered Event words it), or a
 * later one: the last refresh patch before that Event was seen. Undefined until the Event is on the Application.
 */
export function hardRefreshPatchedFor(env: ArgoCdEnvironment, app: string, reason: string): number | undefined {
  const told = applicationEvents(env, app).some((e) => e.reason === 'HardRefreshTriggered' && e.message.includes(reason));
  return told
    ? env.timeline
        .of('refresh-patched')
        .filter((r) => r.app === app)
        .at(-1)?.at
    : undefined;
}

/** The pipeline example end to end: jobs one, two and three run in turn until the flight says all have completed. */
export function runPipelineScenario(options: ScenarioOptions = {}): Promise<ScenarioResult> {
  return pipelineScenario(options, async (env, wait, checkpoint) => {
    createPipelineApplication(env);
    await pipelineCompleted(wait, env, checkpoint);
  });
}

/** Job two fails; the pipeline stops with its message; then the bug is fixed, the failed Job deleted, and the pipeline completes. */
export function runPipelineFailureScenario(options: ScenarioOptions & { message?: string } = {}): Promise<ScenarioResult> {
  const { app, namespace } = pipeline;
  const message = options.message ?? 'step 2: migration exited with code 1';
  return pipelineScenario(options, async (env, wait, checkpoint) => {
    env.jobs.failJob(`${app}-two`, message);
    createPipelineApplication(env);
    await wait('job two has failed', () => jobState(env, namespace, `${app}-two`) === 'failed');
    await wait('the flight reports the failure', async () => (await flightStatus(env, app))?.startsWith('job two failed') === true);
    // long enough for every refresh, self-heal and job the stopped pipeline could still cause
    await new Promise((r) => setTimeout(r, 2 * (env.timings.jobMs + env.timings.debounceMs + env.timings.minIntervalMs)));
    await checkpoint('stopped');
    env.jobs.fixJob(`${app}-two`);
    env.api.remove('batch/v1', 'Job', namespace, `${app}-two`);
    env.timeline.add({ what: 'user', action: `fixed and deleted Job/${app}-two to re-run it` });
    await pipelineCompleted(wait, env, checkpoint);
  });
}

/** The app example: the Database first; the Deployment only once the operator's Secret exists; then ready. */
export function runAppScenario(options: ScenarioOptions = {}): Promise<ScenarioResult> {
  const app = 'shop';
  const namespace = 'shop';
  return scenario(
    { directories: [exampleDirectory('app')], namespace, databaseOperator: true },
    app,
    async (env, wait, checkpoint) => {
      env.createApplication({
        name: app,
        path: 'app',
        parameters: [
          { name: 'clusterAccess', string: 'true' },
          { name: 'inputFiles', array: ['input.json'] },
          { name: 'resourceMatchers', array: [`Secret:${app}-db-conn`] },
          { name: 'wasm', string: 'app.wasm.gz' },
        ],
      });
      await wait('the Database is applied', () => env.api.get('db.example.com/v1', 'Database', namespace, `${app}-db`) !== undefined);
      await checkpoint('database-applied');
      await wait('the Deployment is available', () => env.timeline.of('deployment-available').length > 0);
      await wait('the flight reports ready', async () => (await flightStatus(env, app)) === 'ready');
      await progressed(wait, env, app, 'ready');
      await settled(wait, env, app);
      await checkpoint('end');
    },
    options,
  );
}

/** How the API server misbehaves during generates: answers 500, or answers only after the flight's deadline. */
export type ApiFault = 'status-500' | 'no-answer';

/**
 * The API server fails every lookup made while a generate runs, from job one's creation on; with 500s until generate
 * has failed three times (a user presses Hard Refresh after the first failure until then; Argo CD pauses normal
 * generation for the cache key after the third failure), else once; then it recovers and the pipeline must still
 * complete, with jetway's re-check of failed apps at its default (5 min): recovery cannot wait for it.
 */
export function runApiFaultScenario(options: ScenarioOptions & { fault: ApiFault }): Promise<ScenarioResult> {
  const { app, namespace } = pipeline;
  // a flight blocked on a lookup that is not answered ends at its own timeout
  const parameters = [...pipelineParameters(), ...(options.fault === 'no-answer' ? [{ name: 'timeout', string: '2s' }] : [])];
  return pipelineScenario(options, async (env, wait, checkpoint) => {
    createPipelineApplication(env, { parameters });
    await wait('job one is created', () => jobState(env, namespace, `${app}-one`) !== 'absent');
    const fault = env.api.fail(
      { method: 'GET', pathPrefix: `/apis/batch/v1/namespaces/${namespace}/jobs/`, watch: false, match: () => env.generating(), times: Infinity },
      options.fault === 'status-500' ? { status: 500, message: 'etcdserver: request timed out' } : { delayMs: 3_000 },
    );
    env.timeline.add({ what: 'user', action: `API server fault on: ${options.fault}` });
    const on = env.timeline.now();
    const failures = () => env.timeline.of('generated').filter((g) => g.result === 'failed' && g.at > on).length;
    await wait('a generate has failed', () => failures() >= 1);
    await checkpoint('failing');
    const times = options.fault === 'status-500' ? 3 : 1;
    while (failures() < times) {
      const before = failures();
      env.requestHardRefresh(app);
      env.timeline.add({ what: 'user', action: 'pressed Hard Refresh' });
      await wait(`generate has failed ${before + 1} times`, () => failures() > before);
    }
    fault.cancel();
    env.timeline.add({ what: 'user', action: 'API server recovered' });
    await pipelineCompleted(wait, env, checkpoint);
  });
}

/**
 * `jetway serve` is SIGKILLed while job one runs (after the refresh its creation caused, with none pending), stays
 * down past job one's completion, then starts again and must resync by itself.
 */
export function runServiceKillScenario(options: ScenarioOptions & { downMs?: number } = {}): Promise<ScenarioResult> {
  const { app, namespace } = pipeline;
  return pipelineScenario(options, async (env, wait, checkpoint) => {
    env.jobs.holdJob(`${app}-one`);
    createPipelineApplication(env);
    await wait('job one is created', () => env.timeline.first('created', `Job/${app}-one`) < Infinity);
    await wait('a hard refresh after job one was created has finished and none is pending', hardRefreshReconciled(env, app, env.timeline.first('created', `Job/${app}-one`)));
    await env.killService();
    env.jobs.releaseJob(`${app}-one`);
    await wait('job one has completed', () => jobState(env, namespace, `${app}-one`) === 'complete');
    await new Promise((r) => setTimeout(r, options.downMs ?? 2 * (env.timings.debounceMs + env.timings.minIntervalMs)));
    await checkpoint('service-down');
    await env.restartService();
    await pipelineCompleted(wait, env, checkpoint);
  });
}

/** A flight that times out, then one that runs out of memory, replace the pipeline's; then the pipeline comes back. */
export async function runFlightLimitsScenario(options: ScenarioOptions = {}): Promise<ScenarioResult> {
  const { app, namespace } = pipeline;
  const example = exampleDirectory('pipeline');
  const directory = { ...example, files: { ...example.files, 'spin.wasm': await watModule('spin'), 'grow.wasm': await watModule('grow') } };
  const swap = (wasm: string, extra: PluginParameter[]) => [...pipelineParameters().filter((p) => p.name !== 'wasm'), { name: 'wasm', string: wasm }, ...extra];
  return pipelineScenario(
    options,
    async (env, wait, checkpoint) => {
      // job one keeps running, so no stage of the pipeline itself can change what is live
      env.jobs.holdJob(`${app}-one`);
      createPipelineApplication(env);
      await wait('job one is created and the app synced', () => jobState(env, namespace, `${app}-one`) !== 'absent' && env.controller.application(app)?.status?.sync?.status === 'Synced');
      await checkpoint('before');
      const failedWith = (text: string) => () => env.controller.application(app)?.status?.conditions?.some((c) => c.message.includes(text)) === true;
      env.setParameters(app, swap('spin.wasm', [{ name: 'timeout', string: '1s' }]));
      env.timeline.add({ what: 'user', action: 'the Application now runs a flight that never finishes, with timeout 1s' });
      await wait('the app shows the timeout', failedWith('timed out'));
      await checkpoint('timed-out');
      env.setParameters(app, swap('grow.wasm', [{ name: 'maxMemoryMib', string: '16' }]));
      env.timeline.add({ what: 'user', action: 'the Application now runs a flight that allocates without bound, with maxMemoryMib 16' });
      await wait('the app shows the memory error', failedWith('out of memory'));
      await checkpoint('out-of-memory');
      env.setParameters(app, pipelineParameters());
      env.timeline.add({ what: 'user', action: 'the Application runs the pipeline flight again' });
      await wait('the app compares cleanly again', () => {
        const status = env.controller.application(app)?.status;
        return status?.sync?.status === 'Synced' && (status.conditions ?? []).length === 0;
      });
      await checkpoint('end');
    },
    { directories: [directory] },
  );
}

/** An Application without selfHeal: the first sync applies job one; the flight's next stage is never applied by itself. */
export function runNoSelfHealScenario(options: ScenarioOptions = {}): Promise<ScenarioResult> {
  const { app, namespace } = pipeline;
  return pipelineScenario(options, async (env, wait, checkpoint) => {
    createPipelineApplication(env, { selfHeal: false });
    await wait('job one has completed', () => jobState(env, namespace, `${app}-one`) === 'complete');
    await wait('a generate emitted job two', () => env.timeline.of('generated').some((g) => g.objects.includes(`Job/${app}-two`)));
    await wait('the app is OutOfSync', () => env.controller.application(app)?.status?.sync?.status === 'OutOfSync');
    // Argo CD compared the generate that followed jetway's refresh for job one's completion, and its autoSync (run at
    // that comparison) set no operation: the stall is Argo CD's decision, not a comparison still to come
    await wait("Argo CD reconciled the refresh for job one's completion, OutOfSync, with no operation", () => {
      const application = env.controller.application(app);
      return hardRefreshReconciled(env, app, env.timeline.first('job-completed', `Job/${app}-one`))() && application?.status?.sync?.status === 'OutOfSync' && !application.operation;
    });
    // then several self-heal backoffs and controller passes, and jetway's sync cycle for that refresh: nothing may apply job two
    await new Promise((r) => setTimeout(r, 4 * env.timings.selfHealBackoff.baseMs + 20 * env.timings.tickMs));
    await checkpoint('stalled');
    env.controller.sync(app);
    env.timeline.add({ what: 'user', action: 'pressed Sync' });
    await wait('job two is created', () => jobState(env, namespace, `${app}-two`) !== 'absent');
    await checkpoint('end');
  });
}

/** A flight whose stages are its input (test/flights/wat/print-input.wat), as the Application's parameters. */
export function stagedParameters(stages: unknown): PluginParameter[] {
  return [
    { name: 'input', string: typeof stages === 'string' ? stages : JSON.stringify(stages) },
    { name: 'wasm', string: 'flight.wasm' },
  ];
}

/**
 * Two stages become two sync waves: the migration Job, then the Deployment and a ConfigMap. Argo CD applies the second
 * wave only once the Job is healthy. Then the ConfigMap is dropped from the output and pruned; then the flight's output
 * breaks, and nothing is pruned.
 */
export async function runWavesScenario(options: ScenarioOptions = {}): Promise<ScenarioResult> {
  const app = 'staged';
  const namespace = 'staged';
  const migrate = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'migrate' },
    spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'migrate', image: 'busybox:1.36' }] } } },
  };
  const labels = { 'app.kubernetes.io/name': 'web' };
  const web = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: { replicas: 2, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } } },
  };
  const settings = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { mode: 'fast' } };
  const directory = { path: 'staged', files: { 'flight.wasm': await watModule('print-input') } };
  return scenario(
    { directories: [directory], namespace },
    app,
    async (env, wait, checkpoint) => {
      env.jobs.holdJob('migrate');
      env.createApplication({ name: app, path: 'staged', parameters: stagedParameters([[migrate], [web, settings]]) });
      await wait('the sync waits for the migration', () => env.controller.application(app)?.status?.operationState?.message.startsWith('waiting for healthy state of batch/Job/migrate') === true);
      await checkpoint('first-wave');
      env.jobs.releaseJob('migrate');
      await deployed(wait, env, app);
      await checkpoint('synced');
      env.setParameters(app, stagedParameters([[migrate], [web]]));
      env.timeline.add({ what: 'user', action: 'the flight no longer emits ConfigMap/settings' });
      await wait('the ConfigMap is gone and the app synced', () => !env.api.get('v1', 'ConfigMap', namespace, 'settings') && env.controller.application(app)?.status?.sync?.status === 'Synced');
      await checkpoint('pruned');
      env.setParameters(app, stagedParameters('this is not a list of resources'));
      env.timeline.add({ what: 'user', action: 'the flight now prints something that is not resources' });
      await wait('the app shows the output error', () => env.controller.application(app)?.status?.conditions?.some((c) => c.message.includes('not Kubernetes resources')) === true);
      await new Promise((r) => setTimeout(r, 10 * env.timings.tickMs));
      await checkpoint('broken');
    },
    options,
  );
}
