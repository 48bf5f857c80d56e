// A run record keeps a fingerprint of each object a flight looked up: a real change must change it, and the API
// server's own bookkeeping (a bare resourceVersion bump) must not, or every heartbeat would hard-refresh the app.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fingerprint } from '../../src/cluster/fingerprint.js';
import type { KubeObject } from '../../src/cluster/types.js';

const job: KubeObject = {
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name: 'one', namespace: 'demo', resourceVersion: '10', generation: 1, labels: { app: 'demo' } },
  spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
  status: { active: 1 },
};

test('bookkeeping the API server changes on its own leaves the fingerprint as it was', () => {
  const bumped = { ...job, metadata: { ...job.metadata, resourceVersion: '11', generation: 2, managedFields: [{ manager: 'kubectl' }], selfLink: '/x' } };
  assert.equal(fingerprint(bumped), fingerprint(job));
});

test('key order and undefined fields do not matter; the hash is sha256 hex', () => {
  const reordered: KubeObject = {
    status: { active: 1 },
    spec: job['spec'],
    kind: 'Job',
    apiVersion: 'batch/v1',
    metadata: { labels: { app: 'demo' }, namespace: 'demo', name: 'one' },
    extra: undefined,
  };
  assert.equal(fingerprint(reordered), fingerprint(job));
  assert.match(fingerprint(job), /^[0-9a-f]{64}$/);
});

test('a change of status, spec, labels or annotations changes the fingerprint', () => {
  const changed: KubeObject[] = [
    { ...job, status: { succeeded: 1 } },
    { ...job, spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox:2' }] } } } },
    { ...job, metadata: { ...job.metadata, labels: { app: 'other' } } },
    { ...job, metadata: { ...job.metadata, annotations: { a: 'b' } } },
  ];
  for (const object of changed) assert.notEqual(fingerprint(object), fingerprint(job));
});
