// Argo CD's health rules for what simulate moves along: Jobs and Deployments; anything else is ready once it exists.

import { groupKindString, groupOf } from '../cluster/names.js';
import type { DashboardHealth } from '../stages/flight-status.js';
import type { KubeObject } from '../cluster/types.js';

type Health = 'ready' | 'progressing' | 'failed';

interface Condition {
  type?: unknown;
  status?: unknown;
}

/** Why: `Kind.group` tells a batch Job from any custom kind that happens to be called Job. */
export function groupKindOf(object: KubeObject): string {
  return groupKindString(groupOf(object.apiVersion ?? ''), object.kind ?? '');
}

/** Why: flights and Argo CD both judge workloads by status conditions, so simulate reads them the same way. */
function hasCondition(object: KubeObject, type: string): boolean {
  const conditions = (object['status'] as { conditions?: unknown } | undefined)?.conditions;
  return Array.isArray(conditions) && conditions.some((c: Condition) => c?.type === type && c?.status === 'True');
}

/** Why: a wave is done when its objects are healthy; a failed Job stops the waves after it, as in an Argo CD sync. */
export function healthOf(object: KubeObject): Health {
  switch (groupKindOf(object)) {
    case 'Job.batch':
      if (hasCondition(object, 'Failed')) return 'failed';
      return hasCondition(object, 'Complete') ? 'ready' : 'progressing';
    case 'Deployment.apps': {
      const wanted = (object['spec'] as { replicas?: number } | undefined)?.replicas ?? 1;
      const available = (object['status'] as { availableReplicas?: number } | undefined)?.availableReplicas ?? 0;
      return hasCondition(object, 'Available') && available >= wanted ? 'ready' : 'progressing';
    }
    default:
      return 'ready';
  }
}

/** Argo CD's order, healthiest first (gitops-engine pkg/health/health.go healthOrder), for the codes simulate meets. */
const order: Array<DashboardHealth['status']> = ['Healthy', 'Progressing', 'Degraded'];
const asCode: Record<Health, DashboardHealth['status']> = { ready: 'Healthy', progressing: 'Progressing', failed: 'Degraded' };

/** Why: the dashboard shows the worst health of the app's resources, the FlightStatus (the flight's own signal) among them. */
export function appHealth(flight: DashboardHealth, lives: readonly KubeObject[]): DashboardHealth {
  let worst = flight;
  for (const live of lives) {
    const status = asCode[healthOf(live)];
    if (order.indexOf(status) > order.indexOf(worst.status)) worst = { status, message: `${live.kind} ${live.metadata?.name ?? ''}` };
  }
  return worst;
}
