// The imitation's health (health.ts) against gitops-engine's pkg/health rules and controller/health.go: each
// built-in check on the cases its source distinguishes, Lua checks from argocd-cm, the loud failure on a kind it
// does not know, and the app's health as the worst of its resources.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject } from '../../../src/cluster/types.js';
import { applicationHealth, resourceHealth } from './health.js';

const obj = (apiVersion: string, kind: string, parts: Record<string, unknown> = {}, metadata: Record<string, unknown> = {}): KubeObject => ({
  apiVersion,
  kind,
  metadata: { name: 'x', ...metadata },
  ...parts,
});
const status = (o: KubeObject) => resourceHealth(o)?.status;

test('StatefulSet, ReplicaSet and DaemonSet follow their rollout, as health_statefulset/replicaset/daemonset.go', () => {
  assert.deepEqual(resourceHealth(obj('apps/v1', 'StatefulSet', { spec: { replicas: 2 }, status: {} })), { status: 'Progressing', message: 'Waiting for statefulset spec update to be observed...' });
  assert.deepEqual(resourceHealth(obj('apps/v1', 'StatefulSet', { spec: { replicas: 2 }, status: { observedGeneration: 1, readyReplicas: 1 } }, { generation: 1 })), {
    status: 'Progressing',
    message: 'Waiting for 1 pods to be ready...',
  });
  assert.equal(
    status(obj('apps/v1', 'StatefulSet', { spec: { replicas: 2 }, status: { observedGeneration: 1, readyReplicas: 2, currentRevision: 'r1', updateRevision: 'r1' } }, { generation: 1 })),
    'Healthy',
  );
  assert.equal(
    status(obj('apps/v1', 'StatefulSet', { spec: { replicas: 2 }, status: { observedGeneration: 1, readyReplicas: 2, currentRevision: 'r1', updateRevision: 'r2' } }, { generation: 1 })),
    'Progressing',
  );
  assert.deepEqual(resourceHealth(obj('apps/v1', 'ReplicaSet', { spec: { replicas: 3 }, status: { availableReplicas: 1 } })), {
    status: 'Progressing',
    message: 'Waiting for rollout to finish: 1 out of 3 new replicas are available...',
  });
  assert.deepEqual(resourceHealth(obj('apps/v1', 'ReplicaSet', { spec: { replicas: 3 }, status: { conditions: [{ type: 'ReplicaFailure', status: 'True', message: 'quota' }] } })), {
    status: 'Degraded',
    message: 'quota',
  });
  assert.equal(status(obj('apps/v1', 'DaemonSet', { status: { desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 2 } })), 'Progressing');
  assert.equal(status(obj('apps/v1', 'DaemonSet', { status: { desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 3 } })), 'Healthy');
});

