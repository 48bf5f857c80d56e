// What the Argo CD UI shows: Events on the Application, deduplicated, and the selfHeal warning for waiting flights.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeHttp } from '../../src/cluster/http.js';
import type { KubeObject } from '../../src/cluster/types.js';
import type { FakeApiServer } from '../support/apiserver.js';
import type { Refresher } from '../../src/refresher/refresher.js';
import type { RunRecord } from '../../src/refresher/records.js';
import { ManualClock } from '../support/manual-clock.js';
import { application, jobs, lookedUp, ranAt, refresher, run, until, usingRefresher, withApiServer } from './support.js';

let api: FakeApiServer;
let http: KubeHttp;

withApiServer((a, h) => ((api = a), (http = h)));

interface EventView {
  reason: string;
  type: string;
  message: string;
  count: number;
  involvedObject: { apiVersion: string; kind: string; name: string; namespace: string; uid?: string };
}

/** The Events recorded on one Application. */
function eventsOf(namespace: string, name: string): EventView[] {
  return api
    .list('v1', 'Event', namespace)
    .map((e: KubeObject) => e as unknown as EventView)
    .filter((e) => e.involvedObject.kind === 'Application' && e.involvedObject.name === name);
}

test('two identical waiting records make one FlightWaiting Event with count 2, plus the selfHeal warning', async () => {
  const app = api.put(application('argocd', 'waiter'));
  await usingRefresher(api, refresher(http), async (r) => {
    r.record(run('waiter', [], { waiting: true, statusMessage: 'waiting for Job default/migrate to complete' }));
    await until('the first Events exist', () => eventsOf('argocd', 'waiter').length === 2);
    r.record(run('waiter', [], { waiting: true, statusMessage: 'waiting for Job default/migrate to complete' }));
    await until('the waiting Event counts 2', () => eventsOf('argocd', 'waiter').find((e) => e.reason === 'FlightWaiting')?.count === 2);
    const events = eventsOf('argocd', 'waiter');
    const waiting = events.filter((e) => e.reason === 'FlightWaiting');
    assert.equal(waiting.length, 1);
    assert.equal(waiting[0]!.type, 'Normal');
    assert.equal(waiting[0]!.message, 'waiting for Job default/migrate to complete');
    assert.deepEqual(waiting[0]!.involvedObject, { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', name: 'waiter', namespace: 'argocd', uid: app.metadata!['uid'] });
    const selfHeal = events.filter((e) => e.reason === 'SelfHealDisabled');
    assert.equal(selfHeal.length, 1);
    assert.equal(selfHeal[0]!.type, 'Warning');
    assert.match(selfHeal[0]!.message, /automated\.selfHeal is off: Argo CD will not apply the next stage by itself; enable spec\.syncPolicy\.automated\.selfHeal/);
    // The fallback periodic refresh is planned for a waiting app.
    assert.ok(r.records()[0]?.nextRefreshAt);

    r.record(run('waiter', [], { statusMessage: 'all stages applied' }));
    await until('a FlightProgressed Event exists', () => eventsOf('argocd', 'waiter').some((e) => e.reason === 'FlightProgressed'));
    const progressed = eventsOf('argocd', 'waiter').find((e) => e.reason === 'FlightProgressed')!;
    assert.equal(progressed.message, 'flight status changed from "waiting for Job default/migrate to complete" to "all stages applied"');
    assert.equal(r.records()[0]?.nextRefreshAt, undefined);
  });
});

test('no selfHeal warning when the Application heals itself; a failed run is a Warning in its namespace', async () => {
  api.put(application('team-a', 'healer', { source: { plugin: { name: 'jetway' } }, syncPolicy: { automated: { selfHeal: true } } }));
  await usingRefresher(api, refresher(http), async (r) => {
    r.record(run('team-a_healer', [], { waiting: true, statusMessage: 'waiting for the database' }));
    await until('the waiting Event exists', () => eventsOf('team-a', 'healer').length === 1);
    r.record(run('team-a_healer', [], { outcome: 'failed', statusMessage: 'flight crashed (wasm trap: unreachable)' }));
    await until('the failure Event exists', () => eventsOf('team-a', 'healer').some((e) => e.reason === 'FlightFailed'));
    const events = eventsOf('team-a', 'healer');
    assert.equal(events.filter((e) => e.reason === 'SelfHealDisabled').length, 0);
    const failed = events.find((e) => e.reason === 'FlightFailed')!;
    assert.equal(failed.type, 'Warning');
    assert.equal(failed.message, 'flight crashed (wasm trap: unreachable)');
  });
});

test('every Event carries the Application uid: a first run that failed, and the hard refresh that re-checks it', async () => {
  // The Argo CD UI lists an app's Events by involvedObject.uid: an Event without it is recorded but never shown.
  const app = api.put(application('argocd', 'broken', { source: { plugin: { name: 'jetway' } }, syncPolicy: { automated: { selfHeal: true } } }));
  const clock = new ManualClock();
  await usingRefresher(api, refresher(http, { clock }), async (r) => {
    r.record(run('broken', [], { outcome: 'failed', statusMessage: 'flight crashed', ...ranAt(clock.now()) }));
    await until('the failure Event exists', () => eventsOf('argocd', 'broken').some((e) => e.reason === 'FlightFailed'));
    clock.advance(60_000); // the periodic re-check of a failed app
    await until('the refresh Event exists', () => eventsOf('argocd', 'broken').some((e) => e.reason === 'HardRefreshTriggered'));
    const events = eventsOf('argocd', 'broken');
    assert.deepEqual(events.map((e) => [e.reason, e.involvedObject.uid]).sort(), [
      ['FlightFailed', app.metadata!['uid']],
      ['HardRefreshTriggered', app.metadata!['uid']],
    ]);
  });
});

/** Records `app` (a finished run, so no Event of its own) watching Job `job`, then completes the Job: one hard refresh follows. */
async function refreshOnce(r: Refresher, clock: ManualClock, app: string, job: string): Promise<void> {
  api.put({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: job, namespace: 'default' }, spec: { template: {} } });
  r.record(run(app, [await lookedUp(http, jobs, 'default', job)], ranAt(clock.now())));
  await api.waitForWatches(1);
  api.setStatus('batch/v1', 'Job', 'default', job, { succeeded: 1 });
  await until('the change is seen', () => r.stats().changes === 1);
  clock.advance(2_000);
  await r.settled();
}

test('an Event that cannot be written is counted, and does not make its hard refresh count as failed or run again', async () => {
  api.put(application('argocd', 'quiet'));
  const denied = api.fail({ method: 'POST', pathPrefix: '/api/v1/namespaces/argocd/events', times: 10 }, { status: 403, message: 'events is forbidden' });
  const clock = new ManualClock();
  const r = refresher(http, { clock });
  await usingRefresher(api, r, async () => {
    await refreshOnce(r, clock, 'quiet', 'quiet-job');
    await until('the Event write was refused', () => denied.hits === 1 && r.stats().eventFailures === 1);
    assert.equal(r.stats().refreshes, 1);
    assert.equal(r.stats().refreshFailures, 0);
  });
  denied.cancel();
  assert.equal(api.requests.filter((q) => q.method === 'PATCH' && q.path.endsWith('/applications/quiet')).length, 1, 'one hard refresh, not retried');
});

test('a refresh PATCH that fails is counted', async () => {
  api.put(application('argocd', 'flaky'));
  const refused = api.fail({ method: 'PATCH', pathPrefix: '/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/flaky' }, { status: 403, message: 'patch is forbidden' });
  const clock = new ManualClock();
  const r = refresher(http, { clock });
  await usingRefresher(api, r, async () => {
    await refreshOnce(r, clock, 'flaky', 'flaky-job');
    await until('the PATCH was refused', () => refused.hits === 1 && r.stats().refreshFailures === 1);
    assert.equal(r.stats().refreshes, 0);
  });
});

test('a destination without the FlightStatus CRD is one Warning naming deploy/flight-status, told again only after the CRD came and went', async () => {
  api.put(application('argocd', 'remote'));
  const clock = new ManualClock();
  await usingRefresher(api, refresher(http, { clock }), async (r) => {
    const missing = () => eventsOf('argocd', 'remote').filter((e) => e.reason === 'FlightStatusCrdMissing');
    let at = clock.now();
    // one run: its Events are written in order, the CRD Warning before FlightWaiting, so once that is there the run was told
    const told = async (step: string, extra: Partial<RunRecord>) => {
      const statusMessage = `waiting for job ${step} to complete`;
      r.record(run('remote', [], { destination: 'https://prod.example.com:6443', statusMessage, waiting: true, ...extra, ...ranAt((at += 1_000)) }));
      await until(`the run waiting for job ${step} was told`, () => eventsOf('argocd', 'remote').some((e) => e.reason === 'FlightWaiting' && e.message === statusMessage));
    };
    await told('one', { flightStatusCrdMissing: true });
    assert.equal(missing().length, 1);
    // more runs against the same destination, a failed one (which does not say either way) among them: not told again
    await told('two', { flightStatusCrdMissing: true });
    r.record(run('remote', [], { outcome: 'failed', statusMessage: 'flight crashed', ...ranAt((at += 1_000)) }));
    await until('the failure was told', () => eventsOf('argocd', 'remote').some((e) => e.reason === 'FlightFailed'));
    await told('three', { flightStatusCrdMissing: true });
    const [warning] = missing();
    assert.deepEqual([missing().length, warning!.type, warning!.count], [1, 'Warning', 1]);
    assert.equal(
      warning!.message,
      "the destination cluster https://prod.example.com:6443 does not serve jetway's FlightStatus CRD (jetway.dev/v1alpha1), so the app's health in Argo CD follows its resources only, not the flight; the app still syncs. Install the CRD there from deploy/flight-status: kubectl apply -f deploy/flight-status/flightstatus-crd.yaml",
    );
    // the CRD installed, then removed again: told once more
    await told('four', { flightStatusCrdMissing: false });
    assert.equal(missing()[0]!.count, 1);
    await told('five', { flightStatusCrdMissing: true });
    assert.equal(missing()[0]!.count, 2);
  });
});
