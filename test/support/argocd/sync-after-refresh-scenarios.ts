// The scenarios of issue 16: jetway serve syncing each new stage itself for Applications that opt in
// (`jetway.dev/sync-after-refresh: "true"`), under the imitation with Argo CD v3.5.1's default self-heal backoff
// (2 s ×3, at most 300 s). Each drives the imitation and returns what happened; test/scenarios asserts over it and the
// benchmark reports its timeline.

import { syncAfterRefreshAnnotation } from '../../../src/refresher/sync-opt-in.js';
import type { SyncWindow } from '../../../src/refresher/sync-windows.js';
import { productionTimings } from './environment.js';
import {
  applicationOf,
  completed,
  createPipelineApplication,
  hardRefreshPatchedFor,
  hardRefreshReconciled,
  jobState,
  pipeline,
  pipelineCompleted,
  pipelineScenario,
  stepsDirectory,
  stepsParameters,
  type ScenarioOptions,
  type ScenarioResult,
} from './scenarios.js';

/** The opt-in annotation. */
export const optIn = { [syncAfterRefreshAnnotation]: 'true' };

/** Ten steps for the long pipeline. */
export const tenSteps = ['s01', 's02', 's03', 's04', 's05', 's06', 's07', 's08', 's09', 's10'];

/** One stage of a pipeline run: when its Job was created and when it completed (timeline ms). */
export interface StageTimes {
  step: string;
  created: number;
  completed: number;
  /** From the previous Job's completion to this Job's creation: what the stage waited for. */
  waitedMs: number;
  /** From the first generate that emitted the Job to the start of the sync that applied it: where a backoff shows. */
  syncDelayMs: number;
  /** That generate's own duration. */
  generateMs: number;
  /** Who started the sync that created the Job: `jetway`, `automated` (Argo CD's autoSync) or a user. */
  syncedBy: string;
}

/** The stages reached, in order, from a pipeline scenario's timeline. */
export function stageTimes(result: ScenarioResult, app: string, steps: string[]): StageTimes[] {
  const tl = result.timeline;
  const out: StageTimes[] = [];
  for (const step of steps) {
    const resource = `Job/${app}-${step}`;
    const created = tl.first('created', resource);
    if (created === Infinity) break;
    const previous = out.at(-1);
    const sync = tl
      .of('sync-started')
      .filter((s) => s.at < created && s.resources.includes(resource))
      .at(-1);
    const generated = tl.of('generated').find((g) => g.result === 'ran' && g.objects.includes(resource));
    out.push({
      step,
      created,
      completed: tl.first('job-completed', resource),
      waitedMs: previous ? created - previous.completed : 0,
      syncDelayMs: sync && generated ? sync.at - generated.at : NaN,
      generateMs: generated?.durationMs ?? NaN,
      syncedBy: sync?.initiatedBy ?? '?',
    });
  }
  return out;
}

/**
 * A pipeline of `steps` (test/flights/steps) of `jobMs` Jobs on one commit, with Argo CD's production self-heal backoff
 * and selfHeal on; `optIn` adds the annotation. Ends when the last Job completed, or, after `budgetMs`, when the
 * Job then running completed (without the opt-in the backoff makes later stages wait minutes).
 */
export function runLongPipelineScenario(options: ScenarioOptions & { optIn: boolean; steps?: string[]; jobMs?: number; budgetMs?: number }): Promise<ScenarioResult> {
  const { app, namespace } = pipeline;
  const steps = options.steps ?? tenSteps;
  const timings = { selfHealBackoff: productionTimings.selfHealBackoff, jobMs: options.jobMs ?? 300, ...options.timings };
  const last = `${app}-${steps.at(-1)}`;
  return pipelineScenario(
    { stepTimeoutMs: Math.max(60_000, (options.budgetMs ?? 0) + 30_000), ...options },
    async (env, wait, checkpoint) => {
      createPipelineApplication(env, { path: stepsDirectory.path, parameters: stepsParameters(steps), ...(options.optIn ? { annotations: optIn } : {}) });
      const started = Date.now();
      await wait(`job ${steps.at(-1)} has completed, or the budget is spent`, () => jobState(env, namespace, last) === 'complete' || Date.now() - started > (options.budgetMs ?? Infinity));
      if (jobState(env, namespace, last) === 'complete') await completed(wait, env, app);
      else {
        // the budget is spent: let the Job that runs finish, so the timeline ends on a completed stage
        const running = () => steps.map((s) => `${app}-${s}`).find((j) => jobState(env, namespace, j) === 'running');
        await wait('no Job of the pipeline is running', () => running() === undefined);
      }
      await checkpoint('end');
    },
    { directories: [stepsDirectory], timings },
  );
}

