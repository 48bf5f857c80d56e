// /metrics as operators read it: documented names, no label Prometheus overwrites on scrape, lookup states by name.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { State } from '../../src/wasi/states.js';
import { createMetrics, lookupState, setLeader } from '../../src/service/metrics.js';
import { repoPath } from '../support/paths.js';

test('every metric is in docs/operations.md, and none uses a label Prometheus sets on scrape', async () => {
  const metrics = createMetrics();
  const doc = readFileSync(repoPath('docs/operations.md'), 'utf8');
  const exposed = await metrics.registry.getMetricsAsJSON();
  const documented = [...doc.matchAll(/^\| `(jetway_[a-z_]+)` \|/gm)].map((m) => m[1]);
  assert.deepEqual(documented.sort(), exposed.map((m) => m.name).sort(), 'one row per metric in docs/operations.md');
  // Prometheus attaches job and instance (and, through a ServiceMonitor, pod, namespace, service, container) to every sample
  const reserved = ['instance', 'job', 'pod', 'namespace', 'service', 'container'];
  for (const m of metrics.registry.getMetricsAsArray() as unknown as Array<{ name: string; labelNames: string[] }>) {
    assert.deepEqual(
      m.labelNames.filter((l) => reserved.includes(l)),
      [],
      `${m.name} uses no label Prometheus sets`,
    );
  }
  assert.doesNotMatch(await metrics.registry.metrics(), /[{,](instance|job|pod|namespace)="/);
});

test("lookup states are yoke's names, and the leader gauge follows its setter", async () => {
  assert.deepEqual(
    Object.values(State).map((code) => lookupState(code)),
    ['OK', 'FeatureNotGranted', 'Error', 'NotFound', 'Unauthenticated', 'Forbidden'],
  );
  const metrics = createMetrics();
  const leader = async () => (await metrics.leader.get()).values[0]?.value;
  assert.equal(await leader(), 0);
  setLeader(metrics, true);
  assert.equal(await leader(), 1);
  setLeader(metrics, false);
  assert.equal(await leader(), 0);
});
