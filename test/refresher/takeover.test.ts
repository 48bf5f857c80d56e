// A replica gaining the lease: it loads every stored RunRecord, compares what those runs looked up with the cluster
// (one LIST per watched (resource, namespace); a GET only where the resourceVersion moved) and hard-refreshes exactly
// the apps whose objects changed while nobody watched. No blanket start-up refresh (issue 13).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeHttp } from '../../src/cluster/http.js';
import { RecordFeed } from '../../src/refresher/record-feed.js';
import { RecordStore } from '../../src/refresher/record-store.js';
import type { FakeApiServer } from '../support/apiserver.js';
import { ManualClock, runUntil } from '../support/manual-clock.js';
import { installRunRecords } from '../support/serve.js';
import { application, jobs, lookedUp, ranAt, refresher, run, stopped, until, withApiServer } from './support.js';

let api: FakeApiServer;
let http: KubeHttp;

withApiServer((a, h) => ((api = a), (http = h)));

const namespaces = ['default', 'team-a'];
const perNamespace = 60;

test('a new leader refreshes exactly the apps whose looked-up objects changed while nobody watched', async () => {
  installRunRecords(api);
  const store = new RecordStore(http, 'argocd');
  const clock = new ManualClock();
  const apps: Array<{ app: string; namespace: string; job: string }> = [];
  for (const namespace of namespaces) {
    for (let i = 0; i < perNamespace; i++) {
      const app = `${namespace}-app-${i}`;
      const job = `${app}-job`;
      apps.push({ app, namespace, job });
      api.put(application('argocd', app));
      api.put({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: job, namespace }, spec: { template: {} } });
      // every other app waits on a Job that does not exist yet
      const refs = [await lookedUp(http, jobs, namespace, job), await lookedUp(http, jobs, namespace, `${job}-next`)];
      assert.equal(await store.save(run(app, refs, { waiting: true, ...ranAt(clock.now()) })), 'saved');
    }
  }
  assert.equal(api.list('jetway.dev/v1alpha1', 'RunRecord', 'argocd').length, apps.length);
  // while no replica leads: one Job completes, one is deleted, one awaited Job appears, one gets a bookkeeping-only write
  const [completed, deleted, appeared, touched] = [apps[3]!, apps[100]!, apps[42]!, apps[7]!];
  api.setStatus('batch/v1', 'Job', completed.namespace, completed.job, { succeeded: 1 });
  api.remove('batch/v1', 'Job', deleted.namespace, deleted.job);
  api.put({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: `${appeared.job}-next`, namespace: appeared.namespace }, spec: { template: {} } });
  api.mutate('batch/v1', 'Job', touched.namespace, touched.job, (o) => void (o.metadata!['managedFields'] = [{ manager: 'kubectl' }]));

  const mark = api.requests.length;
  const r = refresher(http, { clock, waitingRefreshMs: 300_000 });
  const feed = new RecordFeed({ http, clock, log: () => {}, backoff: { baseMs: 50, capMs: 500 }, onRecord: (x, replayed) => r.record(x, replayed), onDeleted: (app) => r.forget(app) });
  try {
    await feed.start();
    assert.equal(r.stats().records, apps.length);
    await until('the watches listed', () => api.requests.slice(mark).filter((q) => q.watch && q.path.includes('/jobs')).length === namespaces.length, 10_000);
    await r.settled();
    clock.advance(2_000); // past the debounce
    await runUntil(clock, 'the changed apps are refreshed', () => r.stats().refreshes === 3, 50, 100);
    await r.settled();
    const patched = api.requests
      .slice(mark)
      .filter((q) => q.method === 'PATCH' && q.path.includes('/applications/'))
      .map((q) => q.path.split('/').at(-1));
    assert.deepEqual(patched.sort(), [completed.app, deleted.app, appeared.app].sort());
    const since = api.requests.slice(mark);
    for (const namespace of namespaces) {
      assert.equal(since.filter((q) => !q.watch && q.path === `/apis/batch/v1/namespaces/${namespace}/jobs`).length, 1, `one LIST of ${namespace}'s Jobs`);
    }
    const gets = since.filter((q) => q.method === 'GET' && /\/jobs\/[^/]+$/.test(q.path)).map((q) => q.path.split('/').at(-1));
    assert.deepEqual(gets.sort(), [completed.job, `${appeared.job}-next`, touched.job].sort(), 'a GET only where the resourceVersion moved');
    assert.equal(api.list('v1', 'Event', 'argocd').filter((e) => e['reason'] !== 'HardRefreshTriggered').length, 0, 'loaded records tell no Events again');
  } finally {
    await feed.stop();
    await stopped(api, r);
  }
});