/**
 * The seed's pipeline example with the opt-in and without selfHeal: jetway syncs jobs two and three. Jobs one and two
 * run until Argo CD has reconciled jetway's refresh for their creation, as any Job that outlasts a refresh does: the
 * generate that refresh causes sees the Job running, and the next stage comes from the refresh for its completion.
 * (A Job done before that generate ran would have its next stage synced under the creation's refresh, and the Event
 * would name the creation.)
 */
export function runOptInWithoutSelfHealScenario(options: ScenarioOptions = {}): Promise<ScenarioResult> {
  const { app, namespace } = pipeline;
  return pipelineScenario(options, async (env, wait, checkpoint) => {
    const held = ['one', 'two'];
    for (const step of held) env.jobs.holdJob(`${app}-${step}`);
    createPipelineApplication(env, { selfHeal: false, annotations: optIn });
    for (const step of held) {
      const created = `Job ${namespace}/${app}-${step} was created`;
      await wait(`jetway hard-refreshed the app because ${created}`, () => hardRefreshPatchedFor(env, app, created) !== undefined);
      await wait(`Argo CD has reconciled that refresh`, hardRefreshReconciled(env, app, hardRefreshPatchedFor(env, app, created)!));
      env.jobs.releaseJob(`${app}-${step}`);
    }
    await pipelineCompleted(wait, env, checkpoint);
  });
}

/**
 * Sync windows: the opt-in app without selfHeal runs job one (held); then the project gets `windows`; job one completes
 * and jetway's refresh brings job two. Under a deny window jetway must not sync it and says so with an Event; under
 * an allow window the pipeline completes.
 */
export function runSyncWindowScenario(options: ScenarioOptions & { windows: SyncWindow[]; expect: 'denied' | 'allowed' }): Promise<ScenarioResult> {
  const { app, namespace } = pipeline;
  return pipelineScenario(options, async (env, wait, checkpoint) => {
    env.jobs.holdJob(`${app}-one`);
    createPipelineApplication(env, { selfHeal: false, annotations: optIn });
    await wait('job one runs and the app is synced', () => jobState(env, namespace, `${app}-one`) === 'running' && applicationOf(env, app)?.status?.sync?.status === 'Synced');
    env.setSyncWindows(options.windows);
    env.jobs.releaseJob(`${app}-one`);
    if (options.expect === 'denied') {
      await wait('jetway says the window denies its sync', () => env.api.list('v1', 'Event', env.argocdNamespace).some((e) => e['reason'] === 'SyncWindowDenied'));
      await wait('the app is OutOfSync with job two', () => applicationOf(env, app)?.status?.sync?.status === 'OutOfSync');
      await checkpoint('denied');
      return;
    }
    await pipelineCompleted(wait, env, checkpoint);
  });
}

/** The second commit pushed mid-pipeline. */
export const secondCommit = '9b8a7c6d5e4f30211203f4e5d6c7b8a9f0e1d2c3';

/**
 * A new commit mid-pipeline: the opt-in app has no automated policy (the user syncs new commits). The user syncs the
 * first commit; jetway syncs job two; while it runs, a commit is pushed and Argo CD compares it (a webhook's refresh).
 * Job two completes and jetway's refresh brings job three, but for the new commit, which Argo CD never synced: jetway
 * must not sync it. The user then syncs the new commit, and jetway carries the pipeline on at that commit.
 */
export function runNewCommitScenario(options: ScenarioOptions = {}): Promise<ScenarioResult> {
  const { app, namespace } = pipeline;
  return pipelineScenario(options, async (env, wait, checkpoint) => {
    env.jobs.holdJob(`${app}-two`);
    createPipelineApplication(env, { automated: false, annotations: optIn });
    await wait('the app is compared', () => applicationOf(env, app)?.status?.sync?.status === 'OutOfSync');
    env.controller.sync(app);
    env.timeline.add({ what: 'user', action: 'pressed Sync' });
    await wait('job two runs', () => jobState(env, namespace, `${app}-two`) === 'running');
    await checkpoint('job-two');
    env.pushCommit(secondCommit);
    env.requestHardRefresh(app);
    await wait('Argo CD compared the new commit', () => applicationOf(env, app)?.status?.sync?.revision === secondCommit);
    env.jobs.releaseJob(`${app}-two`);
    await wait('job two has completed', () => jobState(env, namespace, `${app}-two`) === 'complete');
    await wait('jetway declined to sync the new commit', () => env.service.logs.some((l) => String(l['msg']).includes(`compared revision ${secondCommit} but last synced`)));
    await checkpoint('declined');
    env.controller.sync(app);
    env.timeline.add({ what: 'user', action: 'pressed Sync' });
    await pipelineCompleted(wait, env, checkpoint);
  });
}
