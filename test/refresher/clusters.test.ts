// Per-cluster watches (issue 14 item 3): a record's `destination` decides which cluster its watches and reads go to, shared
// per (cluster, resource, namespace); hard refreshes and Events stay on the Argo CD cluster (the hub). A rotated token or CA
// in the cluster Secret is picked up without a restart; a deleted or unreachable cluster degrades its apps to the periodic
// re-check with one Warning Event naming the cluster. Two fake API servers with distinct CAs and tokens; time is a ManualClock.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import { listClusterSecrets } from '../../src/cluster/destinations/cluster-secrets.js';
import { DestinationResolver } from '../../src/cluster/destinations/resolver.js';
import { KubeHttp } from '../../src/cluster/http.js';
import { loadKubeConfig } from '../../src/cluster/kube.js';
import type { KubeObject } from '../../src/cluster/types.js';
import { DestinationClients, clusterOf } from '../../src/refresher/clusters.js';
import type { Refresher, RefresherOptions } from '../../src/refresher/refresher.js';
import { newTlsMaterial, type FakeApiServer } from '../support/apiserver.js';
import { bearerConfig, registerCluster, startHubAndRemote, type HubAndRemote } from '../support/apiserver/clusters.js';
import { ManualClock, runUntil } from '../support/manual-clock.js';
import { application, hardRefreshes, httpFor, jobs, lookedUp, ranAt, refresher, run, until } from './support.js';

const readAll = [{ verbs: ['get', 'list', 'watch'], apiGroups: ['*'], resources: ['*'] }];
const waitingRefreshMs = 60_000;

let clusters: HubAndRemote;
let hub: FakeApiServer;
let remote: FakeApiServer;
let hubHttp: KubeHttp;
let remoteAdmin: KubeHttp;
let resolver: DestinationResolver;
let clock: ManualClock;

beforeEach(async () => {
  clusters = await startHubAndRemote();
  ({ hub, remote } = clusters);
  hubHttp = httpFor(hub);
  remoteAdmin = httpFor(remote);
  remote.addToken('remote-token-1', readAll, 'system:serviceaccount:kube-system:argocd-manager');
  for (const api of [hub, remote]) api.ns('team');
  // retired clients close at once: a test never waits on the resolver's real-time retirement timer
  resolver = new DestinationResolver({ secrets: listClusterSecrets(hubHttp, 'argocd'), inCluster: () => loadKubeConfig({ kubeconfig: hub.kubeconfig() }), timeoutMs: 2_000, retireAfterMs: 0 });
  clock = new ManualClock();
});

afterEach(async () => {
  resolver.close();
  hubHttp.close();
  remoteAdmin.close();
  await clusters.close();
});

function registerRemote(token = 'remote-token-1', ca = remote.ca): KubeObject {
  return registerCluster(hub, { secretName: 'cluster-remote', name: 'remote', server: remote.url, config: bearerConfig(token, ca) });
}

/** A refresher on the hub whose destination clients come from the hub's cluster Secrets. */
function clustered(options: Partial<RefresherOptions> = {}): Refresher {
  return refresher(hubHttp, { clock, waitingRefreshMs, clusters: new DestinationClients({ resolver, clock }), ...options });
}

/** Runs `body`, then stops the refresher and waits until neither server has a watch of it open. */
async function using(r: Refresher, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } finally {
    r.stop();
    await until('every watch is closed', () => hub.openWatches === 0 && remote.openWatches === 0);
  }
}

/**
 * With Application argocd/pipeline on the hub, whose flight (waiting or done) looked up Job team/one on the remote: records
 * that run on a refresher, runs `body` once the remote has the Job watched, then stops the refresher.
 */
async function watchingRemoteJob(flight: { waiting: boolean }, body: (r: Refresher) => Promise<void>): Promise<void> {
  hub.put(application('argocd', 'pipeline'));
  remote.put(job('one'));
  const refs = [await lookedUp(remoteAdmin, jobs, 'team', 'one')];
  const r = clustered();
  await using(r, async () => {
    r.record(run('pipeline', refs, { destination: remote.url, ...(flight.waiting ? { waiting: true } : {}), ...ranAt(clock.now()) }));
    await remote.waitForWatches(1);
    await body(r);
  });
}

