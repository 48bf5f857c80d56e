// Argo CD's health rules for what the scenarios deploy, read from argo-cd gitops-engine/pkg/health (health.go,
// health_job.go, health_deployment.go) and controller/health.go (setApplicationHealth). Kinds without a built-in
// check (ConfigMap, Secret, custom resources without a Lua override) have no health: undefined here.

import type { KubeObject } from '../../../src/cluster/types.js';

export type HealthCode = 'Healthy' | 'Suspended' | 'Progressing' | 'Missing' | 'Degraded' | 'Unknown';

export interface Health {
  status: HealthCode;
  message?: string;
}

/** healthOrder in health.go: most healthy first. */
const order: HealthCode[] = ['Healthy', 'Suspended', 'Progressing', 'Missing', 'Degraded', 'Unknown'];

/** health.IsWorse. */
function isWorse(current: HealthCode, next: HealthCode): boolean {
  return order.indexOf(next) > order.indexOf(current);
}

interface Condition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
}

// Why: conditions are read the same way for every kind.
function conditions(object: KubeObject): Condition[] {
  const status = object['status'] as { conditions?: Condition[] } | undefined;
  return status?.conditions ?? [];
}

/** getBatchv1JobHealth: Failed => Degraded, Complete => Healthy, Suspended => Suspended, else Progressing (condition status is not read). */
function jobHealth(job: KubeObject): Health {
  let failed: Condition | undefined;
  let complete: Condition | undefined;
  let suspended: Condition | undefined;
  for (const c of conditions(job)) {
    if (c.type === 'Failed') failed = c;
    else if (c.type === 'Complete') complete = c;
    else if (c.type === 'Suspended') suspended = c;
  }
  if (failed) return { status: 'Degraded', message: failed.message ?? '' };
  if (suspended?.status === 'True') return { status: 'Suspended', message: suspended.message ?? '' };
  if (complete || suspended) return { status: 'Healthy', message: (complete ?? suspended)!.message ?? '' };
  return { status: 'Progressing', message: '' };
}

/** getAppsv1DeploymentHealth (kubectl's rollout status): generation observed, all replicas updated and available. */
function deploymentHealth(deployment: KubeObject): Health {
  const spec = (deployment['spec'] ?? {}) as { paused?: boolean; replicas?: number };
  const status = (deployment['status'] ?? {}) as { observedGeneration?: number; replicas?: number; updatedReplicas?: number; availableReplicas?: number };
  if (spec.paused) return { status: 'Suspended', message: 'Deployment is paused' };
  const generation = Number(deployment.metadata?.['generation'] ?? 0);
  if (generation > (status.observedGeneration ?? 0)) {
    return { status: 'Progressing', message: 'Waiting for rollout to finish: observed deployment generation less than desired generation' };
  }
  const progressing = conditions(deployment).find((c) => c.type === 'Progressing');
  const updated = status.updatedReplicas ?? 0;
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    return { status: 'Degraded', message: `Deployment "${deployment.metadata?.name}" exceeded its progress deadline` };
  }
  // the API server defaults spec.replicas to 1, so an absent value means 1
  const wanted = spec.replicas ?? 1;
  if (updated < wanted) {
    return { status: 'Progressing', message: `Waiting for rollout to finish: ${updated} out of ${wanted} new replicas have been updated...` };
  }
  if ((status.replicas ?? 0) > updated) {
    return { status: 'Progressing', message: `Waiting for rollout to finish: ${(status.replicas ?? 0) - updated} old replicas are pending termination...` };
  }
  if ((status.availableReplicas ?? 0) < updated) {
    return { status: 'Progressing', message: `Waiting for rollout to finish: ${status.availableReplicas ?? 0} of ${updated} updated replicas are available...` };
  }
  return { status: 'Healthy' };
}

/** GetResourceHealth: pending deletion is Progressing; Jobs and Deployments have checks; anything else has none. */
export function resourceHealth(object: KubeObject): Health | undefined {
  if (object.metadata?.['deletionTimestamp']) return { status: 'Progressing', message: 'Pending deletion' };
  const group = (object.apiVersion ?? '').includes('/') ? object.apiVersion!.split('/')[0] : '';
  if (group === 'batch' && object.kind === 'Job') return jobHealth(object);
  if (group === 'apps' && object.kind === 'Deployment') return deploymentHealth(object);
  return undefined;
}

/** setApplicationHealth: the worst resource health, with formatHealthCauses' message; missing resources only count when nothing is live. */
export function applicationHealth(resources: Array<{ live: KubeObject | undefined }>): Health {
  let worst: HealthCode = 'Healthy';
  let causes: KubeObject[] = [];
  let containsLive = false;
  for (const { live } of resources) {
    if (!live) continue;
    containsLive = true;
    const health = resourceHealth(live);
    if (!health) continue;
    if (isWorse(worst, health.status)) {
      worst = health.status;
      causes = [live];
    } else if (worst === health.status && worst !== 'Healthy') causes.push(live);
  }
  if (resources.length > 0 && !containsLive && isWorse(worst, 'Missing')) return { status: 'Missing' };
  if (causes.length === 0) return { status: worst };
  const named = causes.slice(0, 3).map((o) => {
    const group = o.apiVersion?.includes('/') ? `${o.apiVersion.split('/')[0]}/` : '';
    return `${group}${o.kind}:${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata?.name}`;
  });
  return { status: worst, message: `Caused by ${named.join(', ')}${causes.length > 3 ? ` and ${causes.length - 3} more` : ''}` };
}
