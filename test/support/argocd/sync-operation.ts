// One sync operation, stepped like gitops-engine's syncContext.Sync (argo-cd gitops-engine/pkg/sync/sync_context.go,
// sync_tasks.go): tasks are ordered by sync wave; each step first settles the tasks of the wave applied last (a
// multi-step sync waits until they are Healthy, fails on Degraded; kinds without a health check succeed at once),
// then applies the next wave. The last wave is not waited on. Prune tasks run in the reverse of their creation waves.
// Not imitated: hooks, phases other than Sync, retries, dry runs, server-side apply, kind order within a wave.

import type { KubeObject } from '../../../src/cluster/types.js';
import type { FakeApiServer } from '../apiserver.js';
import { resourceHealth } from './health.js';
import type { Timeline } from './timeline.js';

const syncWaveAnnotation = 'argocd.argoproj.io/sync-wave';
export const lastAppliedAnnotation = 'kubectl.kubernetes.io/last-applied-configuration';

/** A resource's identity as Argo CD keys it. */
export interface ResourceKey {
  group: string;
  kind: string;
  namespace: string;
  name: string;
}

/** One entry of operationState.syncResult.resources. */
export interface ResourceResult extends ResourceKey {
  version: string;
  status: 'Synced' | 'SyncFailed' | 'Pruned' | 'PruneSkipped';
  message: string;
  hookPhase: 'Running' | 'Succeeded' | 'Failed';
  syncPhase: 'Sync';
}

export type OperationPhase = 'Running' | 'Succeeded' | 'Failed' | 'Error';

/** A target object (to apply) or a live one (to prune), as the comparison found it. */
export interface SyncCandidate {
  target: KubeObject | undefined;
  live: KubeObject | undefined;
}

interface Task {
  key: ResourceKey;
  version: string;
  target: KubeObject | undefined;
  live: KubeObject | undefined;
  wave: number;
  state: 'pending' | 'running' | 'succeeded' | 'failed';
  result?: ResourceResult['status'];
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

/** What a client-side apply stores as last-applied-configuration: the object as given, keys sorted. */
export function appliedConfiguration(target: KubeObject): string {
  const sorted = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(sorted);
    if (value === null || typeof value !== 'object') return value;
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sorted((value as Record<string, unknown>)[k])]));
  };
  return JSON.stringify(sorted(target));
}

/** A sync in progress: created from the comparison, stepped until it reports a final phase. */
export class SyncRun {
  private readonly tasks: Task[];
  private readonly multiStep: boolean;

  // Why: the tasks and their waves are fixed when the operation starts (getSyncTasks on its first call).
  constructor(
    private readonly o: { api: FakeApiServer; timeline: Timeline; app: string; prune: boolean },
    candidates: SyncCandidate[],
  ) {
    this.tasks = candidates.map(({ target, live }) => {
      const object = (target ?? live)!;
      return { key: keyOf(object), version: (object.apiVersion ?? '').split('/').at(-1) ?? '', target, live, wave: waveOf(object), state: 'pending', message: '' };
    });
    // sync_tasks.go: prune tasks run in the reverse order of their creation waves (a symmetric swap of the prune waves)
    const pruneWaves = [...new Set(this.tasks.filter((t) => !t.target).map((t) => t.wave))].sort((a, b) => a - b);
    for (const task of this.tasks) if (!task.target) task.wave = pruneWaves[pruneWaves.length - 1 - pruneWaves.indexOf(task.wave)]!;
    this.tasks.sort((a, b) => a.wave - b.wave);
    this.multiStep = this.tasks.length > 0 && this.tasks[0]!.wave !== this.tasks.at(-1)!.wave;
  }

  /** The resources it will touch, as "Kind/name". */
  get resources(): string[] {
    return this.tasks.map((t) => resourceName(t.key));
  }

  /** syncResult.resources so far. */
  results(): ResourceResult[] {
    return this.tasks
      .filter((t) => t.result !== undefined)
      .map((t) => ({
        ...t.key,
        version: t.version,
        status: t.result!,
        message: t.message,
        hookPhase: t.state === 'running' ? 'Running' : t.state === 'failed' ? 'Failed' : 'Succeeded',
        syncPhase: 'Sync',
      }));
  }