const job = (name: string) => ({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name, namespace: 'team' }, spec: { template: {} } });
const complete = { succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] };

/** Requests for Jobs (lookups, lists, watches) a server received since `from`. */
const jobRequests = (api: FakeApiServer, from = 0) => api.requests.slice(from).filter((q) => q.path.includes('/jobs'));

/** The Events on Application argocd/name with `reason`. */
const eventsOf = (name: string, reason: string) =>
  hub.list('v1', 'Event', 'argocd').filter((e: KubeObject) => (e['involvedObject'] as { name?: string }).name === name && e['reason'] === reason) as Array<
    KubeObject & { message: string; count: number }
  >;

/** The next planned refresh of `app`, as `jetway status` shows it. */
const planned = (r: Refresher, app: string) => r.records().find((x) => x.app === app)?.nextRefreshAt;

test('a record destined to a registered cluster is watched there; the hard refresh patches the Application on the hub', async () => {
  registerRemote();
  // the hub has a Job of the same name: its changes must not refresh the app
  hub.put(job('one'));
  const hubMark = hub.requests.length;
  await watchingRemoteJob({ waiting: true }, async (r) => {
    assert.equal(hub.openWatches, 0, 'nothing of the app is watched on the hub');
    hub.setStatus('batch/v1', 'Job', 'team', 'one', complete);
    remote.setStatus('batch/v1', 'Job', 'team', 'one', complete);
    await runUntil(clock, 'the Application on the hub is hard-refreshed', () => hardRefreshes(hub, 'argocd', 'pipeline').length === 1);
    await r.settled();
    assert.equal(r.stats().changes, 1, 'the remote Job changed; the hub Job is not what the flight saw');
    assert.deepEqual(jobRequests(hub, hubMark), [], 'no list, watch or read of Jobs on the hub');
    assert.deepEqual(
      new Set(
        jobRequests(remote)
          .filter((q) => q.token !== remote.adminToken)
          .map((q) => q.token),
      ),
      new Set(['remote-token-1']),
      "the cluster Secret's token",
    );
    assert.equal(hardRefreshes(remote, 'argocd', 'pipeline').length, 0);
  });
});

test('watches are shared per (cluster, resource, namespace), and JETWAY_MAX_WATCHES counts those triples', async () => {
  registerRemote();
  for (const app of ['a', 'b', 'local', 'late']) hub.put(application('argocd', app));
  remote.put(job('one'));
  hub.put(job('one'));
  const onRemote = [await lookedUp(remoteAdmin, jobs, 'team', 'one')];
  const onHub = [await lookedUp(hubHttp, jobs, 'team', 'one')];
  const r = clustered({ limits: { refsPerApp: 10, watches: 2 } });
  await using(r, async () => {
    r.record(run('a', onRemote, { destination: remote.url }));
    r.record(run('b', onRemote, { destination: `${remote.url}/` }));
    r.record(run('local', onHub, { destination: 'https://kubernetes.default.svc' }));
    await remote.waitForWatches(1);
    await hub.waitForWatches(1);
    assert.equal(r.stats().openWatches, 2, 'one watch of team Jobs per cluster');
    assert.equal(remote.openWatches, 1);
    // a third cluster's team Jobs would be a third triple
    r.record(run('late', onRemote, { destination: 'https://third.example.com' }));
    assert.match(r.records().find((x) => x.app === 'late')?.notWatched ?? '', /3 watches, more than its 2 \(JETWAY_MAX_WATCHES\)/);
    assert.equal(r.stats().openWatches, 2);
  });
});

