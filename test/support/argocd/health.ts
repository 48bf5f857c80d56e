// Argo CD's health, as v3.5.1 computes it: gitops-engine pkg/health (health.go GetResourceHealth and the built-in
// checks in health_*.go), Lua health checks from argocd-cm (resource.customizations.health.<group>_<Kind>, run on a
// real Lua VM: lua.ts), and controller/health.go setApplicationHealth for the app. Kinds Argo CD gives no health
// (ConfigMap, Secret, ...) have none here; a kind this imitation does not know fails loudly, so a scenario never
// passes on a health rule that Argo CD would not apply.

import { readFileSync } from 'node:fs';
import yaml from 'js-yaml';
import type { KubeObject } from '../../../src/cluster/types.js';
import { repoPath } from '../paths.js';
import { runLuaHealth } from './lua.js';

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

type Fields = Record<string, unknown>;

// Why: conditions are read the same way for every kind.
function conditions(object: KubeObject): Condition[] {
  const status = object['status'] as { conditions?: Condition[] } | undefined;
  return status?.conditions ?? [];
}

/** Why: the checks read spec and status as loosely typed maps, as unstructured objects are. */
function part(object: KubeObject, name: 'spec' | 'status'): Fields {
  const value = object[name];
  return typeof value === 'object' && value !== null ? (value as Fields) : {};
}

/** Why: Go's typed conversion reads an absent number as 0. */
function num(value: unknown): number {
  return typeof value === 'number' ? value : 0;
}

function generation(object: KubeObject): number {
  return num(object.metadata?.['generation']);
}

/** health_job.go: Failed => Degraded, Complete => Healthy, Suspended => Suspended, else Progressing (condition status is not read). */
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

/** health_deployment.go (kubectl's rollout status): generation observed, all replicas updated and available. */
function deploymentHealth(deployment: KubeObject): Health {
  const spec = part(deployment, 'spec') as { paused?: boolean; replicas?: number };
  const status = part(deployment, 'status');
  if (spec.paused) return { status: 'Suspended', message: 'Deployment is paused' };
  if (generation(deployment) > num(status['observedGeneration'])) {
    return { status: 'Progressing', message: 'Waiting for rollout to finish: observed deployment generation less than desired generation' };
  }
  const progressing = conditions(deployment).find((c) => c.type === 'Progressing');
  const updated = num(status['updatedReplicas']);
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    return { status: 'Degraded', message: `Deployment "${deployment.metadata?.name}" exceeded its progress deadline` };
  }
  // the API server defaults spec.replicas to 1, so an absent value means 1
  const wanted = spec.replicas ?? 1;
  if (updated < wanted) return { status: 'Progressing', message: `Waiting for rollout to finish: ${updated} out of ${wanted} new replicas have been updated...` };
  if (num(status['replicas']) > updated) return { status: 'Progressing', message: `Waiting for rollout to finish: ${num(status['replicas']) - updated} old replicas are pending termination...` };
  if (num(status['availableReplicas']) < updated)
    return { status: 'Progressing', message: `Waiting for rollout to finish: ${num(status['availableReplicas'])} of ${updated} updated replicas are available...` };
  return { status: 'Healthy' };
}

/** health_statefulset.go. */
function statefulSetHealth(sts: KubeObject): Health {
  const spec = part(sts, 'spec') as { replicas?: number; updateStrategy?: { type?: string; rollingUpdate?: { partition?: number } } };
  const status = part(sts, 'status');
  const observed = num(status['observedGeneration']);
  if (observed === 0 || generation(sts) > observed) return { status: 'Progressing', message: 'Waiting for statefulset spec update to be observed...' };
  const ready = num(status['readyReplicas']);
  if (spec.replicas !== undefined && ready < spec.replicas) return { status: 'Progressing', message: `Waiting for ${spec.replicas - ready} pods to be ready...` };
  const strategy = spec.updateStrategy?.type ?? 'RollingUpdate';
  const updated = num(status['updatedReplicas']);
  if (strategy === 'RollingUpdate' && spec.updateStrategy?.rollingUpdate) {
    const partition = spec.updateStrategy.rollingUpdate.partition;
    if (spec.replicas !== undefined && partition !== undefined && updated < spec.replicas - partition) {
      return { status: 'Progressing', message: `Waiting for partitioned roll out to finish: ${updated} out of ${spec.replicas - partition} new pods have been updated...` };
    }
    return { status: 'Healthy', message: `partitioned roll out complete: ${updated} new pods have been updated...` };
  }
  if (strategy === 'OnDelete') return { status: 'Healthy', message: `statefulset has ${ready} ready pods` };
  if (status['updateRevision'] !== status['currentRevision']) {
    return { status: 'Progressing', message: `waiting for statefulset rolling update to complete ${updated} pods at revision ${String(status['updateRevision'] ?? '')}...` };
  }
  return { status: 'Healthy', message: `statefulset rolling update complete ${num(status['currentReplicas'])} pods at revision ${String(status['currentRevision'] ?? '')}...` };
}

