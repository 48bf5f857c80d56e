// The controllers simulate stands in for: the Job controller runs Jobs to completion (or failure), the Deployment
// controller makes Deployments available. Each returns the object with the status its real controller would write.

import type { KubeObject } from '../cluster/types.js';
import { groupKindOf } from './health.js';

/** A workload moved on by its simulated controller, and a word on what happened. */
export interface Advanced {
  object: KubeObject;
  outcome: string;
}

/** The status fields both workloads keep besides the ones simulate writes. */
type Status = Record<string, unknown> & { conditions?: unknown[] };

/** Why: a new condition replaces an older one of the same type, as controllers do, and leaves the others. */
function withConditions(object: KubeObject, fields: Record<string, unknown>, conditions: Array<Record<string, string>>): KubeObject {
  const status = (object['status'] ?? {}) as Status;
  const types = new Set(conditions.map((c) => c['type']));
  const kept = (status.conditions ?? []).filter((c) => !types.has((c as { type?: string }).type ?? ''));
  return { ...object, status: { ...status, ...fields, conditions: [...kept, ...conditions] } };
}

/** Why: the Job controller's final status is what a flight waiting on a Job reads (Complete, or Failed with its message). */
function finishJob(job: KubeObject, fail: boolean): Advanced {
  if (fail) {
    const failed = { type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' };
    return { object: withConditions(job, { active: 0, failed: 1 }, [failed]), outcome: 'Failed (--fail-job)' };
  }
  return { object: withConditions(job, { active: 0, succeeded: 1 }, [{ type: 'Complete', status: 'True', reason: 'CompletionsReached' }]), outcome: 'Complete' };
}

/** Why: flights wait on either the Available condition or the replica counts, so both are written. */
function makeAvailable(deployment: KubeObject): Advanced {
  const replicas = (deployment['spec'] as { replicas?: number } | undefined)?.replicas ?? 1;
  const counts = { replicas, updatedReplicas: replicas, readyReplicas: replicas, availableReplicas: replicas };
  const conditions = [
    { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' },
    { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' },
  ];
  return { object: withConditions(deployment, counts, conditions), outcome: `Available (${replicas}/${replicas} replicas)` };
}

/** Why: one entry point per step, so the loop need not know which kinds have a controller; undefined for the others. */
export function advance(object: KubeObject, failJobs: ReadonlySet<string>): Advanced | undefined {
  switch (groupKindOf(object)) {
    case 'Job.batch':
      return finishJob(object, failJobs.has(object.metadata?.name ?? ''));
    case 'Deployment.apps':
      return makeAvailable(object);
    default:
      return undefined;
  }
}
