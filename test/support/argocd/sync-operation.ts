// One pass of a sync operation, as gitops-engine's syncContext.Sync (argo-cd v3.5.1 gitops-engine/pkg/sync/
// sync_context.go, sync_tasks.go, sync_task.go). Nothing is kept between passes but the results in the operation state:
// each pass rebuilds the tasks from the comparison it was given (the manifest cache at that moment, so a hard refresh
// that changed the output changes the plan) and the multi-wave decision with them, then takes each task's progress from
// the previous results (by resource key). A pass settles the running tasks (Healthy => done, Degraded => failed; kinds
// without a health check are done at once), waits while a multi-wave sync has running tasks or pruned objects pending
// deletion, then prunes and applies the next wave (prune tasks run in the reverse of their creation waves) and, unless
// it was the last wave, sleeps the delay between waves (controller/sync.go delayBetweenSyncWaves, 2 s). The first pass
// dry-runs every task (`kubectl apply --dry-run=client`: reads live, sends nothing, so it does not catch immutable
// fields). Not imitated: hooks, phases other than Sync, server-side apply, replace/force, kind order within a wave.

import type { KubeObject } from '../../../src/cluster/types.js';
import { resourceHealth } from './health.js';
import { Kubectl, KubectlError } from './kubectl.js';
import type { Timeline } from './timeline.js';

const syncWaveAnnotation = 'argocd.argoproj.io/sync-wave';

/** A resource's identity as Argo CD keys it. */
export interface ResourceKey {
  group: string;
  kind: string;
  namespace: string;
  name: string;
}

export type OperationPhase = 'Running' | 'Succeeded' | 'Failed' | 'Error';

/** One entry of operationState.syncResult.resources: a task's progress, all that survives between passes. */
export interface ResourceResult extends ResourceKey {
  version: string;
  status: 'Synced' | 'SyncFailed' | 'Pruned' | 'PruneSkipped';
  message: string;
  hookPhase: OperationPhase;
  syncPhase: 'Sync';
}

/** A target object (to apply) or a live one (to prune), as the comparison of this pass found it. */
export interface SyncCandidate {
  target: KubeObject | undefined;
  live: KubeObject | undefined;
}

/** What one pass leaves: the operation's phase and message, and every task's result so far. */
export interface SyncPass {
  phase: OperationPhase;
  message: string;
  results: ResourceResult[];
}

export interface SyncPassOptions {
  kubectl: Kubectl;
  timeline: Timeline;
  /** The app's instance name, for the timeline. */
  app: string;
  prune: boolean;
  /** ARGOCD_SYNC_WAVE_DELAY: the sleep after a wave that is not the last. */
  waveDelayMs: number;
}

interface Task {
  key: ResourceKey;
  version: string;
  target: KubeObject | undefined;
  live: KubeObject | undefined;
  wave: number;
  syncStatus?: ResourceResult['status'];
  operationState?: OperationPhase;
  message: string;
}

/** The group of an apiVersion ("" for the core group). */
export function groupOf(apiVersion: string | undefined): string {
  return apiVersion?.includes('/') ? apiVersion.split('/')[0]! : '';
}

/** The key of an object. */
export function keyOf(object: KubeObject): ResourceKey {
  return { group: groupOf(object.apiVersion), kind: object.kind ?? '', namespace: object.metadata?.namespace ?? '', name: object.metadata?.name ?? '' };
}

/** "Kind/name", as timelines name resources. */
export function resourceName(key: ResourceKey): string {
  return `${key.kind}/${key.name}`;
}

/** syncwaves.Wave: the sync-wave annotation, 0 when absent or not a number. */
export function waveOf(object: KubeObject): number {
  const wave = Number.parseInt(object.metadata?.annotations?.[syncWaveAnnotation] ?? '0', 10);
  return Number.isNaN(wave) ? 0 : wave;
}

