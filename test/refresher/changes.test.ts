// What a user notices: a real change to something a flight looked up hard-refreshes its Application once; anything else
// does not. The refresher's timers run on a ManualClock: "not again" is checked by moving time past the point where a
// second refresh would be due and waiting until the refresher has acted on everything it saw, never by sleeping.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeHttp } from '../../src/cluster/http.js';
import type { RefresherOptions } from '../../src/refresher/refresher.js';
import type { FakeApiServer, RequestRecord } from '../support/apiserver.js';
import { ManualClock, runUntil } from '../support/manual-clock.js';
import { application, configMaps, hardRefreshes, jobs, lookedUp, ranAt, refresher, run, secrets, until, usingRefresher, withApiServer } from './support.js';

let api: FakeApiServer;
let http: KubeHttp;
const debounceMs = 200;
const minIntervalMs = 1_000;

withApiServer((a, h) => ((api = a), (http = h)));

const job = (name: string, status: Record<string, unknown> = {}) => ({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name, namespace: 'default' }, spec: { template: {} }, status });
const complete = { succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] };

/** A refresher on its own manual clock. */
function clocked(options: Partial<RefresherOptions> = {}) {
  const clock = new ManualClock();
  return { clock, r: refresher(http, { clock, ...options }) };
}

/** The refresh-timestamp a hard-refresh PATCH carried: the refresher's clock when it fired. */
function stamp(patch: RequestRecord): number {
  return Date.parse((patch.body as { metadata: { annotations: Record<string, string> } }).metadata.annotations['argocd.argoproj.io/refresh-timestamp']!);
}

/** The planned refresh of `app` as `jetway status` shows it. */
const planned = (r: { records(): Array<{ app: string; nextRefreshAt?: string }> }, app: string) => r.records().find((x) => x.app === app)?.nextRefreshAt;

test('a Job turning Complete hard-refreshes the right Application exactly once, at the end of the debounce', async () => {
  api.put(application('argocd', 'pipeline'));
  api.put(application('argocd', 'bystander'));
  api.put(job('job-one'));
  const { clock, r } = clocked();
  await usingRefresher(api, r, async (r) => {
    r.record(run('pipeline', [await lookedUp(http, jobs, 'default', 'job-one')], { waiting: true, statusMessage: 'waiting for job-one', ...ranAt(clock.now()) }));
    await api.waitForWatches(1);
    const changedAt = clock.now();
    api.setStatus('batch/v1', 'Job', 'default', 'job-one', complete);
    await until('the change is seen', () => r.stats().changes === 1);
    assert.equal(Date.parse(planned(r, 'pipeline')!), changedAt + debounceMs);
    clock.advance(debounceMs);
    await until('the Application is patched', () => hardRefreshes(api, 'argocd', 'pipeline').length > 0);
    clock.advance(minIntervalMs); // past the minimum interval: a second refresh would fire here
    await r.settled();
    const patches = hardRefreshes(api, 'argocd', 'pipeline');
    assert.equal(patches.length, 1);
    assert.equal(patches[0]!.contentType, 'application/merge-patch+json');
    const annotations = (patches[0]!.body as { metadata: { annotations: Record<string, string> } }).metadata.annotations;
    assert.equal(annotations['argocd.argoproj.io/refresh'], 'hard');
    assert.equal(stamp(patches[0]!), changedAt + debounceMs, 'a new refresh-timestamp marks this request');
    assert.equal(hardRefreshes(api, 'argocd', 'bystander').length, 0);
    assert.equal(r.stats().refreshes, 1);
    // The record stays until the next run replaces it.
    assert.equal(r.records()[0]?.app, 'pipeline');
  });
});

