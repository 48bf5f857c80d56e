// The cluster's own controllers, small: Jobs finish (or fail, when told) and Deployments become available after a delay,
// and a database operator publishes a connection Secret for each Database. They write status the way the real
// controllers do, so Argo CD's health rules (health.ts) and the flights' own checks read it unchanged.

import type { KubeObject } from '../../../src/cluster/types.js';
import type { FakeApiServer } from '../apiserver.js';
import type { Kubectl } from './kubectl.js';
import { Loop } from './loop.js';
import type { Timeline } from './timeline.js';

export interface WorkloadOptions {
  api: FakeApiServer;
  timeline: Timeline;
  /** How often the controllers look at the cluster. */
  tickMs: number;
}

/** When each object (by uid and generation) was first seen, so work finishes a fixed time after it started. */
class FirstSeen {
  private readonly at = new Map<string, number>();

  // Why: a re-created object (new uid) or a new generation starts its clock again.
  since(object: KubeObject): number {
    const key = `${String(object.metadata?.['uid'])}@${String(object.metadata?.['generation'] ?? 0)}`;
    if (!this.at.has(key)) this.at.set(key, Date.now());
    return Date.now() - this.at.get(key)!;
  }
}

const now = () => new Date().toISOString();

/** A controller: one reconcile loop over the cluster, and the time each object was first seen. */
abstract class WorkloadController {
  protected readonly seen = new FirstSeen();
  private readonly loop: Loop;

  // Why: every controller polls the fake API server on its own loop.
  constructor(name: string, tickMs: number) {
    this.loop = new Loop(name, tickMs, () => this.reconcile());
  }

  /** One pass over the objects this controller owns. */
  protected abstract reconcile(): void | Promise<void>;

  /** Errors of reconcile passes, for scenarios to report. */
  get errors(): Error[] {
    return this.loop.errors;
  }

  /** Stops after the current pass. */
  stop(): Promise<void> {
    return this.loop.stop();
  }
}

/** The Job controller: every Job runs for `durationMs`, then completes, or fails with the message it was told. */
export class JobController extends WorkloadController {
  private readonly failures = new Map<string, string>();
  private readonly held = new Set<string>();

  // Why: starts reconciling at once.
  constructor(private readonly o: WorkloadOptions & { durationMs: number }) {
    super('jobs', o.tickMs);
  }

  /** Jobs named `name` fail from now on (the container exits non-zero), with `message` on the Failed condition. */
  failJob(name: string, message: string): void {
    this.failures.set(name, message);
  }

  /** Jobs named `name` succeed again (the bug was fixed). */
  fixJob(name: string): void {
    this.failures.delete(name);
  }

  /** Jobs named `name` keep running until released (a long step), so a scenario can act while one runs. */
  holdJob(name: string): void {
    this.held.add(name);
  }

  /** A held Job finishes on the next pass (its duration has passed). */
  releaseJob(name: string): void {
    this.held.delete(name);
  }

