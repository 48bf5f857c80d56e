// What a user notices: a real change to something a flight looked up hard-refreshes its Application once; anything else does not.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeHttp } from '../../src/cluster/http.js';
import type { FakeApiServer, RequestRecord } from '../support/apiserver.js';
import { application, configMaps, hardRefreshes, jobs, lookedUp, refresher, run, secrets, sleep, stopped, until, usingRefresher, withApiServer } from './support.js';

let api: FakeApiServer;
let http: KubeHttp;
const debounceMs = 200;

withApiServer((a, h) => ((api = a), (http = h)));

const job = (name: string, status: Record<string, unknown> = {}) => ({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name, namespace: 'default' }, spec: { template: {} }, status });
const complete = { succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] };

test('a Job turning Complete hard-refreshes the right Application exactly once, within debounce + 1 s', async () => {
  api.put(application('argocd', 'pipeline'));
  api.put(application('argocd', 'bystander'));
  api.put(job('job-one'));
  await usingRefresher(api, refresher(http), async (r) => {
    r.record(run('pipeline', [await lookedUp(http, jobs, 'default', 'job-one')], { waiting: true, statusMessage: 'waiting for job-one' }));
    await api.waitForWatches(1);
    const changedAt = Date.now();
    api.setStatus('batch/v1', 'Job', 'default', 'job-one', complete);
    await until('the Application is patched', () => hardRefreshes(api, 'argocd', 'pipeline').length > 0, debounceMs + 1_000);
    assert.ok(Date.now() - changedAt <= debounceMs + 1_000);
    await sleep(1_500); // past the minimum interval: a second patch would have happened by now
    const patches = hardRefreshes(api, 'argocd', 'pipeline');
    assert.equal(patches.length, 1);
    assert.equal(patches[0]!.contentType, 'application/merge-patch+json');
    const annotations = (patches[0]!.body as { metadata: { annotations: Record<string, string> } }).metadata.annotations;
    assert.equal(annotations['argocd.argoproj.io/refresh'], 'hard');
    assert.ok(Date.parse(annotations['argocd.argoproj.io/refresh-timestamp']!) >= changedAt, 'a new refresh-timestamp marks this request');
    assert.equal(hardRefreshes(api, 'argocd', 'bystander').length, 0);
    assert.equal(r.stats().refreshes, 1);
    // The record stays until the next run replaces it.
    assert.equal(r.records()[0]?.app, 'pipeline');
  });
});