test('a rotated token is picked up without a restart: one 401, the Secret is read again, no Warning Event', async () => {
  registerRemote('remote-token-1');
  await watchingRemoteJob({ waiting: true }, async (r) => {
    // rotation: the new token is granted, the Secret updated, the old token revoked; the open watch then ends
    remote.addToken('remote-token-2', readAll);
    registerRemote('remote-token-2');
    remote.removeToken('remote-token-1');
    const mark = remote.requests.length;
    remote.closeWatches();
    await runUntil(clock, 'the watch is open again with the new token', () => remote.requests.slice(mark).some((q) => q.watch && q.token === 'remote-token-2' && q.status === 200));
    assert.deepEqual(
      remote.requests
        .slice(mark)
        .filter((q) => q.status === 401)
        .map((q) => q.token),
      ['remote-token-1'],
      'the old token failed once',
    );
    remote.setStatus('batch/v1', 'Job', 'team', 'one', complete);
    await runUntil(clock, 'the change refreshes the app', () => hardRefreshes(hub, 'argocd', 'pipeline').length === 1);
    await r.settled();
    assert.equal(eventsOf('pipeline', 'ClusterUnreachable').length, 0);
    assert.ok(
      jobRequests(remote, mark)
        .filter((q) => !q.watch && q.status === 200)
        .every((q) => q.token === 'remote-token-2'),
      'reads after the rotation use the new token',
    );
  });
});

test('a rotated CA is picked up without a restart once the cluster Secret carries it', async () => {
  registerRemote();
  await watchingRemoteJob({ waiting: true }, async () => {
    const rotated = newTlsMaterial('jetway-remote-ca-rotated');
    registerRemote('remote-token-1', rotated.ca);
    const mark = remote.requests.length;
    remote.useTls(rotated); // new serving certificate: open connections are cut, the old CA no longer verifies it
    await runUntil(clock, 'the watch is open again', () => remote.requests.slice(mark).some((q) => q.watch && q.status === 200));
    remote.setStatus('batch/v1', 'Job', 'team', 'one', complete);
    await runUntil(clock, 'the change refreshes the app', () => hardRefreshes(hub, 'argocd', 'pipeline').length === 1);
    assert.equal(eventsOf('pipeline', 'ClusterUnreachable').length, 0);
  });
});

test('an unreachable cluster: one Warning Event naming it however often the watch retries, the periodic re-check meanwhile, watched again once it answers', async () => {
  registerRemote();
  hub.put(application('argocd', 'pipeline'));
  hub.put(application('argocd', 'local'));
  remote.put(job('one'));
  hub.put(job('one'));
  const r = clustered();
  await using(r, async () => {
    // a finished flight: no periodic re-check of its own
    const refs = [await lookedUp(remoteAdmin, jobs, 'team', 'one')];
    r.record(run('pipeline', refs, { destination: remote.url, ...ranAt(clock.now()) }));
    r.record(run('local', [await lookedUp(hubHttp, jobs, 'team', 'one')], ranAt(clock.now())));
    await remote.waitForWatches(1);
    await hub.waitForWatches(1);
    assert.equal(planned(r, 'pipeline'), undefined);
    const outage = remote.fail({ times: Infinity }, { reset: true });
    remote.closeWatches();
    await runUntil(clock, 'the app falls back to the periodic re-check', () => planned(r, 'pipeline') !== undefined);
    await until('the Warning Event is written', () => eventsOf('pipeline', 'ClusterUnreachable').length === 1);
    const [warning] = eventsOf('pipeline', 'ClusterUnreachable');
    assert.equal(warning!['type'], 'Warning');
    assert.match(warning!.message, new RegExp(`cannot watch cluster "remote" \\(${remote.url.replace(/\./g, '\\.')}\\)`));
    assert.match(warning!.message, /re-checked every 60 s until the cluster answers/);
    // the watch keeps retrying (backed off) through the periodic re-check, which refreshes the app on the hub
    const tries = outage.hits;
    await runUntil(clock, 'the periodic re-check refreshes the app', () => hardRefreshes(hub, 'argocd', 'pipeline').length === 1, 1_000, 200);
    assert.ok(outage.hits > tries + 1, `the watch was retried (${outage.hits} attempts)`);
    // the generate answering the re-check reports a new run: still the same outage, still one Event
    r.record(run('pipeline', refs, { destination: remote.url, ...ranAt(clock.now()) }));
    assert.notEqual(planned(r, 'pipeline'), undefined, 'a new record of an app on the unreachable cluster keeps the periodic re-check');
    await r.settled();
    const again = eventsOf('pipeline', 'ClusterUnreachable');
    assert.deepEqual(
      again.map((e) => e.count),
      [1],
      'told once, not once per retry',
    );
    assert.equal(planned(r, 'local'), undefined, 'the in-cluster app beside it is unaffected');
    assert.equal(eventsOf('local', 'ClusterUnreachable').length, 0);
    outage.cancel();
    await runUntil(clock, 'the app is watched again, without the periodic re-check', () => planned(r, 'pipeline') === undefined, 1_000, 100);
    await remote.waitForWatches(1);
    remote.setStatus('batch/v1', 'Job', 'team', 'one', complete);
    await runUntil(clock, 'a change on the remote refreshes the app again', () => hardRefreshes(hub, 'argocd', 'pipeline').length === 2);
  });
});