test('Pod, Service, PVC, Ingress, HPA, APIService and Argo Workflow, as their health_*.go', () => {
  const crashing = { containerStatuses: [{ name: 'app', state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 5m0s' } } }] };
  assert.deepEqual(resourceHealth(obj('v1', 'Pod', { spec: {}, status: { phase: 'Running', ...crashing } })), { status: 'Degraded', message: 'back-off 5m0s' });
  assert.equal(status(obj('v1', 'Pod', { spec: {}, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } })), 'Healthy');
  assert.equal(status(obj('v1', 'Pod', { spec: { restartPolicy: 'Never' }, status: { phase: 'Running' } })), 'Progressing');
  assert.deepEqual(resourceHealth(obj('v1', 'Pod', { spec: {}, status: { phase: 'Failed', containerStatuses: [{ name: 'app', state: { terminated: { exitCode: 2 } } }] } })), {
    status: 'Degraded',
    message: 'container "app" failed with exit code 2',
  });
  assert.equal(status(obj('v1', 'Service', { spec: { type: 'ClusterIP' } })), 'Healthy');
  assert.equal(status(obj('v1', 'Service', { spec: { type: 'LoadBalancer' }, status: {} })), 'Progressing');
  assert.equal(status(obj('v1', 'Service', { spec: { type: 'LoadBalancer' }, status: { loadBalancer: { ingress: [{ ip: '10.0.0.1' }] } } })), 'Healthy');
  assert.deepEqual(
    ['Bound', 'Pending', 'Lost', undefined].map((phase) => status(obj('v1', 'PersistentVolumeClaim', { status: { phase } }))),
    ['Healthy', 'Progressing', 'Degraded', 'Unknown'],
  );
  assert.equal(status(obj('networking.k8s.io/v1', 'Ingress', { status: {} })), 'Progressing');
  assert.equal(status(obj('networking.k8s.io/v1', 'Ingress', { status: { loadBalancer: { ingress: [{ hostname: 'lb' }] } } })), 'Healthy');
  assert.deepEqual(
    resourceHealth(obj('autoscaling/v2', 'HorizontalPodAutoscaler', { status: { conditions: [{ type: 'ScalingActive', reason: 'FailedGetResourceMetric', message: 'no metrics' }] } })),
    { status: 'Degraded', message: 'no metrics' },
  );
  assert.deepEqual(resourceHealth(obj('autoscaling/v2', 'HorizontalPodAutoscaler', { status: {} })), { status: 'Progressing', message: 'Waiting to Autoscale' });
  assert.deepEqual(
    resourceHealth(obj('apiregistration.k8s.io/v1', 'APIService', { status: { conditions: [{ type: 'Available', status: 'False', reason: 'MissingEndpoints', message: 'no endpoints' }] } })),
    { status: 'Progressing', message: 'MissingEndpoints: no endpoints' },
  );
  assert.deepEqual(resourceHealth(obj('argoproj.io/v1alpha1', 'Workflow', { status: { phase: 'Failed', message: 'step 2' } })), { status: 'Degraded', message: 'step 2' });
});

test('pending deletion is Progressing; kinds without health have none; a kind the imitation does not know fails loudly', () => {
  assert.deepEqual(resourceHealth(obj('v1', 'ConfigMap', {}, { deletionTimestamp: '2026-01-01T00:00:00Z' })), { status: 'Progressing', message: 'Pending deletion' });
  assert.equal(resourceHealth(obj('v1', 'ConfigMap')), undefined);
  assert.equal(resourceHealth(obj('db.example.com/v1', 'Database')), undefined);
  assert.throws(() => resourceHealth(obj('batch/v1', 'CronJob')), /the Argo CD imitation has no health rule for CronJob\.batch/);
  assert.throws(() => resourceHealth(obj('example.org/v1', 'Widget')), /no health rule for Widget\.example\.org/);
});

test('argocd-cm Lua checks run before built-in ones: the shipped FlightStatus check and any other given', () => {
  assert.deepEqual(resourceHealth(obj('jetway.dev/v1alpha1', 'FlightStatus', { spec: { state: 'Failed', message: 'job two failed' } })), { status: 'Degraded', message: 'job two failed' });
  const overrides = { batch_Job: 'return { status = "Suspended", message = obj.metadata.name .. " held" }' };
  assert.deepEqual(resourceHealth(obj('batch/v1', 'Job'), overrides), { status: 'Suspended', message: 'x held' });
  assert.equal(resourceHealth(obj('batch/v1', 'Job'), { batch_Job: 'error("boom")' })?.status, 'Unknown');
});

test("app health is the worst resource health in Argo CD's order; hooks and ignore-healthcheck are skipped; Missing only when nothing is live", () => {
  const job = (conditions: unknown[]) => obj('batch/v1', 'Job', { status: { conditions } });
  const flight = (state: string) => obj('jetway.dev/v1alpha1', 'FlightStatus', { spec: { state } });
  const complete = job([{ type: 'Complete', status: 'True' }]);
  assert.equal(applicationHealth([{ live: complete }, { live: flight('Waiting') }]).status, 'Progressing');
  assert.equal(applicationHealth([{ live: complete }, { live: flight('Done') }]).status, 'Healthy');
  assert.equal(applicationHealth([{ live: job([{ type: 'Failed', status: 'True' }]) }, { live: flight('Waiting') }]).status, 'Degraded');
  assert.equal(applicationHealth([{ live: flight('Waiting') }, { live: obj('v1', 'PersistentVolumeClaim', { status: {} }) }]).status, 'Unknown');
  assert.equal(applicationHealth([{ live: complete }, { live: undefined }]).status, 'Healthy');
  assert.equal(applicationHealth([{ live: undefined }]).status, 'Missing');
  const ignored = obj('jetway.dev/v1alpha1', 'FlightStatus', { spec: { state: 'Failed' } }, { annotations: { 'argocd.argoproj.io/ignore-healthcheck': 'true' } });
  assert.equal(applicationHealth([{ live: complete }, { live: ignored }]).status, 'Healthy');
  const hook = obj('batch/v1', 'Job', { status: { conditions: [{ type: 'Failed' }] } }, { annotations: { 'argocd.argoproj.io/hook': 'PostSync' } });
  assert.equal(applicationHealth([{ live: complete }, { live: hook }]).status, 'Healthy');
});
