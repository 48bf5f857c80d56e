// Three `jetway serve` replicas, as Argo CD's HA repo-server runs them (issue 13), over 100 recorded apps: exactly one
// holds the Lease and watches; killed while a pipeline step lands, another takes over and the pipeline moves on; a
// rolling restart of all three refreshes only the app whose looked-up object changed during it; /readyz never fails.
// The same scenario with 1,000 apps, and its timings and memory, is `npm run bench -- replicas` (bench/replicas.ts):
// 1,000 apps take this machine well over the minute a suite file may take.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { KubeHttp } from '../../src/cluster/http.js';
import { startApiServer, type FakeApiServer } from '../support/apiserver.js';
import { runReplicaScenario } from '../support/replicas.js';
import { installRunRecords } from '../support/serve.js';
import { httpFor } from '../refresher/support.js';

let api: FakeApiServer;
let http: KubeHttp;

before(async () => {
  api = await startApiServer({ namespaces: ['argocd', 'default'] });
  http = httpFor(api);
  installRunRecords(api);
});
after(async () => {
  http.close();
  await api.close();
});

test('three replicas: one leader watches; killed mid-pipeline, another takes over and the pipeline moves on; a rolling restart refreshes only what changed', async () => {
  const result = await runReplicaScenario({ api, http, apps: 100, timeoutMs: 20_000 });
  assert.equal(result.leadersAtStart, 1, 'exactly one replica leads');
  assert.equal(result.watchesAtStart, 2, 'the leader alone watches: RunRecords, and Jobs in default (the one (resource, namespace) looked up)');
  assert.equal(result.refreshesAtStart, 0, 'no start-up refresh');
  // the Job that completed while nobody led is found by the new leader's comparison; the next one through its watch
  assert.deepEqual(result.refreshedAfterFailover, ['app-1', 'app-2'], 'the new leader refreshes the two apps whose Jobs completed, and no other');
  assert.deepEqual([...result.refreshedDuringRestart], [['app-7', 1]], 'zero refreshes during the rolling restart but one for the app whose Job changed');
  assert.equal(result.leadersAfterRestart, 1, 'one of the new replicas leads');
  assert.equal(result.watchesAfterRestart, 2, 'and it alone watches');
  assert.equal(result.readyFailures, 0, '/readyz never failed');
});