test('a deleted cluster Secret: the next reconnect finds no registration, the app is re-checked periodically and told why', async () => {
  registerRemote();
  await watchingRemoteJob({ waiting: false }, async (r) => {
    hub.remove('v1', 'Secret', 'argocd', 'cluster-remote');
    clock.advance(61_000); // past the re-read period of a registration in use
    remote.closeWatches();
    await runUntil(clock, 'the app falls back to the periodic re-check', () => planned(r, 'pipeline') !== undefined);
    await until('the Warning Event is written', () => eventsOf('pipeline', 'ClusterUnreachable').length === 1);
    assert.match(
      eventsOf('pipeline', 'ClusterUnreachable')[0]!.message,
      new RegExp(`cluster ${remote.url.replace(/\./g, '\\.')} not found: no Secret labelled argocd\\.argoproj\\.io/secret-type=cluster`),
    );
    assert.equal(remote.openWatches, 0, 'nothing is watched on a cluster Argo CD no longer knows');
  });
});

test("the in-cluster destination is watched with its cluster Secret's token when one registers it, as its lookups read; else with serve's own", async () => {
  hub.put(application('argocd', 'local'));
  hub.put(job('one'));
  const refs = [await lookedUp(hubHttp, jobs, 'team', 'one')];
  /** The tokens of the Job watches the hub received since `from`. */
  const watchTokens = (from: number) =>
    new Set(
      jobRequests(hub, from)
        .filter((q) => q.watch)
        .map((q) => q.token),
    );
  let mark = hub.requests.length;
  const own = clustered();
  await using(own, async () => {
    own.record(run('local', refs, { destination: 'https://kubernetes.default.svc', waiting: true, ...ranAt(clock.now()) }));
    await hub.waitForWatches(1);
    assert.deepEqual(watchTokens(mark), new Set([hub.adminToken]), "no cluster Secret for the in-cluster server: serve's own credentials");
  });
  // Argo CD (util/db/cluster.go GetCluster, RawRestConfig) uses a Secret registering https://kubernetes.default.svc when one exists
  hub.addToken('argocd-manager-token', readAll, 'system:serviceaccount:kube-system:argocd-manager');
  registerCluster(hub, { secretName: 'cluster-local', name: 'in-cluster', server: 'https://kubernetes.default.svc', config: { bearerToken: 'argocd-manager-token' } });
  mark = hub.requests.length;
  const secretOwned = clustered();
  await using(secretOwned, async () => {
    secretOwned.record(run('local', refs, { waiting: true, ...ranAt(clock.now()) }));
    await hub.waitForWatches(1);
    assert.deepEqual(watchTokens(mark), new Set(['argocd-manager-token']), "the in-cluster Secret's token, also for a record without destination");
    hub.setStatus('batch/v1', 'Job', 'team', 'one', complete);
    await runUntil(clock, 'the Application is hard-refreshed', () => hardRefreshes(hub, 'argocd', 'local').length === 1);
  });
});

test('a record without destination, or with the in-cluster server, is the Argo CD cluster itself', () => {
  assert.equal(clusterOf(undefined), '');
  assert.equal(clusterOf('https://kubernetes.default.svc/'), '');
  assert.equal(clusterOf('https://remote.example.com/'), 'https://remote.example.com');
});