/** health_replicaset.go. */
function replicaSetHealth(rs: KubeObject): Health {
  const spec = part(rs, 'spec') as { replicas?: number };
  const status = part(rs, 'status');
  if (generation(rs) > num(status['observedGeneration'])) {
    return { status: 'Progressing', message: 'Waiting for rollout to finish: observed replica set generation less than desired generation' };
  }
  const failure = conditions(rs).find((c) => c.type === 'ReplicaFailure');
  if (failure?.status === 'True') return { status: 'Degraded', message: failure.message ?? '' };
  const available = num(status['availableReplicas']);
  if (spec.replicas !== undefined && available < spec.replicas) {
    return { status: 'Progressing', message: `Waiting for rollout to finish: ${available} out of ${spec.replicas} new replicas are available...` };
  }
  return { status: 'Healthy' };
}

/** health_daemonset.go. */
function daemonSetHealth(ds: KubeObject): Health {
  const spec = part(ds, 'spec') as { updateStrategy?: { type?: string } };
  const status = part(ds, 'status');
  const name = ds.metadata?.name ?? '';
  if (generation(ds) > num(status['observedGeneration'])) {
    return { status: 'Progressing', message: 'Waiting for rollout to finish: observed daemon set generation less than desired generation' };
  }
  const updated = num(status['updatedNumberScheduled']);
  const desired = num(status['desiredNumberScheduled']);
  if (spec.updateStrategy?.type === 'OnDelete') return { status: 'Healthy', message: `daemon set ${updated} out of ${desired} new pods have been updated` };
  if (updated < desired) return { status: 'Progressing', message: `Waiting for daemon set "${name}" rollout to finish: ${updated} out of ${desired} new pods have been updated...` };
  const available = num(status['numberAvailable']);
  if (available < desired) return { status: 'Progressing', message: `Waiting for daemon set "${name}" rollout to finish: ${available} of ${desired} updated pods are available...` };
  return { status: 'Healthy' };
}

interface ContainerStatus {
  name?: string;
  state?: { waiting?: { reason?: string; message?: string }; terminated?: { message?: string; reason?: string; exitCode?: number } };
  lastState?: { terminated?: unknown };
}

/** health_pod.go (podutils.IsPodReady: condition Ready=True). */
function podHealth(pod: KubeObject): Health {
  const spec = part(pod, 'spec') as { restartPolicy?: string };
  const status = part(pod, 'status') as { phase?: string; message?: string; containerStatuses?: ContainerStatus[]; initContainerStatuses?: ContainerStatus[] };
  const restartPolicy = spec.restartPolicy ?? 'Always';
  const message = status.message ?? '';
  const containers = status.containerStatuses ?? [];
  if (restartPolicy === 'Always') {
    const bad = containers.filter((c) => {
      const reason = c.state?.waiting?.reason;
      return reason !== undefined && (reason.startsWith('Err') || reason.endsWith('Error') || reason.endsWith('BackOff'));
    });
    if (bad.length > 0) return { status: 'Degraded', message: bad.map((c) => c.state?.waiting?.message ?? '').join(', ') };
  }
  const failMessage = (c: ContainerStatus): string => {
    const t = c.state?.terminated;
    if (!t) return '';
    if (t.message) return t.message;
    if (t.reason === 'OOMKilled') return t.reason;
    if (t.exitCode) return `container "${c.name ?? ''}" failed with exit code ${t.exitCode}`;
    return '';
  };
  switch (status.phase) {
    case 'Pending':
      return { status: 'Progressing', message };
    case 'Succeeded':
      return { status: 'Healthy', message };
    case 'Failed': {
      if (message) return { status: 'Degraded', message };
      const found = [...(status.initContainerStatuses ?? []), ...containers].map(failMessage).find((m) => m !== '');
      return { status: 'Degraded', message: found ?? '' };
    }
    case 'Running':
      if (restartPolicy === 'Always') {
        if (conditions(pod).some((c) => c.type === 'Ready' && c.status === 'True')) return { status: 'Healthy', message };
        if (containers.some((c) => c.lastState?.terminated !== undefined)) return { status: 'Degraded', message };
        return { status: 'Progressing', message };
      }
      return { status: 'Progressing', message };
  }
  return { status: 'Unknown', message };
}