  /** One Sync() call: settle the running wave, then apply the next one; returns the operation's phase and message. */
  step(): { phase: OperationPhase; message: string } {
    for (const task of this.tasks.filter((t) => t.state === 'running')) this.settle(task);
    const running = this.tasks.filter((t) => t.state === 'running' && this.multiStep);
    if (running.length > 0) {
      const first = running[0]!;
      const more = running.length > 1 ? ` and ${running.length - 1} more resources` : '';
      return { phase: 'Running', message: `waiting for healthy state of ${first.key.group}/${first.key.kind}/${first.key.name}${more}` };
    }
    if (this.tasks.some((t) => t.state === 'failed')) return { phase: 'Failed', message: 'one or more synchronization tasks completed unsuccessfully' };
    const pending = this.tasks.filter((t) => t.state === 'pending');
    if (pending.length === 0) return { phase: 'Succeeded', message: 'successfully synced (no more tasks)' };
    const wave = pending[0]!.wave;
    const now = pending.filter((t) => t.wave === wave);
    // prune first, then apply (runTasks)
    for (const task of [...now.filter((t) => !t.target), ...now.filter((t) => t.target)]) this.run(task);
    this.o.timeline.add({ what: 'wave-applied', app: this.o.app, wave, resources: now.map((t) => resourceName(t.key)) });
    if (now.some((t) => t.state === 'failed')) return { phase: 'Failed', message: 'one or more objects failed to apply' };
    if (pending.length === now.length) {
      for (const task of now) if (task.state === 'running') task.state = 'succeeded';
      return { phase: 'Succeeded', message: 'successfully synced (all tasks run)' };
    }
    return { phase: 'Running', message: 'one or more tasks are running' };
  }

  // Why: apply creates or updates (client-side apply, keeping the live status); prune deletes, or only reports when pruning is off.
  private run(task: Task): void {
    const { api, timeline, app } = this.o;
    const name = resourceName(task.key);
    if (!task.target) {
      if (!this.o.prune) {
        task.state = 'succeeded';
        task.result = 'PruneSkipped';
        task.message = 'ignored (requires pruning)';
        return;
      }
      api.remove(task.live!.apiVersion!, task.key.kind, task.key.namespace, task.key.name);
      timeline.add({ what: 'pruned', app, resource: name });
      task.state = 'succeeded';
      task.result = 'Pruned';
      task.message = 'pruned';
      return;
    }
    const target = task.target;
    const annotations = { ...(target.metadata?.annotations ?? {}), [lastAppliedAnnotation]: appliedConfiguration(target) };
    try {
      const live = api.get(target.apiVersion!, task.key.kind, task.key.namespace, task.key.name);
      if (!live) {
        api.put({ ...target, metadata: { ...target.metadata, annotations } });
        timeline.add({ what: 'created', app, resource: name });
        task.message = `${task.key.name} created`;
      } else {
        const { generation: _generation, ...identity } = live.metadata ?? {};
        const before = live.metadata?.resourceVersion;
        const after = api.put({ ...target, metadata: { ...identity, labels: target.metadata?.labels, annotations }, ...('status' in live ? { status: live['status'] } : {}) });
        if (after.metadata?.resourceVersion !== before) timeline.add({ what: 'updated', app, resource: name });
        task.message = `${task.key.name} ${after.metadata?.resourceVersion !== before ? 'configured' : 'unchanged'}`;
      }
      task.result = 'Synced';
      task.state = 'running';
    } catch (error) {
      task.result = 'SyncFailed';
      task.state = 'failed';
      task.message = error instanceof Error ? error.message : String(error);
    }
  }

  // Why: a running task ends when its live object is Healthy (or has no health), fails when Degraded or gone.
  private settle(task: Task): void {
    const live = this.o.api.get(task.target!.apiVersion!, task.key.kind, task.key.namespace, task.key.name);
    if (!live) {
      task.state = 'failed';
      task.result = 'SyncFailed';
      task.message = `Resource ${task.key.group}/${task.key.kind}/${task.key.name} is missing, it might have been deleted`;
      return;
    }
    const health = resourceHealth(live);
    if (!health || health.status === 'Healthy') {
      task.state = 'succeeded';
      if (health?.message) task.message = health.message;
    } else if (health.status === 'Degraded') {
      task.state = 'failed';
      task.message = health.message ?? '';
    }
  }
}