  // Why: a Job without a final condition gets a start time, then after its duration the condition batch/v1 sets.
  protected reconcile(): void {
    for (const job of this.o.api.list('batch/v1', 'Job')) {
      const status = (job['status'] ?? {}) as { conditions?: Array<{ type: string }> };
      if (status.conditions?.some((c) => c.type === 'Complete' || c.type === 'Failed')) continue;
      const { namespace, name } = job.metadata as { namespace: string; name: string };
      const elapsed = this.seen.since(job);
      if (elapsed < this.o.durationMs || this.held.has(name)) {
        if (!('startTime' in status)) this.o.api.setStatus('batch/v1', 'Job', namespace, name, { startTime: now(), active: 1 });
        continue;
      }
      const failure = this.failures.get(name);
      const startTime = (job['status'] as { startTime?: string } | undefined)?.startTime ?? now();
      if (failure !== undefined) {
        this.o.api.setStatus('batch/v1', 'Job', namespace, name, {
          startTime,
          failed: 1,
          conditions: [
            { type: 'FailureTarget', status: 'True', reason: 'BackoffLimitExceeded', message: failure, lastTransitionTime: now() },
            { type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: failure, lastTransitionTime: now() },
          ],
        });
        this.o.timeline.add({ what: 'job-failed', resource: `Job/${name}`, message: failure });
      } else {
        this.o.api.setStatus('batch/v1', 'Job', namespace, name, {
          startTime,
          completionTime: now(),
          succeeded: 1,
          conditions: [
            { type: 'SuccessCriteriaMet', status: 'True', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods', lastTransitionTime: now() },
            { type: 'Complete', status: 'True', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods', lastTransitionTime: now() },
          ],
        });
        this.o.timeline.add({ what: 'job-completed', resource: `Job/${name}` });
      }
    }
  }
}

/** The Deployment controller: a new generation is observed at once and its replicas become available after `readyAfterMs`. */
export class DeploymentController extends WorkloadController {
  // Why: starts reconciling at once.
  constructor(private readonly o: WorkloadOptions & { readyAfterMs: number }) {
    super('deployments', o.tickMs);
  }

  // Why: observedGeneration first (rollout Progressing), then available replicas and the Available condition.
  protected reconcile(): void {
    for (const deployment of this.o.api.list('apps/v1', 'Deployment')) {
      const { namespace, name } = deployment.metadata as { namespace: string; name: string };
      const generation = Number(deployment.metadata?.['generation'] ?? 1);
      const replicas = (deployment['spec'] as { replicas?: number } | undefined)?.replicas ?? 1;
      const status = (deployment['status'] ?? {}) as { observedGeneration?: number; availableReplicas?: number };
      if (status.observedGeneration === generation && status.availableReplicas === replicas) continue;
      const ready = this.seen.since(deployment) >= this.o.readyAfterMs;
      const available = ready ? replicas : 0;
      const next = {
        observedGeneration: generation,
        replicas,
        updatedReplicas: replicas,
        readyReplicas: available,
        availableReplicas: available,
        conditions: [
          ready
            ? { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' }
            : { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.' },
          {
            type: 'Progressing',
            status: 'True',
            reason: ready ? 'NewReplicaSetAvailable' : 'ReplicaSetUpdated',
            message: `ReplicaSet "${name}-5d4c7b9f8" ${ready ? 'has successfully progressed' : 'is progressing'}.`,
          },
        ],
      };
      if (status.observedGeneration === generation && !ready) continue;
      this.o.api.setStatus('apps/v1', 'Deployment', namespace, name, next);
      if (ready) this.o.timeline.add({ what: 'deployment-available', resource: `Deployment/${name}` });
    }
  }
}

/** Another team's database operator: some time after a Database appears, it publishes the Secret `<database>-conn`. */
export class DatabaseOperator extends WorkloadController {
  // Why: starts reconciling at once.
  constructor(private readonly o: WorkloadOptions & { provisionMs: number }) {
    super('databases', o.tickMs);
  }

  // Why: the Secret is the operator's, not the release's: it carries no yoke ownership, so flights need a matcher to read it.
  protected reconcile(): void {
    for (const database of this.o.api.list('db.example.com/v1', 'Database')) {
      const { namespace, name } = database.metadata as { namespace: string; name: string };
      const secret = `${name}-conn`;
      if (this.o.api.get('v1', 'Secret', namespace, secret) || this.seen.since(database) < this.o.provisionMs) continue;
      this.o.api.put({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: secret, namespace, labels: { 'app.kubernetes.io/managed-by': 'database-operator' } },
        stringData: { host: `${name}.${namespace}.svc`, port: '5432', password: 'generated' },
      });
      this.o.timeline.add({ what: 'secret-published', resource: `Secret/${secret}` });
    }
  }
}

/**
 * The garbage collector: in foreground deletion, an object marked for deletion with the `foregroundDeletion`
 * finalizer loses that finalizer (through the API, so the API server deletes it) `collectMs` after it was marked, the
 * time its dependents (a Job's Pods, a Deployment's ReplicaSets) take to go; and, as in background deletion, jetway's
 * RunRecords whose owner (their Application) is gone are deleted. Scans the kinds the scenarios deploy.
 */
export class GarbageCollector extends WorkloadController {
  private readonly kinds: Array<[string, string]> = [
    ['batch/v1', 'Job'],
    ['apps/v1', 'Deployment'],
    ['v1', 'ConfigMap'],
    ['v1', 'Secret'],
  ];

  // Why: starts reconciling at once; writes through `kubectl` because only an API update deletes a finalized object.
  constructor(private readonly o: WorkloadOptions & { kubectl: Kubectl; collectMs: number }) {
    super('garbage collector', o.tickMs);
  }

  // Why: custom kinds (the Database CRD) are collected too once they are served.
  protected async reconcile(): Promise<void> {
    const custom = this.o.api.get('apiextensions.k8s.io/v1', 'CustomResourceDefinition', undefined, 'databases.db.example.com') ? [['db.example.com/v1', 'Database'] as [string, string]] : [];
    for (const [apiVersion, kind] of [...this.kinds, ...custom]) {
      for (const object of this.o.api.list(apiVersion, kind)) {
        const finalizers = (object.metadata?.['finalizers'] as string[] | undefined) ?? [];
        if (!object.metadata?.['deletionTimestamp'] || !finalizers.includes('foregroundDeletion')) continue;
        if (this.seen.since(object) < this.o.collectMs) continue;
        await this.o.kubectl.mergePatch(object, { metadata: { finalizers: finalizers.filter((f) => f !== 'foregroundDeletion') } });
        this.o.timeline.add({ what: 'garbage-collected', resource: `${kind}/${object.metadata?.name}` });
      }
    }
    await this.collectOrphanedRunRecords();
  }

  // Why: a RunRecord is owned by its Application (ownerReferences with the Application's uid); the real garbage
  // collector deletes it once that owner is gone, which is how jetway learns an Application was deleted.
  private async collectOrphanedRunRecords(): Promise<void> {
    if (!this.o.api.get('apiextensions.k8s.io/v1', 'CustomResourceDefinition', undefined, 'runrecords.jetway.dev')) return;
    for (const record of this.o.api.list('jetway.dev/v1alpha1', 'RunRecord')) {
      const owners = (record.metadata?.['ownerReferences'] as Array<{ apiVersion: string; kind: string; name: string; uid: string }> | undefined) ?? [];
      const namespace = record.metadata?.namespace ?? '';
      const orphaned = owners.length > 0 && owners.every((o) => this.o.api.get(o.apiVersion, o.kind, namespace, o.name)?.metadata?.['uid'] !== o.uid);
      if (!orphaned) continue;
      this.o.api.remove('jetway.dev/v1alpha1', 'RunRecord', namespace, String(record.metadata?.name));
      this.o.timeline.add({ what: 'garbage-collected', resource: `RunRecord/${record.metadata?.name}` });
    }
  }
}
