// Tenant isolation of the refresher (issue 11 item 6): what an app author's flight looks up can make jetway watch only
// what the app may read, within per-app and per-service caps; past a cap the app is re-checked periodically and told so.
// The attacks run through the host imports a flight calls (k8s_lookup) and the records they produce, into a refresher.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { KubeHttp } from '../../src/cluster/http.js';
import type { KubeCluster } from '../../src/cluster/kube.js';
import type { KubeObject } from '../../src/cluster/types.js';
import { createAccessHost, type AccessOptions } from '../../src/host/policy.js';
import type { LookupRef } from '../../src/host/refs.js';
import { startApiServer, type FakeApiServer } from '../support/apiserver.js';
import { kubeCluster } from '../support/flights.js';
import { ManualClock } from '../support/manual-clock.js';
import { application, hardRefreshes, httpFor, ranAt, refresher, run, until, usingRefresher } from '../refresher/support.js';

let api: FakeApiServer;
let http: KubeHttp;
let cluster: KubeCluster;

before(async () => {
  api = await startApiServer({ namespaces: ['argocd', 'team-a', 'team-b', 'kube-system'] });
  http = httpFor(api);
  cluster = kubeCluster(api);
});

after(async () => {
  cluster.close();
  http.close();
  await api.close();
});

/** The refs a flight of app `release` (destination team-a) records after looking up each of `lookups`. */
async function lookupsOf(lookups: Array<{ kind: string; apiVersion: string; namespace: string; name: string }>, options: Partial<AccessOptions> = {}): Promise<LookupRef[]> {
  const host = createAccessHost({ cluster, release: 'tenant', namespace: 'team-a', matchers: [], ...options });
  for (const l of lookups) await host.handle({ op: 'k8s_lookup', ...l });
  return host.refs();
}

/** The Events recorded on Application argocd/name. */
const eventsOf = (name: string) =>
  api.list('v1', 'Event', 'argocd').filter((e: KubeObject) => (e['involvedObject'] as { name?: string } | undefined)?.name === name) as Array<KubeObject & { reason: string; message: string }>;

test('a flight looking up 2,000 absent Secrets across other namespaces opens no watch', async () => {
  api.put(application('argocd', 'tenant'));
  const secrets = Array.from({ length: 2_000 }, (_, i) => ({ kind: 'Secret', apiVersion: 'v1', namespace: `victim-${i}`, name: 'admin-token' }));
  const refs = await lookupsOf([...secrets, { kind: 'Secret', apiVersion: 'v1', namespace: 'team-a', name: 'db' }]);
  assert.deepEqual(
    refs.map((r) => r.ref),
    ['team-a/Secret:db'],
    'only the absent object in its own namespace is recorded',
  );
  await usingRefresher(api, refresher(http), async (r) => {
    r.record(run('tenant', refs, { waiting: true }));
    await api.waitForWatches(1);
    assert.equal(r.stats().openWatches, 1);
  });
});

test('a flight watching an absent Secret outside the admin ceiling gets no refresh and no Event naming it when it appears', async () => {
  api.put(application('argocd', 'prober'));
  // the app's own matcher asks for kube-system; the admin's ceiling only grants team-b
  const options = { matchers: ['kube-system/Secret', 'team-b/ConfigMap'], lookupCeiling: ['team-b/ConfigMap'] };
  const refs = await lookupsOf(
    [
      { kind: 'Secret', apiVersion: 'v1', namespace: 'kube-system', name: 'cloud-admin' },
      { kind: 'ConfigMap', apiVersion: 'v1', namespace: 'team-b', name: 'shared-settings' },
    ],
    options,
  );
  assert.deepEqual(
    refs.map((r) => r.ref),
    ['team-b/ConfigMap:shared-settings'],
    'what the ceiling grants is still watched',
  );
  const clock = new ManualClock();
  const mark = api.requests.length;
  await usingRefresher(api, refresher(http, { clock }), async (r) => {
    r.record(run('prober', refs, { waiting: true, ...ranAt(clock.now()) }));
    await api.waitForWatches(1);
    const seen = r.stats().watchEvents;
    api.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'shared-settings', namespace: 'team-b' }, data: { a: '1' } });
    api.put({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'cloud-admin', namespace: 'kube-system' }, stringData: { token: 'root' } });
    await until('the granted ConfigMap appearing is seen', () => r.stats().watchEvents > seen && r.stats().changes === 1);
    clock.advance(2_000); // past the debounce and the minimum interval, before the periodic re-check
    await r.settled();
    assert.equal(hardRefreshes(api, 'argocd', 'prober').length, 1, 'one refresh, for the granted ConfigMap');
    assert.equal(api.requests.slice(mark).filter((q) => q.path.includes('/namespaces/kube-system/')).length, 0, 'the refresher never watches or reads kube-system');
    await until('the refresh Event is written', () => eventsOf('prober').some((e) => e.reason === 'HardRefreshTriggered'));
    const messages = eventsOf('prober').map((e) => e.message);
    assert.ok(
      messages.every((m) => !m.includes('cloud-admin') && !m.includes('kube-system')),
      messages.join('\n'),
    );
  });
});

test('a flight looking up 300 absent objects in its own namespace is capped: nothing watched, a periodic re-check and a warning Event', async () => {
  api.put(application('argocd', 'hoarder'));
  const refs = await lookupsOf(Array.from({ length: 300 }, (_, i) => ({ kind: 'ConfigMap', apiVersion: 'v1', namespace: 'team-a', name: `probe-${i}` })));
  assert.equal(refs.length, 300);
  await usingRefresher(api, refresher(http, { limits: { refsPerApp: 100, watches: 500 }, waitingRefreshMs: 60_000 }), async (r) => {
    r.record(run('hoarder', refs));
    const view = r.records().find((x) => x.app === 'hoarder')!;
    assert.match(view.notWatched ?? '', /looked up 300 objects, more than the 100 jetway watches per app \(JETWAY_MAX_REFS_PER_APP\)/);
    assert.ok(view.nextRefreshAt, 'the periodic re-check stands in for the watches');
    assert.equal(r.stats().openWatches, 0);
    await until('the warning Event is written', () => eventsOf('hoarder').some((e) => e.reason === 'WatchLimitReached'));
    const warning = eventsOf('hoarder').find((e) => e.reason === 'WatchLimitReached')!;
    assert.equal(warning['type'], 'Warning');
  });
});

test('an app whose lookups would pass the service-wide watch cap is re-checked periodically; apps within it stay watched', async () => {
  api.put(application('argocd', 'first'));
  api.put(application('argocd', 'spreader'));
  const kinds = [
    { kind: 'ConfigMap', apiVersion: 'v1' },
    { kind: 'Service', apiVersion: 'v1' },
    { kind: 'Job', apiVersion: 'batch/v1' },
  ];
  const first = await lookupsOf([{ ...kinds[0]!, namespace: 'team-a', name: 'settings' }]);
  const spreader = await lookupsOf(kinds.map((k) => ({ ...k, namespace: 'team-a', name: 'x' })));
  await usingRefresher(api, refresher(http, { limits: { refsPerApp: 100, watches: 2 } }), async (r) => {
    r.record(run('first', first));
    r.record(run('spreader', spreader));
    assert.equal(r.stats().openWatches, 1, 'the first app keeps its watch');
    assert.match(r.records().find((x) => x.app === 'spreader')?.notWatched ?? '', /3 watches, more than its 2 \(JETWAY_MAX_WATCHES\)/);
    await until('the warning Event is written', () => eventsOf('spreader').some((e) => e.reason === 'WatchLimitReached'));
  });
});