const keyString = (k: ResourceKey) => `${k.group}/${k.kind}/${k.namespace}/${k.name}`;
const completed = (t: Task) => t.operationState === 'Succeeded' || t.operationState === 'Failed' || t.operationState === 'Error';
const running = (t: Task) => t.operationState === 'Running';
const pending = (t: Task) => t.operationState === undefined;
const isPrune = (t: Task) => t.target === undefined;
/** operationPhases in sync_context.go: what a result code means for the task. */
const phaseOf: Record<ResourceResult['status'], OperationPhase> = { Synced: 'Running', SyncFailed: 'Failed', Pruned: 'Succeeded', PruneSkipped: 'Succeeded' };
const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** getSyncTasks: a task per candidate, prune waves reversed, sorted by wave, each with its result from earlier passes. */
function syncTasks(candidates: SyncCandidate[], previous: ResourceResult[]): Task[] {
  const tasks: Task[] = candidates.map(({ target, live }) => {
    const object = (target ?? live)!;
    return { key: keyOf(object), version: (object.apiVersion ?? '').split('/').at(-1) ?? '', target, live, wave: waveOf(object), message: '' };
  });
  const pruneWaves = [...new Set(tasks.filter(isPrune).map((t) => t.wave))].sort((a, b) => a - b);
  for (const task of tasks) if (isPrune(task)) task.wave = pruneWaves[pruneWaves.length - 1 - pruneWaves.indexOf(task.wave)]!;
  tasks.sort((a, b) => a.wave - b.wave || keyString(a.key).localeCompare(keyString(b.key)));
  const byKey = new Map(previous.map((r) => [keyString(r), r]));
  for (const task of tasks) {
    const result = byKey.get(keyString(task.key));
    if (result) Object.assign(task, { syncStatus: result.status, operationState: result.hookPhase, message: result.message });
  }
  return tasks;
}

/** setRunningPhase: "waiting for <reason> <group>/<kind>/<name> and N more resources". */
function waitingMessage(tasks: Task[], reason: string): string {
  const first = tasks[0]!;
  const more = tasks.length > 1 ? ` and ${tasks.length - 1} more resources` : '';
  return `waiting for ${reason} ${first.key.group}/${first.key.kind}/${first.key.name}${more}`;
}

/** executeSyncFailPhase without SyncFail hooks: the message, with the messages of tasks that failed to sync. */
function failure(tasks: Task[], message: string): string {
  const reasons = tasks.filter((t) => t.syncStatus === 'SyncFailed').map((t) => t.message);
  return reasons.length > 0 ? `${message}, reason: ${reasons.join(',')}` : message;
}

