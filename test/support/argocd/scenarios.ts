// The scenarios of issue 7, each a function that drives the imitation and returns what happened: the scenario tests
// assert over the result, and the benchmark times them. Every run starts and closes its own environment.

import type { KubeObject } from '../../../src/cluster/types.js';
import type { RecordView } from '../../../src/refresher/records.js';
import { fetchRecords } from '../../../src/service/client.js';
import type { PluginParameter } from '../cmp-server.js';
import { argocdNamespace, exampleDirectory, startArgoCd, type ArgoCdEnvironment, type EnvironmentOptions, type Timings } from './environment.js';
import type { Timeline } from './timeline.js';

export interface ScenarioOptions {
  timings?: Partial<Timings>;
  /** Longest wait for any one expected state. Default 20 s. */
  stepTimeoutMs?: number;
}

/** The state of one app at a moment, as a user would look at it. */
export interface Snapshot {
  at: number;
  sync: string | undefined;
  health: string | undefined;
  conditions: string[];
  operation: string | undefined;
  /** Live objects in the destination namespace with Argo CD's tracking id, as "Kind/name". */
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

/** The app name every scenario uses. */
const appName = (kind: string) => kind;

/** Polls `check` until it holds; on timeout the error carries the timeline and the controllers' errors. */
async function waitFor(env: ArgoCdEnvironment, what: string, check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) {
      const errors = env.errors().map((e) => e.message);
      const logs = env.service.logs.slice(-15).map((l) => JSON.stringify(l));
      throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}\n--- timeline ---\n${env.timeline}\n--- controller errors ---\n${errors.join('\n')}\n--- jetway serve log (last lines) ---\n${logs.join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The record `jetway status` shows for `app`, if the service holds one (undefined while it is down). */
async function flightRecord(env: ArgoCdEnvironment, app: string): Promise<RecordView | undefined> {
  try {
    return ((await fetchRecords(env.service.socket)) as RecordView[]).find((r) => r.app === app);
  } catch {
    return undefined;
  }
}

/** The Events whose involvedObject is the Application, oldest first. */
export function applicationEvents(env: ArgoCdEnvironment, app: string): AppEvent[] {
  return env.api
    .list('v1', 'Event', argocdNamespace)
    .filter((e) => (e['involvedObject'] as { name?: string } | undefined)?.name === app)
    .sort((a, b) => String(a['firstTimestamp']).localeCompare(String(b['firstTimestamp'])))
    .map((e) => ({ type: String(e['type']), reason: String(e['reason']), message: String(e['message']), count: Number(e['count']) }));
}

/** What the user sees of `app` now. */
async function snapshot(env: ArgoCdEnvironment, app: string): Promise<Snapshot> {
  const application = env.controller.application(app);
  const status = application?.status;
  const live = (kind: [string, string]) =>
    env.api
      .list(...kind)
      .filter((o: KubeObject) => o.metadata?.annotations?.['argocd.argoproj.io/tracking-id']?.startsWith(`${app}:`))
      .map((o) => `${kind[1]}/${o.metadata?.name}`);
  const kinds: Array<[string, string]> = [['batch/v1', 'Job'], ['apps/v1', 'Deployment']];
  if (env.api.get('apiextensions.k8s.io/v1', 'CustomResourceDefinition', undefined, 'databases.db.example.com')) kinds.push(['db.example.com/v1', 'Database']);
  return {
    at: env.timeline.entries.at(-1)?.at ?? 0,
    sync: status?.sync?.status,
    health: status?.health?.status,
    conditions: (status?.conditions ?? []).map((c) => `${c.type}: ${c.message}`),
    operation: status?.operationState ? `${status.operationState.phase}: ${status.operationState.message}` : undefined,
    live: kinds.flatMap(live).sort(),
    flightStatus: (await flightRecord(env, app))?.statusMessage,
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

/** Runs `body` in a fresh environment, closing it even when the body throws. */
async function scenario(
  environment: EnvironmentOptions,
  app: string,
  body: (env: ArgoCdEnvironment, wait: (what: string, check: () => boolean | Promise<boolean>) => Promise<void>, checkpoint: (name: string) => Promise<void>) => Promise<void>,
  options: ScenarioOptions,
): Promise<ScenarioResult> {
  const started = Date.now();
  const env = await startArgoCd({ ...environment, timings: { ...environment.timings, ...options.timings } });
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

/** A Job's phase in the live cluster: absent, running, complete or failed. */
function jobState(env: ArgoCdEnvironment, namespace: string, name: string): 'absent' | 'running' | 'complete' | 'failed' {
  const job = env.api.get('batch/v1', 'Job', namespace, name);
  if (!job) return 'absent';
  const conditions = ((job['status'] as { conditions?: Array<{ type: string }> } | undefined)?.conditions ?? []).map((c) => c.type);
  return conditions.includes('Failed') ? 'failed' : conditions.includes('Complete') ? 'complete' : 'running';
}

/** The pipeline example end to end: jobs one, two and three run in turn until the flight says all have completed. */
export function runPipelineScenario(options: ScenarioOptions = {}): Promise<ScenarioResult> {
  const app = appName('pipeline');
  const namespace = 'pipelines';
  return scenario({ directories: [exampleDirectory('pipeline')], namespace }, app, async (env, wait, checkpoint) => {
    env.createApplication({ name: app, path: 'pipeline', parameters: pipelineParameters() });
    await wait('job three has completed', () => jobState(env, namespace, `${app}-three`) === 'complete');
    await wait('the flight reports that all jobs have completed', async () => (await flightRecord(env, app))?.statusMessage === 'all jobs have completed');
    await wait('the app is synced and healthy', () => {
      const status = env.controller.application(app)?.status;
      return status?.sync?.status === 'Synced' && status.health?.status === 'Healthy';
    });
    await checkpoint('end');
  }, options);
}