/** health_service.go: a LoadBalancer is Progressing until it has an ingress; every other Service is Healthy. */
function serviceHealth(service: KubeObject): Health {
  if ((part(service, 'spec') as { type?: string }).type !== 'LoadBalancer') return { status: 'Healthy' };
  const ingress = (part(service, 'status') as { loadBalancer?: { ingress?: unknown[] } }).loadBalancer?.ingress ?? [];
  return { status: ingress.length > 0 ? 'Healthy' : 'Progressing' };
}

/** health_ingress.go: Healthy once the load balancer reports an ingress. */
function ingressHealth(ingress: KubeObject): Health {
  const entries = (part(ingress, 'status') as { loadBalancer?: { ingress?: unknown[] } }).loadBalancer?.ingress ?? [];
  return { status: entries.length > 0 ? 'Healthy' : 'Progressing' };
}

/** health_pvc.go. */
function pvcHealth(pvc: KubeObject): Health {
  const phase = (part(pvc, 'status') as { phase?: string }).phase;
  const byPhase: Record<string, HealthCode> = { Lost: 'Degraded', Pending: 'Progressing', Bound: 'Healthy' };
  return { status: (phase !== undefined && byPhase[phase]) || 'Unknown' };
}

const hpaDegraded: Array<[string, string]> = [
  ['AbleToScale', 'FailedGetScale'],
  ['AbleToScale', 'FailedUpdateScale'],
  ['ScalingActive', 'FailedGetResourceMetric'],
  ['ScalingActive', 'InvalidSelector'],
];

/** health_hpa.go: v2 conditions (v1 keeps them in an annotation); the first degraded or healthy one decides. */
function hpaHealth(hpa: KubeObject): Health {
  const waiting: Health = { status: 'Progressing', message: 'Waiting to Autoscale' };
  let list: Condition[];
  if (hpa.apiVersion === 'autoscaling/v1') {
    const annotation = hpa.metadata?.annotations?.['autoscaling.alpha.kubernetes.io/conditions'];
    if (annotation === undefined) return waiting;
    try {
      list = JSON.parse(annotation) as Condition[];
    } catch (error) {
      return { status: 'Unknown', message: `failed to convert conditions annotation to typed: ${String(error)}` };
    }
  } else list = conditions(hpa);
  for (const c of list) {
    if (hpaDegraded.some(([type, reason]) => c.type === type && c.reason === reason)) return { status: 'Degraded', message: c.message ?? '' };
    if ((c.type === 'AbleToScale' || c.type === 'ScalingLimited') && c.status === 'True') return { status: 'Healthy', message: c.message ?? '' };
  }
  return waiting;
}

/** health_apiservice.go. */
function apiServiceHealth(api: KubeObject): Health {
  const available = conditions(api).find((c) => c.type === 'Available');
  if (!available) return { status: 'Progressing', message: 'Waiting to be processed' };
  return { status: available.status === 'True' ? 'Healthy' : 'Progressing', message: `${available.reason ?? ''}: ${available.message ?? ''}` };
}

/** health_argo.go: an Argo Workflow by its phase. */
function workflowHealth(workflow: KubeObject): Health {
  const status = part(workflow, 'status') as { phase?: string; message?: string };
  const message = status.message ?? '';
  switch (status.phase ?? '') {
    case '':
    case 'Pending':
    case 'Running':
      return { status: 'Progressing', message };
    case 'Succeeded':
      return { status: 'Healthy', message };
    case 'Failed':
    case 'Error':
      return { status: 'Degraded', message };
  }
  return { status: 'Unknown', message };
}

/** GetHealthCheckFunc, keyed `group/Kind` (core group: `/Kind`). */
const builtIn: Record<string, (o: KubeObject) => Health> = {
  'apps/Deployment': deploymentHealth,
  'apps/StatefulSet': statefulSetHealth,
  'apps/ReplicaSet': replicaSetHealth,
  'apps/DaemonSet': daemonSetHealth,
  'extensions/Ingress': ingressHealth,
  'networking.k8s.io/Ingress': ingressHealth,
  'argoproj.io/Workflow': workflowHealth,
  'apiregistration.k8s.io/APIService': apiServiceHealth,
  '/Service': serviceHealth,
  '/PersistentVolumeClaim': pvcHealth,
  '/Pod': podHealth,
  'batch/Job': jobHealth,
  'autoscaling/HorizontalPodAutoscaler': hpaHealth,
};

