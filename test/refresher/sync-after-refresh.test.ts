// jetway's sync after its own hard refresh (issue 16): the decision as Argo CD v3.5.1's autoSync and Sync API would make
// it, sync windows (cron subset, CanSync for automated syncs), and the operation patch and backoff against the fake API
// server. The end-to-end behaviour is in test/scenarios/sync-after-refresh.test.ts.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeHttp } from '../../src/cluster/http.js';
import type { KubeObject } from '../../src/cluster/types.js';
import { firedWithin, firesAt, parseCron } from '../../src/refresher/cron.js';
import type { AppEvent } from '../../src/refresher/events.js';
import { decide, SyncAfterRefresh, type StoredApplication } from '../../src/refresher/sync-after-refresh.js';
import { automatedSyncVerdict, matchingWindows, type SyncWindow } from '../../src/refresher/sync-windows.js';
import { makeCrd, type FakeApiServer } from '../support/apiserver.js';
import { application, refresher, run, until, usingRefresher, withApiServer } from './support.js';

let api: FakeApiServer;
let http: KubeHttp;

withApiServer((a, h) => ((api = a), (http = h)));

const minute = (iso: string) => new Date(iso);

test('cron: robfig/cron fields, names, steps, 7 as Sunday, and day-of-month OR day-of-week when both are set', () => {
  const s = parseCron('*/15 9-17 * jan-mar mon-fri');
  assert.ok(firesAt(s, minute('2026-01-05T09:30:00Z'))); // a Monday in January
  assert.ok(!firesAt(s, minute('2026-01-05T09:31:00Z')));
  assert.ok(!firesAt(s, minute('2026-01-04T09:30:00Z'))); // Sunday
  assert.ok(!firesAt(s, minute('2026-04-06T09:30:00Z'))); // April
  assert.ok(firesAt(parseCron('0 0 * * 7'), minute('2026-01-04T00:00:00Z')));
  // both restricted: the 1st of the month OR a Friday
  const either = parseCron('0 0 1 * fri');
  assert.ok(firesAt(either, minute('2026-02-01T00:00:00Z'))); // a Sunday, but the 1st
  assert.ok(firesAt(either, minute('2026-02-06T00:00:00Z'))); // a Friday
  assert.ok(!firesAt(either, minute('2026-02-07T00:00:00Z')));
  assert.ok(firesAt(parseCron('5/20 * * * *'), minute('2026-02-07T10:45:00Z')));
  for (const bad of ['* * * *', '60 * * * *', '* * * * mon-sun-x', '@daily', '*/0 * * * *', '5-1 * * * *']) {
    assert.throws(() => parseCron(bad), Error, bad);
  }
});

test('cron: a window is open while the schedule fired within the duration before now, exclusive at both ends', () => {
  const daily = parseCron('0 22 * * *');
  assert.ok(firedWithin(daily, minute('2026-03-01T23:30:00Z'), 2 * 3_600_000));
  assert.ok(!firedWithin(daily, minute('2026-03-02T00:00:00Z'), 2 * 3_600_000)); // exactly at its end
  assert.ok(!firedWithin(daily, minute('2026-03-01T22:00:00Z'), 2 * 3_600_000)); // at its very start Next is not before now
  assert.ok(firedWithin(daily, minute('2026-03-01T22:00:00.001Z'), 2 * 3_600_000));
});

const app = { name: 'shop', destination: { namespace: 'shop', server: 'https://kubernetes.default.svc' } };
const now = minute('2026-03-01T12:30:00Z');