test('a Secret that was NotFound being created hard-refreshes an app named <ns>_<name> in its namespace', async () => {
  api.put(application('team-a', 'demo'));
  const { clock, r } = clocked();
  await usingRefresher(api, r, async (r) => {
    const ref = await lookedUp(http, secrets, 'team-a', 'db-credentials');
    assert.equal(ref.access, 'missing');
    r.record(run('team-a_demo', [ref], ranAt(clock.now())));
    await api.waitForWatches(1);
    api.put({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db-credentials', namespace: 'team-a' }, stringData: { password: 's3cret' } });
    await until('a refresh is planned', () => planned(r, 'team-a_demo') !== undefined);
    clock.advance(debounceMs + minIntervalMs);
    await r.settled();
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
  const { clock, r } = clocked();
  await usingRefresher(api, r, async (r) => {
    r.record(run('quiet', [await lookedUp(http, jobs, 'default', 'watched')], ranAt(clock.now())));
    await api.waitForWatches(1);
    const before = api.resourceVersion;
    api.setStatus('batch/v1', 'Job', 'default', 'unrelated', complete); // same collection, not referenced
    api.put(job('watched', complete)); // re-applied unchanged: no event at all
    api.mutate('batch/v1', 'Job', 'default', 'watched', (o) => {
      o.metadata!['managedFields'] = [{ manager: 'kube-controller-manager', operation: 'Update', apiVersion: 'batch/v1' }];
    });
    assert.ok(api.resourceVersion > before + 1, 'the bookkeeping write bumped the resourceVersion');
    await until('both events are seen', () => r.stats().watchEvents >= 2);
    await r.settled(); // the bumped Job has been read and compared
    assert.equal(planned(r, 'quiet'), undefined, 'no refresh is planned');
    clock.advance(debounceMs + minIntervalMs);
    await r.settled();
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
  const { clock, r } = clocked();
  await usingRefresher(api, r, async (r) => {
    r.record(run(app, [await lookedUp(http, jobs, 'default', name)], ranAt(clock.now())));
    await api.waitForWatches(1);
    const mark = api.requests.length;
    api.closeWatches();
    api.setStatus('batch/v1', 'Job', 'default', name, complete);
    if (compact) api.compactHistory();
    await runUntil(clock, 'the Application is patched', () => hardRefreshes(api, 'argocd', app).length > 0);
    since = api.requests.slice(mark).filter((q) => q.path.endsWith('/namespaces/default/jobs'));
    clock.advance(minIntervalMs);
    await r.settled();
    assert.equal(hardRefreshes(api, 'argocd', app).length, 1);
  });
  return since;
}

test('a watch resumes from its last resourceVersion after the server ends it, without missing a change', async () => {
  const since = await changeWhileDisconnected('resumer', 'resume-job', false);
  assert.ok(
    since.every((q) => q.watch),
    `resumed without listing again: ${JSON.stringify(since)}`,
  );
  assert.ok(Number(since[0]?.query['resourceVersion']) > 0, 'resumed from a resourceVersion');
});

test('after 410 Gone the watch lists again and still catches a change made while disconnected', async () => {
  const since = await changeWhileDisconnected('relister', 'relist-job', true);
  assert.ok(
    since.some((q) => !q.watch && q.method === 'GET'),
    'listed again',
  );
});

test('a change for an Application that was deleted (404) drops its record and its watches', async () => {
  api.put(job('orphan-job'));
  const { clock, r } = clocked();
  await usingRefresher(api, r, async (r) => {
    r.record(run('deleted-app', [await lookedUp(http, jobs, 'default', 'orphan-job')], ranAt(clock.now())));
    await api.waitForWatches(1);
    api.setStatus('batch/v1', 'Job', 'default', 'orphan-job', complete);
    await runUntil(clock, 'the record is dropped', () => r.records().length === 0);
    assert.equal(hardRefreshes(api, 'argocd', 'deleted-app')[0]?.status, 404);
    assert.equal(r.stats().openWatches, 0);
    assert.equal(r.stats().refreshes, 0);
  });
});

test('a watch answered 410 or 500 recovers (re-list, backoff) and still catches the change', async () => {
  api.put(application('argocd', 'flaky'));
  api.put(job('flaky-job'));
  const { clock, r } = clocked();
  await usingRefresher(api, r, async (r) => {
    r.record(run('flaky', [await lookedUp(http, jobs, 'default', 'flaky-job')], ranAt(clock.now())));
    await api.waitForWatches(1);
    const mark = api.requests.length;
    const gone = api.fail({ watch: true, pathPrefix: '/apis/batch/v1/namespaces/default/jobs' }, { status: 410 });
    const broken = api.fail({ watch: true, pathPrefix: '/apis/batch/v1/namespaces/default/jobs', times: 3 }, { status: 500 });
    api.closeWatches();
    api.setStatus('batch/v1', 'Job', 'default', 'flaky-job', complete);
    await runUntil(clock, 'the Application is patched', () => hardRefreshes(api, 'argocd', 'flaky').length > 0);
    assert.equal(gone.hits, 1);
    await runUntil(clock, 'the watch is open again after three 500s', () => broken.hits === 3 && api.openWatches === 1);
    const since = api.requests.slice(mark).filter((q) => q.path.endsWith('/namespaces/default/jobs'));
    assert.ok(
      since.some((q) => !q.watch),
      'listed again after 410',
    );
    clock.advance(minIntervalMs);
    await r.settled();
    assert.equal(hardRefreshes(api, 'argocd', 'flaky').length, 1);
  });
});

test('a change between the run and its record arriving is still caught', async () => {
  api.put(application('argocd', 'late'));
  api.put(job('late-job'));
  api.put(job('keeps-watch-open'));
  const { clock, r } = clocked();
  await usingRefresher(api, r, async (r) => {
    r.record(run('other', [await lookedUp(http, jobs, 'default', 'keeps-watch-open')], ranAt(clock.now())));
    await api.waitForWatches(1);
    await until('the first list is done', () => api.requests.some((q) => q.watch && q.path.endsWith('/namespaces/default/jobs')));
    const startedAt = clock.now();
    const seen = await lookedUp(http, jobs, 'default', 'late-job'); // the flight looks up...
    const events = r.stats().watchEvents;
    api.setStatus('batch/v1', 'Job', 'default', 'late-job', complete); // ...the Job completes (the watch sees it)...
    await until('the watch saw the completion', () => r.stats().watchEvents > events);
    await r.settled();
    r.record(run('late', [seen], ranAt(startedAt))); // ...and only then the record arrives
    await until('a refresh is planned', () => planned(r, 'late') !== undefined);
    clock.advance(debounceMs);
    await until('the Application is patched', () => hardRefreshes(api, 'argocd', 'late').length > 0);
    assert.equal(planned(r, 'late'), undefined);
  });
});

test('changes within the debounce make one refresh; the next waits for the minimum interval', async () => {
  api.put(application('argocd', 'busy'));
  api.put(job('busy-a'));
  api.put(job('busy-b'));
  const { clock, r } = clocked();
  await usingRefresher(api, r, async (r) => {
    r.record(run('busy', [await lookedUp(http, jobs, 'default', 'busy-a'), await lookedUp(http, jobs, 'default', 'busy-b')], ranAt(clock.now())));
    await api.waitForWatches(1);
    const first = clock.now();
    api.setStatus('batch/v1', 'Job', 'default', 'busy-a', complete);
    await until('a refresh is planned', () => planned(r, 'busy') !== undefined);
    clock.advance(50);
    api.setStatus('batch/v1', 'Job', 'default', 'busy-b', complete);
    await until('both changes are seen', () => r.stats().changes === 2);
    assert.equal(Date.parse(planned(r, 'busy')!), first + debounceMs, 'the second change joins the planned refresh');
    clock.advance(debounceMs - 50);
    await until('one refresh', () => hardRefreshes(api, 'argocd', 'busy').length === 1);
    api.setStatus('batch/v1', 'Job', 'default', 'busy-a', { failed: 1 });
    await until('the next change is planned', () => r.stats().changes === 3);
    assert.equal(Date.parse(planned(r, 'busy')!), first + debounceMs + minIntervalMs, 'planned at the minimum interval, not the debounce');
    clock.advance(minIntervalMs);
    await until('a second refresh', () => hardRefreshes(api, 'argocd', 'busy').length === 2);
    const [one, two] = hardRefreshes(api, 'argocd', 'busy');
    assert.equal(stamp(two!) - stamp(one!), minIntervalMs);
  });
});

test('an app whose last run was waiting is hard-refreshed periodically; a finished one is not', async () => {
  api.put(application('argocd', 'patient'));
  api.put(application('argocd', 'finished'));
  const { clock, r } = clocked({ waitingRefreshMs: 300, minIntervalMs: 100 });
  await usingRefresher(api, r, async (r) => {
    r.record(run('patient', [], { waiting: true, statusMessage: 'waiting for an operator-created Secret', ...ranAt(clock.now()) }));
    r.record(run('finished', [], ranAt(clock.now())));
    clock.advance(300);
    await r.settled();
    clock.advance(300);
    await r.settled();
    const [one, two] = hardRefreshes(api, 'argocd', 'patient');
    assert.equal(stamp(two!) - stamp(one!), 300, 'every re-check period');
    assert.equal(hardRefreshes(api, 'argocd', 'finished').length, 0);
    r.record(run('patient', [], { statusMessage: 'done', ...ranAt(clock.now()) }));
    assert.equal(planned(r, 'patient'), undefined, 'a finished app has no re-check planned');
    clock.advance(3_000);
    await r.settled();
    assert.equal(hardRefreshes(api, 'argocd', 'patient').length, 2);
  });
});

test('a failed run keeps watching what the last good run looked up; a change its failed generate did not act on is asked for again, backed off', async () => {
  api.put(application('argocd', 'retrying'));
  api.put(job('retrying-one'));
  const { clock, r } = clocked({ waitingRefreshMs: 60_000 });
  await usingRefresher(api, r, async (r) => {
    r.record(run('retrying', [await lookedUp(http, jobs, 'default', 'retrying-one')], { waiting: true, ...ranAt(clock.now()) }));
    await api.waitForWatches(1);
    // generate failed (say the API server answered 500): the record carries no refs of its own
    r.record(run('retrying', [], { outcome: 'failed', statusMessage: 'lookup failed: 500', ...ranAt(clock.now()) }));
    assert.equal(r.stats().openWatches, 1);
    assert.equal(r.records()[0]?.refs.length, 1);
    assert.ok(r.records()[0]?.nextRefreshAt, 'a failed app has a planned re-check');
    api.setStatus('batch/v1', 'Job', 'default', 'retrying-one', complete);
    await until('a refresh is planned for the Job that completed', () => r.stats().changes === 1);
    clock.advance(debounceMs);
    await until('the failed app is refreshed', () => hardRefreshes(api, 'argocd', 'retrying').length === 1);
    // that refresh's generate fails again: Argo CD keeps the last good manifests, so the change still waits to be acted on
    r.record(run('retrying', [], { outcome: 'failed', statusMessage: 'lookup failed: 500', ...ranAt(clock.now()) }));
    clock.advance(minIntervalMs - 1);
    await r.settled();
    assert.equal(hardRefreshes(api, 'argocd', 'retrying').length, 1, 'not before the minimum interval');
    clock.advance(1);
    await until('the change is asked for again', () => hardRefreshes(api, 'argocd', 'retrying').length === 2);
    r.record(run('retrying', [], { outcome: 'failed', statusMessage: 'lookup failed: 500', ...ranAt(clock.now()) }));
    clock.advance(2 * minIntervalMs - 1);
    await r.settled();
    assert.equal(hardRefreshes(api, 'argocd', 'retrying').length, 2, 'a second failure in a row waits twice as long');
    clock.advance(1);
    await until('asked for a third time', () => hardRefreshes(api, 'argocd', 'retrying').length === 3);
  });
});

test('a change whose read fails (the API server answering 500) is read again, backed off, and still hard-refreshes its Application', async () => {
  api.put(application('argocd', 'reread'));
  api.put(job('job-reread'));
  const { clock, r } = clocked();
  await usingRefresher(api, r, async (r) => {
    r.record(run('reread', [await lookedUp(http, jobs, 'default', 'job-reread')], { waiting: true, statusMessage: 'waiting for job-reread', ...ranAt(clock.now()) }));
    await api.waitForWatches(1);
    // every GET of the Job fails until the fault is lifted: the watch event alone says nothing of its content
    const fault = api.fail({ method: 'GET', pathPrefix: '/apis/batch/v1/namespaces/default/jobs/job-reread', watch: false, times: Infinity }, { status: 500 });
    api.setStatus('batch/v1', 'Job', 'default', 'job-reread', complete);
    await until('the read fails', () => fault.hits > 0);
    await r.settled();
    assert.equal(r.stats().changes, 0, 'nothing is guessed from a read that failed');
    fault.cancel();
    await runUntil(clock, 'the change is read again and acted on', () => hardRefreshes(api, 'argocd', 'reread').length === 1, 1_000, 120);
    assert.equal(r.stats().changes, 1);
  });
});