/**
 * Kinds that reach this imitation and that Argo CD v3.5.1 gives no health (no built-in check, no bundled Lua in
 * resource_customizations): their health is nil and they never hold a sync wave. db.example.com is the scenarios'
 * own Database CRD, which has no customization either.
 */
const withoutHealth = new Set([
  '/ConfigMap',
  '/Secret',
  '/ServiceAccount',
  '/Namespace',
  '/Endpoints',
  '/LimitRange',
  '/ResourceQuota',
  'rbac.authorization.k8s.io/Role',
  'rbac.authorization.k8s.io/RoleBinding',
  'rbac.authorization.k8s.io/ClusterRole',
  'rbac.authorization.k8s.io/ClusterRoleBinding',
  'networking.k8s.io/NetworkPolicy',
  'db.example.com/Database',
]);

/** The argocd-cm key of a kind's health customization (util/lua GetConfigMapKey). */
function configMapKey(group: string, kind: string): string {
  return group === '' ? kind : `${group}_${kind}`;
}

const healthPrefix = 'resource.customizations.health.';

/** The Lua health checks jetway's deploy/ puts into argocd-cm, read from the shipped patch itself. */
export function shippedHealthOverrides(): Record<string, string> {
  const patch = yaml.load(readFileSync(repoPath('deploy/flight-status/argocd-cm-health.yaml'), 'utf8')) as { data?: Record<string, string> };
  return Object.fromEntries(
    Object.entries(patch.data ?? {})
      .filter(([k]) => k.startsWith(healthPrefix))
      .map(([k, v]) => [k.slice(healthPrefix.length), v]),
  );
}

let shipped: Record<string, string> | undefined;

function groupOf(object: KubeObject): string {
  const apiVersion = object.apiVersion ?? '';
  return apiVersion.includes('/') ? apiVersion.split('/')[0]! : '';
}

/**
 * GetResourceHealth: pending deletion is Progressing; then an argocd-cm Lua check (by default the ones jetway ships);
 * then the built-in check; kinds Argo CD gives no health return undefined; any other kind throws.
 */
export function resourceHealth(object: KubeObject, overrides: Record<string, string> = (shipped ??= shippedHealthOverrides())): Health | undefined {
  if (object.metadata?.['deletionTimestamp']) return { status: 'Progressing', message: 'Pending deletion' };
  const group = groupOf(object);
  const kind = object.kind ?? '';
  const script = overrides[configMapKey(group, kind)];
  if (script !== undefined) return runLuaHealth(script, object);
  const check = builtIn[`${group}/${kind}`];
  if (check) return check(object);
  if (withoutHealth.has(`${group}/${kind}`)) return undefined;
  throw new Error(
    `the Argo CD imitation has no health rule for ${kind}${group ? `.${group}` : ''}: add Argo CD's built-in check (gitops-engine pkg/health, argo-cd resource_customizations) to test/support/argocd/health.ts, or list it among the kinds without health`,
  );
}

/**
 * setApplicationHealth (controller/health.go): the worst health of the live resources, hooks and resources annotated
 * argocd.argoproj.io/ignore-healthcheck skipped; Missing only when nothing is live. Argo CD 3 keeps no app-level
 * message: the dashboard shows each resource's own message (resourceHealth).
 */
export function applicationHealth(resources: Array<{ live: KubeObject | undefined }>): Health {
  let worst: HealthCode = 'Healthy';
  let containsResources = false;
  let containsLive = false;
  for (const { live } of resources) {
    if (live?.metadata?.annotations?.['argocd.argoproj.io/hook'] !== undefined) continue;
    containsResources = true;
    if (!live) continue;
    containsLive = true;
    if (live.metadata?.annotations?.['argocd.argoproj.io/ignore-healthcheck'] === 'true') continue;
    const health = resourceHealth(live);
    if (health && isWorse(worst, health.status)) worst = health.status;
  }
  if (containsResources && !containsLive && isWorse(worst, 'Missing')) return { status: 'Missing' };
  return { status: worst };
}