test('sync windows: deny beats allow, an inactive allow denies, no matching window allows, an invalid window denies', () => {
  const denyNow: SyncWindow = { kind: 'deny', schedule: '0 12 * * *', duration: '1h', applications: ['sh*'] };
  const allowNow: SyncWindow = { kind: 'allow', schedule: '0 12 * * *', duration: '1h', namespaces: ['shop'] };
  const allowLater: SyncWindow = { kind: 'allow', schedule: '0 20 * * *', duration: '1h', clusters: ['https://kubernetes.default.svc'] };
  assert.deepEqual(automatedSyncVerdict([], app, now), { allowed: true });
  assert.equal(automatedSyncVerdict([denyNow, allowNow], app, now).allowed, false);
  assert.match((automatedSyncVerdict([denyNow], app, now) as { why: string }).why, /^blocked by the active deny window "0 12 \* \* \*" for 1h$/);
  assert.deepEqual(automatedSyncVerdict([allowNow, allowLater], app, now), { allowed: true, by: 'allow window "0 12 * * *" for 1h' });
  assert.match((automatedSyncVerdict([allowLater], app, now) as { why: string }).why, /^outside the allow window "0 20/);
  // manualSync does not let jetway's automated sync through a deny window
  assert.equal(automatedSyncVerdict([{ ...denyNow, manualSync: true }], app, now).allowed, false);
  // windows for other apps do not apply
  assert.deepEqual(automatedSyncVerdict([{ ...denyNow, applications: ['billing'] }], app, now), { allowed: true });
  assert.match((automatedSyncVerdict([{ ...denyNow, duration: 'soon' }], app, now) as { why: string }).why, /^invalid sync windows: .*cannot parse duration 'soon'/);
  // a time zone shifts the schedule: 12:00 in New York is 17:00 UTC in March (EST)
  const ny: SyncWindow = { ...denyNow, timeZone: 'America/New_York' };
  assert.equal(automatedSyncVerdict([ny], app, now).allowed, true);
  assert.equal(automatedSyncVerdict([ny], app, minute('2026-03-01T17:30:00Z')).allowed, false);
});

test('sync windows: Matches ORs applications, clusters and namespaces, or ANDs the ones set with andOperator', () => {
  const w: SyncWindow = { kind: 'deny', schedule: '* * * * *', duration: '1h', applications: ['shop'], namespaces: ['other'] };
  assert.equal(matchingWindows([w], app).length, 1);
  assert.equal(matchingWindows([{ ...w, andOperator: true }], app).length, 0);
  assert.equal(matchingWindows([{ ...w, andOperator: true, namespaces: ['sh?p'] }], app).length, 1);
  assert.equal(matchingWindows([{ kind: 'deny', schedule: '* * * * *', duration: '1h', clusters: ['in-cluster'] }], app).length, 0);
});

const revision = '3f1c9a7e5b2d4c6f8a0e1b3d5f7a9c2e4b6d8f0a';
const source = { repoURL: 'https://git.example/apps.git', path: 'pipeline', targetRevision: 'HEAD', plugin: { name: 'jetway' } };

/** An opted-in Application as Argo CD leaves it after reconciling jetway's refresh: job two is new and OutOfSync. */
function reconciled(patch: (a: StoredApplication) => void = () => {}): StoredApplication {
  const a: StoredApplication = {
    metadata: { name: 'pipeline', namespace: 'argocd', resourceVersion: '7', annotations: { 'jetway.dev/sync-after-refresh': 'true' } },
    spec: { project: 'default', source, destination: { namespace: 'pipelines' }, syncPolicy: { automated: { prune: true } } },
    status: {
      reconciledAt: '2026-03-01T12:30:05Z',
      sync: { status: 'OutOfSync', revision, comparedTo: { source: { plugin: { name: 'jetway' }, targetRevision: 'HEAD', path: 'pipeline', repoURL: 'https://git.example/apps.git' } } },
      resources: [
        { group: 'batch', kind: 'Job', namespace: 'pipelines', name: 'pipeline-one', status: 'Synced' },
        { group: 'batch', kind: 'Job', namespace: 'pipelines', name: 'pipeline-two', status: 'OutOfSync' },
      ],
      operationState: {
        phase: 'Succeeded',
        message: 'successfully synced',
        startedAt: '2026-03-01T12:29:00Z',
        finishedAt: '2026-03-01T12:29:01Z',
        operation: { initiatedBy: { automated: true } },
        syncResult: { revision, source },
      },
    },
  };
  patch(a);
  return a;
}

test('decide: syncs only the OutOfSync resources at the revision Argo CD last synced, prune as the automated policy says', () => {
  assert.deepEqual(decide(reconciled(), [], now), {
    kind: 'sync',
    revision,
    resources: [{ group: 'batch', kind: 'Job', name: 'pipeline-two', namespace: 'pipelines' }],
    prune: true,
  });
  assert.equal(
    (
      decide(
        reconciled((a) => (a.spec!.syncPolicy = {})),
        [],
        now,
      ) as { prune: boolean }
    ).prune,
    false,
  );
});

test('decide: waits for Argo CD, and leaves every other case to Argo CD or the user', () => {
  const cases: Array<[string, (a: StoredApplication) => void, string, RegExp]> = [
    ['no opt-in', (a) => delete a.metadata!.annotations, 'skip', /does not set jetway\.dev\/sync-after-refresh/],
    ['refresh not yet consumed', (a) => (a.metadata!.annotations!['argocd.argoproj.io/refresh'] = 'hard'), 'wait', /not yet reconciled/],
    ['never reconciled', (a) => delete a.status!.reconciledAt, 'wait', /not yet reconciled/],
    ['an operation runs', (a) => (a.operation = { sync: {} }), 'skip', /another operation is in progress/],
    ['in sync', (a) => (a.status!.sync!.status = 'Synced'), 'skip', /the app is Synced/],
    ['never synced', (a) => delete a.status!.operationState, 'skip', /has not synced this app yet/],
    [
      'a new commit',
      (a) => (a.status!.sync!.revision = '9b8a7c6d5e4f30211203f4e5d6c7b8a9f0e1d2c3'),
      'skip',
      /compared revision 9b8a7c6.* but last synced 3f1c9a7.*: syncing a new revision is Argo CD's or a user's call/,
    ],
    ['a changed source', (a) => (a.spec!.source = { ...source, path: 'other' }), 'skip', /source changed since the last sync/],
    ['a failed sync by someone else', (a) => (a.status!.operationState!.phase = 'Failed'), 'skip', /last sync to .* ended Failed/],
    [
      'prune only, prune off',
      (a) => {
        a.spec!.syncPolicy = {};
        a.status!.resources = [
          { group: 'batch', kind: 'Job', name: 'old', status: 'OutOfSync', requiresPruning: true },
          { group: 'batch', kind: 'Job', name: 'pipeline-one', status: 'Synced' },
        ];
      },
      'skip',
      /only resources to prune/,
    ],
    ['wipe out', (a) => (a.status!.resources = [{ group: 'batch', kind: 'Job', name: 'old', status: 'OutOfSync', requiresPruning: true }]), 'skip', /wipe out all resources/],
  ];
  for (const [name, change, kind, why] of cases) {
    const d = decide(reconciled(change), [], now);
    assert.equal(d.kind, kind, name);
    assert.match((d as { why: string }).why, why, name);
  }
  // a failed sync of jetway's own is for jetway's backoff to pace, not a reason to stop
  const ownFailure = reconciled((a) => Object.assign(a.status!.operationState!, { phase: 'Failed', operation: { initiatedBy: { username: 'jetway', automated: true } } }));
  assert.equal(decide(ownFailure, [], now).kind, 'sync');
  assert.equal(decide(reconciled(), [{ kind: 'deny', schedule: '0 12 * * *', duration: '1h', applications: ['*'] }], now).kind, 'denied');
});

/** Puts the default AppProject (with `windows`) and an opted-in Application reconciled after a refresh now. */
function seed(name: string, windows: SyncWindow[] = []): void {
  if (!api.get('apiextensions.k8s.io/v1', 'CustomResourceDefinition', undefined, 'appprojects.argoproj.io')) {
    api.put(makeCrd({ group: 'argoproj.io', kind: 'AppProject', plural: 'appprojects', versions: ['v1alpha1'] }));
  }
  api.put({ apiVersion: 'argoproj.io/v1alpha1', kind: 'AppProject', metadata: { name: 'default', namespace: 'argocd' }, spec: { syncWindows: windows } });
  const a = reconciled();
  a.metadata = { name, namespace: 'argocd', annotations: a.metadata!.annotations! };
  a.status!.reconciledAt = new Date(Date.now() + 1_000).toISOString();
  api.put({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', ...a });
}

/** A SyncAfterRefresh with test-sized timings that collects its Events. */
function syncer(events: AppEvent[]): SyncAfterRefresh {
  return new SyncAfterRefresh({
    http,
    argocdNamespace: 'argocd',
    log: () => {},
    emit: async (_app, _ref, event) => void events.push(event),
    pollMs: 20,
    backoff: { baseMs: 60_000, capMs: 300_000 },
    windowRecheckMs: 60_000,
  });
}

const stored = (name: string) => api.get('argoproj.io/v1alpha1', 'Application', 'argocd', name) as KubeObject & StoredApplication;

test("the operation is set as Argo CD's Sync API sets it: partial, jetway-initiated and automated, with the resourceVersion read, operationState cleared", async () => {
  seed('sync-one');
  const events: AppEvent[] = [];
  const s = syncer(events);
  try {
    s.refreshed('sync-one', { namespace: 'argocd', name: 'sync-one' }, 'Job pipelines/pipeline-one changed');
    await until('jetway set the operation', () => stored('sync-one').operation !== undefined, 10_000);
    const patch = api.requests.find((r) => r.method === 'PATCH' && r.path.endsWith('/applications/sync-one'))!;
    const body = patch.body as { metadata: { resourceVersion: string }; status: { operationState: null } };
    assert.ok(body.metadata.resourceVersion, 'the patch carries the resourceVersion it decided on');
    assert.equal(body.status.operationState, null);
    assert.deepEqual(stored('sync-one').operation, {
      sync: { revision, prune: true, source, resources: [{ group: 'batch', kind: 'Job', name: 'pipeline-two', namespace: 'pipelines' }], syncStrategy: { hook: {} } },
      initiatedBy: { username: 'jetway', automated: true },
      info: [{ name: 'Reason', value: 'Job pipelines/pipeline-one changed: syncing Job/pipeline-two' }],
    });
    assert.equal(stored('sync-one').status?.operationState, undefined);
    // the Event follows the patch
    await until('jetway recorded the sync', () => events.length > 0, 10_000);
    assert.deepEqual(
      events.map((e) => [e.type, e.reason, e.message]),
      [['Normal', 'SyncStarted', 'Job pipelines/pipeline-one changed: syncing Job/pipeline-two at revision 3f1c9a7']],
    );
  } finally {
    s.stop();
  }
});

test('a failed jetway sync backs the next one off with a Warning; a deny window gets an Event and no operation', async () => {
  seed('sync-two');
  const events: AppEvent[] = [];
  const s = syncer(events);
  try {
    s.refreshed('sync-two', { namespace: 'argocd', name: 'sync-two' }, 'Job pipelines/pipeline-one changed');
    await until('jetway set the operation', () => stored('sync-two').operation !== undefined, 10_000);
    // the application controller runs it, and it fails
    const operation = stored('sync-two').operation;
    api.mutate('argoproj.io/v1alpha1', 'Application', 'argocd', 'sync-two', (o) => {
      const a = o as StoredApplication;
      delete a.operation;
      a.status!.operationState = {
        phase: 'Failed',
        message: 'one or more objects failed to apply',
        startedAt: new Date().toISOString(),
        finishedAt: new Date().toISOString(),
        operation: operation as never,
        syncResult: { revision, source },
      };
      a.status!.reconciledAt = new Date(Date.now() + 1_000).toISOString();
    });
    await until('jetway warned it backs off', () => events.some((e) => e.reason === 'SyncBackoff'), 10_000);
    assert.match(
      events.find((e) => e.reason === 'SyncBackoff')!.message,
      /^jetway's sync of Job\/pipeline-two ended Failed: one or more objects failed to apply; jetway will not sync this app again for 60 s \(unsuccessful syncs: 1\)$/,
    );
    // the next refresh cycle does not sync within the backoff
    s.refreshed('sync-two', { namespace: 'argocd', name: 'sync-two' }, 'Job pipelines/pipeline-one changed');
    await until('the backoff is announced for the new cycle', () => events.filter((e) => e.reason === 'SyncBackoff').length === 2, 10_000);
    assert.equal(stored('sync-two').operation, undefined);
    assert.match(events.at(-1)!.message, /^jetway backs off syncing Job\/pipeline-two for \d+ s after 1 unsuccessful syncs$/);
  } finally {
    s.stop();
  }
  seed('sync-three', [{ kind: 'deny', schedule: '* * * * *', duration: '1h', applications: ['*'] }]);
  const denied: AppEvent[] = [];
  const d = syncer(denied);
  try {
    d.refreshed('sync-three', { namespace: 'argocd', name: 'sync-three' }, 'Job pipelines/pipeline-one changed');
    await until('jetway said the window denies it', () => denied.length === 1, 10_000);
    assert.deepEqual([denied[0]!.type, denied[0]!.reason], ['Normal', 'SyncWindowDenied']);
    assert.equal(stored('sync-three').operation, undefined);
  } finally {
    d.stop();
  }
});

test('a waiting flight of an opted-in app without selfHeal gets no SelfHealDisabled warning; without the opt-in the warning names it', async () => {
  const spec = { source: { plugin: { name: 'jetway' } }, syncPolicy: { automated: { selfHeal: false } } };
  api.put({ ...application('argocd', 'opted'), metadata: { name: 'opted', namespace: 'argocd', annotations: { 'jetway.dev/sync-after-refresh': 'true' } }, spec });
  api.put(application('argocd', 'plain', spec));
  const reasons = (name: string) =>
    api
      .list('v1', 'Event', 'argocd')
      .filter((e) => (e['involvedObject'] as { name: string }).name === name)
      .map((e) => String(e['reason']));
  await usingRefresher(api, refresher(http), async (r) => {
    r.record(run('opted', [], { waiting: true, statusMessage: 'waiting for job two to complete' }));
    r.record(run('plain', [], { waiting: true, statusMessage: 'waiting for job two to complete' }));
    await until('both waiting Events exist', () => reasons('opted').includes('FlightWaiting') && reasons('plain').includes('SelfHealDisabled'), 10_000);
    assert.deepEqual(reasons('opted'), ['FlightWaiting']);
    const warning = api.list('v1', 'Event', 'argocd').find((e) => e['reason'] === 'SelfHealDisabled' && (e['involvedObject'] as { name: string }).name === 'plain')!;
    assert.match(String(warning['message']), /enable spec\.syncPolicy\.automated\.selfHeal, or let jetway sync each new stage with the annotation jetway\.dev\/sync-after-refresh: "true"$/);
  });
});