test('a Secret that was NotFound being created hard-refreshes an app named <ns>_<name> in its namespace', async () => {
  api.put(application('team-a', 'demo'));
  await usingRefresher(api, refresher(http), async (r) => {
    const ref = await lookedUp(http, secrets, 'team-a', 'db-credentials');
    assert.equal(ref.access, 'missing');
    r.record(run('team-a_demo', [ref]));
    await api.waitForWatches(1);
    api.put({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db-credentials', namespace: 'team-a' }, stringData: { password: 's3cret' } });
    await until('team-a/demo is patched', () => hardRefreshes(api, 'team-a', 'demo').length > 0, debounceMs + 1_000);
    await sleep(500);
    assert.equal(hardRefreshes(api, 'team-a', 'demo').length, 1);
    assert.equal(hardRefreshes(api, 'argocd', 'demo').length, 0);
    // Only metadata travels on the watch; the Secret itself is read only to fingerprint it.
    const watch = api.requests.find((q) => q.watch && q.path.endsWith('/namespaces/team-a/secrets'));
    assert.match(watch?.accept ?? '', /as=PartialObjectMetadata;/);
  });
});

test('unrelated changes, unchanged re-applies and bookkeeping-only resourceVersion bumps do not refresh', async () => {
  api.put(application('argocd', 'quiet'));
  api.put(job('watched', complete));
  api.put(job('unrelated'));
  await usingRefresher(api, refresher(http), async (r) => {
    r.record(run('quiet', [await lookedUp(http, jobs, 'default', 'watched')]));
    await api.waitForWatches(1);
    const before = api.resourceVersion;
    api.setStatus('batch/v1', 'Job', 'default', 'unrelated', complete); // same collection, not referenced
    api.put(job('watched', complete)); // re-applied unchanged: no event at all
    api.mutate('batch/v1', 'Job', 'default', 'watched', (o) => {
      o.metadata!['managedFields'] = [{ manager: 'kube-controller-manager', operation: 'Update', apiVersion: 'batch/v1' }];
    });
    assert.ok(api.resourceVersion > before + 1, 'the bookkeeping write bumped the resourceVersion');
    await until('both events are seen', () => r.stats().watchEvents >= 2);
    await sleep(debounceMs + 600);
    assert.equal(hardRefreshes(api, 'argocd', 'quiet').length, 0);
    assert.equal(r.stats().changes, 0);
  });
});

test('open watches follow the distinct (resource, namespace) pairs the records reference', async () => {
  await usingRefresher(api, refresher(http), async (r) => {
    const a = [
      await lookedUp(http, jobs, 'default', 'job-one'),
      await lookedUp(http, jobs, 'default', 'watched'),
      await lookedUp(http, secrets, 'default', 'token'),
      await lookedUp(http, configMaps, 'team-a', 'settings'),
    ];
    r.record(run('a', a));
    await api.waitForWatches(3);
    assert.equal(r.stats().openWatches, 3);
    r.record(run('b', [await lookedUp(http, jobs, 'default', 'job-one'), await lookedUp(http, jobs, 'team-a', 'other')]));
    await api.waitForWatches(4);
    assert.equal(r.stats().openWatches, 4);
    r.record(run('a', [a[0]!]));
    assert.equal(r.stats().openWatches, 2);
    await until('the server sees 2 watches', () => api.openWatches === 2);
  });
});

/**
 * Records `app` watching Job `name`, ends the server's watches, completes the Job while none is open (with `compact`,
 * also expiring the resourceVersion a watch would resume from), and checks the Application is patched exactly once;
 * returns the Job requests made from the disconnect until the patch.
 */
async function changeWhileDisconnected(app: string, name: string, compact: boolean): Promise<RequestRecord[]> {
  api.put(application('argocd', app));
  api.put(job(name));
  let since: RequestRecord[] = [];
  await usingRefresher(api, refresher(http), async (r) => {
    r.record(run(app, [await lookedUp(http, jobs, 'default', name)]));
    await api.waitForWatches(1);
    const mark = api.requests.length;
    api.closeWatches();
    api.setStatus('batch/v1', 'Job', 'default', name, complete);
    if (compact) api.compactHistory();
    await until('the Application is patched', () => hardRefreshes(api, 'argocd', app).length > 0, debounceMs + 1_500);
    since = api.requests.slice(mark).filter((q) => q.path.endsWith('/namespaces/default/jobs'));
    await sleep(300);
    assert.equal(hardRefreshes(api, 'argocd', app).length, 1);
  });
  return since;
}

test('a watch resumes from its last resourceVersion after the server ends it, without missing a change', async () => {
  const since = await changeWhileDisconnected('resumer', 'resume-job', false);
  assert.ok(since.every((q) => q.watch), `resumed without listing again: ${JSON.stringify(since)}`);
  assert.ok(Number(since[0]?.query['resourceVersion']) > 0, 'resumed from a resourceVersion');
});

test('after 410 Gone the watch lists again and still catches a change made while disconnected', async () => {
  const since = await changeWhileDisconnected('relister', 'relist-job', true);
  assert.ok(since.some((q) => !q.watch && q.method === 'GET'), 'listed again');
});

test('a change for an Application that was deleted (404) drops its record and its watches', async () => {
  api.put(job('orphan-job'));
  await usingRefresher(api, refresher(http), async (r) => {
    r.record(run('deleted-app', [await lookedUp(http, jobs, 'default', 'orphan-job')]));
    await api.waitForWatches(1);
    api.setStatus('batch/v1', 'Job', 'default', 'orphan-job', complete);
    await until('the record is dropped', () => r.records().length === 0, debounceMs + 1_500);
    assert.equal(hardRefreshes(api, 'argocd', 'deleted-app')[0]?.status, 404);
    assert.equal(r.stats().openWatches, 0);
    assert.equal(r.stats().refreshes, 0);
  });
});

test('a watch answered 410 or 500 recovers (re-list, backoff) and still catches the change', async () => {
  api.put(application('argocd', 'flaky'));
  api.put(job('flaky-job'));
  await usingRefresher(api, refresher(http), async (r) => {
    r.record(run('flaky', [await lookedUp(http, jobs, 'default', 'flaky-job')]));
    await api.waitForWatches(1);
    const mark = api.requests.length;
    const gone = api.fail({ watch: true, pathPrefix: '/apis/batch/v1/namespaces/default/jobs' }, { status: 410 });
    const broken = api.fail({ watch: true, pathPrefix: '/apis/batch/v1/namespaces/default/jobs', times: 3 }, { status: 500 });
    api.closeWatches();
    api.setStatus('batch/v1', 'Job', 'default', 'flaky-job', complete);
    await until('the Application is patched', () => hardRefreshes(api, 'argocd', 'flaky').length > 0, 3_000);
    assert.equal(gone.hits, 1);
    await until('the watch is open again after three 500s', () => broken.hits === 3 && api.openWatches === 1);
    const since = api.requests.slice(mark).filter((q) => q.path.endsWith('/namespaces/default/jobs'));
    assert.ok(since.some((q) => !q.watch), 'listed again after 410');
    await sleep(300);
    assert.equal(hardRefreshes(api, 'argocd', 'flaky').length, 1);
  });
});

test('a change between the run and its record arriving is still caught', async () => {
  api.put(application('argocd', 'late'));
  api.put(job('late-job'));
  api.put(job('keeps-watch-open'));
  await usingRefresher(api, refresher(http), async (r) => {
    r.record(run('other', [await lookedUp(http, jobs, 'default', 'keeps-watch-open')]));
    await api.waitForWatches(1);
    await until('the first list is done', () => api.requests.some((q) => q.watch && q.path.endsWith('/namespaces/default/jobs')));
    const seen = await lookedUp(http, jobs, 'default', 'late-job'); // the flight looks up...
    api.setStatus('batch/v1', 'Job', 'default', 'late-job', complete); // ...the Job completes...
    await sleep(100);
    r.record(run('late', [seen])); // ...and only then the record arrives
    await until('the Application is patched', () => hardRefreshes(api, 'argocd', 'late').length > 0, debounceMs + 1_000);
    assert.match(r.records().find((x) => x.app === 'late')?.nextRefreshAt ?? 'none', /none/);
  });
});

test('changes within the debounce make one refresh; the next waits for the minimum interval', async () => {
  api.put(application('argocd', 'busy'));
  api.put(job('busy-a'));
  api.put(job('busy-b'));
  const times: number[] = [];
  const unsubscribe = api.onRequest((q) => {
    if (q.method === 'PATCH' && q.path.endsWith('/applications/busy')) times.push(Date.now());
  });
  const r = refresher(http);
  try {
    r.record(run('busy', [await lookedUp(http, jobs, 'default', 'busy-a'), await lookedUp(http, jobs, 'default', 'busy-b')]));
    await api.waitForWatches(1);
    api.setStatus('batch/v1', 'Job', 'default', 'busy-a', complete);
    await sleep(50);
    api.setStatus('batch/v1', 'Job', 'default', 'busy-b', complete);
    await until('one refresh', () => times.length === 1, debounceMs + 1_000);
    await sleep(100);
    api.setStatus('batch/v1', 'Job', 'default', 'busy-a', { failed: 1 });
    await until('a second refresh', () => times.length === 2, 2_500);
    assert.ok(times[1]! - times[0]! >= 950, `second refresh ${times[1]! - times[0]!} ms after the first`);
  } finally {
    unsubscribe();
    await stopped(api, r);
  }
});

test('an app whose last run was waiting is hard-refreshed periodically; a finished one is not', async () => {
  api.put(application('argocd', 'patient'));
  api.put(application('argocd', 'finished'));
  await usingRefresher(api, refresher(http, { waitingRefreshMs: 300, minIntervalMs: 100 }), async (r) => {
    r.record(run('patient', [], { waiting: true, statusMessage: 'waiting for an operator-created Secret' }));
    r.record(run('finished', []));
    await until('two periodic refreshes', () => hardRefreshes(api, 'argocd', 'patient').length >= 2, 1_500);
    assert.equal(hardRefreshes(api, 'argocd', 'finished').length, 0);
    r.record(run('patient', [], { statusMessage: 'done' }));
    await sleep(100); // a periodic refresh already under way may still land
    const count = hardRefreshes(api, 'argocd', 'patient').length;
    await sleep(500);
    assert.equal(hardRefreshes(api, 'argocd', 'patient').length, count);
  });
});

test('a failed run keeps watching what the last good run looked up, and is re-checked periodically', async () => {
  api.put(application('argocd', 'retrying'));
  api.put(job('retrying-one'));
  await usingRefresher(api, refresher(http, { waitingRefreshMs: 1_500 }), async (r) => {
    r.record(run('retrying', [await lookedUp(http, jobs, 'default', 'retrying-one')], { waiting: true }));
    await api.waitForWatches(1);
    // generate failed (say the API server answered 500): the record carries no refs of its own
    r.record(run('retrying', [], { outcome: 'failed', statusMessage: 'lookup failed: 500' }));
    assert.equal(r.stats().openWatches, 1);
    assert.equal(r.records()[0]?.refs.length, 1);
    assert.ok(r.records()[0]?.nextRefreshAt, 'a failed app has a planned re-check');
    api.setStatus('batch/v1', 'Job', 'default', 'retrying-one', complete);
    await until('the failed app is refreshed for the Job that completed', () => hardRefreshes(api, 'argocd', 'retrying').length > 0, debounceMs + 1_000);
    // that refresh fails again: the change was already acted on, so it does not refresh again (only the periodic re-check will)
    r.record(run('retrying', [], { outcome: 'failed', statusMessage: 'lookup failed: 500' }));
    await sleep(1_200); // past debounce and the 1 s minimum interval
    assert.equal(hardRefreshes(api, 'argocd', 'retrying').length, 1);
    await until('the periodic re-check of the failed app', () => hardRefreshes(api, 'argocd', 'retrying').length === 2, 1_000);
  });
});
