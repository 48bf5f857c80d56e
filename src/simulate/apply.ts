// Applying manifests to the simulated cluster: finding the live object, telling whether it is already applied,
// and what an apply leaves behind (the manifest, with the status its controller wrote).

import type { OfflineCluster } from '../cluster/offline.js';
import { groupOf } from '../cluster/names.js';
import type { KubeObject } from '../cluster/types.js';

/** Why: the live object has more than the manifest (namespace, status, fields from the state file); only what the manifest says must match. */
function contains(live: unknown, desired: unknown): boolean {
  if (Array.isArray(desired)) return Array.isArray(live) && live.length === desired.length && desired.every((d, i) => contains(live[i], d));
  if (typeof desired === 'object' && desired !== null) {
    if (typeof live !== 'object' || live === null || Array.isArray(live)) return false;
    const object = live as Record<string, unknown>;
    return Object.entries(desired).every(([key, value]) => contains(object[key], value));
  }
  return live === desired;
}

/** Why: status belongs to controllers (the API server ignores it on apply), so it never makes a manifest out of sync. */
function withoutStatus(object: KubeObject): KubeObject {
  const rest = { ...object };
  delete rest.status;
  return rest;
}

/** Why: a manifest lands on the object with its group, kind, name and (for namespaced kinds) namespace, defaulted as Argo CD does. */
export async function liveOf(cluster: OfflineCluster, desired: KubeObject, namespace: string): Promise<KubeObject | undefined> {
  const group = groupOf(desired.apiVersion ?? '');
  const namespaced = (await cluster.restMapping(group, desired.kind ?? ''))?.Namespaced !== false;
  const wantedNamespace = desired.metadata?.namespace || namespace;
  return cluster
    .all()
    .find((o) => groupOf(o.apiVersion ?? '') === group && o.kind === desired.kind && o.metadata?.name === desired.metadata?.name && (!namespaced || o.metadata?.namespace === wantedNamespace));
}

/** Why: Argo CD applies only what is out of sync; an applied manifest is wholly contained in the live object. */
export function isApplied(live: KubeObject, desired: KubeObject): boolean {
  return contains(live, withoutStatus(desired));
}

/** Why: applying replaces what the manifest says but keeps the status, so a finished Job stays finished. */
export function applyOver(live: KubeObject | undefined, desired: KubeObject): KubeObject {
  const applied = withoutStatus(desired);
  return live?.['status'] === undefined ? applied : { ...applied, status: live['status'] };
}