/** One Sync() call over this pass's candidates and the results of earlier passes. */
export async function syncPass(o: SyncPassOptions, candidates: SyncCandidate[], previous: ResourceResult[]): Promise<SyncPass> {
  const tasks = syncTasks(candidates, previous);
  const pass = (phase: OperationPhase, message: string): SyncPass => ({ phase, message, results: results(tasks, previous) });
  const set = (task: Task, status: ResourceResult['status'], state: OperationPhase, message: string) => {
    Object.assign(task, { syncStatus: status, operationState: state });
    if (message) task.message = message;
  };
  // getSyncTasks' discovery check: a kind the cluster does not serve makes the task invalid
  let valid = true;
  for (const task of tasks) {
    const why = await o.kubectl.notServed((task.target ?? task.live)!);
    if (why !== undefined) {
      set(task, 'SyncFailed', 'Failed', why);
      valid = false;
    }
  }
  if (!valid) {
    const messages = [...new Set(tasks.filter((t) => t.syncStatus === 'SyncFailed' && t.message).map((t) => t.message))].sort();
    return pass('Failed', `one or more synchronization tasks are not valid${messages.length ? `: ${messages.join('; ')}` : ''}`);
  }
  if (previous.length === 0) {
    // the first pass of an operation: a client-side dry run of every task refuses the sync before anything is applied
    for (const task of tasks.filter((t) => !isPrune(t))) {
      try {
        await o.kubectl.apply(task.target!, true);
      } catch (error) {
        set(task, 'SyncFailed', 'Failed', errorText(error));
      }
    }
    if (tasks.some((t) => t.syncStatus === 'SyncFailed')) return pass('Failed', 'one or more objects failed to apply (dry run)');
  }
  // update the running tasks from the live objects' health
  for (const task of tasks.filter((t) => running(t) && t.live !== undefined)) {
    const health = resourceHealth(task.live!);
    if (!health) set(task, task.syncStatus!, 'Succeeded', task.message);
    else if (health.status === 'Healthy') set(task, task.syncStatus!, 'Succeeded', health.message ?? '');
    else if (health.status === 'Degraded') set(task, task.syncStatus!, 'Failed', health.message ?? '');
  }
  const multiStep = tasks.length > 0 && tasks[0]!.wave !== tasks.at(-1)!.wave;
  const runningTasks = tasks.filter((t) => multiStep && running(t));
  if (runningTasks.length > 0) {
    for (const task of runningTasks.filter((t) => t.live === undefined)) {
      set(task, 'SyncFailed', 'Error', `Resource ${task.key.group}/${task.key.kind}/${task.key.name} is missing, it might have been deleted`);
    }
    return pass('Running', waitingMessage(runningTasks, 'healthy state of'));
  }
  const pendingDeletion = tasks.filter((t) => t.syncStatus === 'Pruned' && t.live?.metadata?.['deletionTimestamp'] !== undefined);
  if (pendingDeletion.length > 0) return pass('Running', waitingMessage(pendingDeletion, 'deletion of'));
  if (tasks.some((t) => completed(t) && t.operationState !== 'Succeeded')) {
    return pass('Failed', failure(tasks, 'one or more synchronization tasks completed unsuccessfully'));
  }
  const todo = tasks.filter(pending);
  if (todo.length === 0) return pass('Succeeded', 'successfully synced (no more tasks)');
  const wave = todo[0]!.wave;
  const finalWave = wave === todo.at(-1)!.wave;
  const now = todo.filter((t) => t.wave === wave);
  // runTasks: prune first, then apply
  let failed = false;
  for (const task of now.filter(isPrune)) {
    if (!o.prune) {
      set(task, 'PruneSkipped', 'Succeeded', 'ignored (requires pruning)');
      continue;
    }
    try {
      // an object already marked for deletion is not deleted again (pruneObject), but the task still reports it pruned
      if (task.live!.metadata?.['deletionTimestamp'] === undefined) {
        await o.kubectl.deleteForeground(task.live!);
        o.timeline.add({ what: 'pruned', app: o.app, resource: resourceName(task.key) });
      }
      set(task, 'Pruned', 'Succeeded', 'pruned');
    } catch (error) {
      set(task, 'SyncFailed', 'Failed', errorText(error));
      failed = true;
    }
  }
  if (!failed) {
    for (const task of now.filter((t) => !isPrune(t))) {
      try {
        const message = await o.kubectl.apply(task.target!, false);
        if (message.endsWith(' created')) o.timeline.add({ what: 'created', app: o.app, resource: resourceName(task.key) });
        if (message.endsWith(' configured')) o.timeline.add({ what: 'updated', app: o.app, resource: resourceName(task.key) });
        set(task, 'Synced', phaseOf.Synced, message);
      } catch (error) {
        set(task, 'SyncFailed', 'Failed', error instanceof KubectlError ? error.message : errorText(error));
        failed = true;
      }
    }
  }
  o.timeline.add({ what: 'wave-applied', app: o.app, wave, resources: now.map((t) => resourceName(t.key)) });
  if (failed) return pass('Failed', failure(now, 'one or more objects failed to apply'));
  if (!finalWave) await new Promise((r) => setTimeout(r, o.waveDelayMs));
  if (todo.length === now.length) return pass('Succeeded', 'successfully synced (all tasks run)');
  return pass('Running', waitingMessage(now, 'healthy state of'));
}

/** The results to persist: every task that has one, plus earlier results of resources no longer in the plan (kept, as syncRes is). */
function results(tasks: Task[], previous: ResourceResult[]): ResourceResult[] {
  const now = tasks
    .filter((t) => t.syncStatus !== undefined)
    .map((t) => ({ ...t.key, version: t.version, status: t.syncStatus!, message: t.message, hookPhase: t.operationState ?? 'Running', syncPhase: 'Sync' as const }));
  const seen = new Set(now.map(keyString));
  return [...previous.filter((r) => !seen.has(keyString(r))), ...now];
}
