// One active refresher: leader election on a coordination.k8s.io/v1 Lease with client-go's semantics, against the fake
// API server's Lease (409 Conflict on a stale resourceVersion), on a shared manual clock.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KubeHttp, type RequestOptions, type Response } from '../../src/cluster/http.js';
import { loadKubeConfig } from '../../src/cluster/kube.js';
import { LeaderElector } from '../../src/refresher/leader.js';
import type { FakeApiServer } from '../support/apiserver.js';
import { ManualClock, runUntil } from '../support/manual-clock.js';
import { withApiServer } from './support.js';

let api: FakeApiServer;

withApiServer((a) => (api = a));

const timings = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };
const leasePath = '/apis/coordination.k8s.io/v1/namespaces/argocd/leases/';

/** A replica's client that knows whether a request of its own is still in flight, so the manual clock can wait for it. */
class CountedHttp extends KubeHttp {
  static inFlight = 0;

  override async request(path: string, options?: RequestOptions): Promise<Response> {
    CountedHttp.inFlight++;
    try {
      return await super.request(path, options);
    } finally {
      CountedHttp.inFlight--;
    }
  }
}

/** Runs the shared clock until `check`, never while a replica's request is in flight (elapsed time is the electors' own timers). */
const runLeasesUntil = (clock: ManualClock, what: string, check: () => boolean) => runUntil(clock, what, check, 100, 400, () => CountedHttp.inFlight > 0);

interface Replica {
  name: string;
  elector: LeaderElector;
  http: CountedHttp;
  started: number[];
  stopped: number[];
}

/** `count` replicas, each with its own token (so one can be cut off), competing for Lease argocd/`lease`. */
function replicas(count: number, lease: string, clock: ManualClock, leading: { now: number; most: number }): Replica[] {
  return Array.from({ length: count }, (_, i) => {
    const name = `${lease}-${i}`;
    api.addToken(`${name}-token`, [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }], `system:serviceaccount:argocd:${name}`);
    const http = new CountedHttp(loadKubeConfig({ kubeconfig: api.kubeconfig(`${name}-token`) }), { retries: 0, baseDelayMs: 10 });
    const replica: Replica = { name, http, started: [], stopped: [], elector: undefined as unknown as LeaderElector };
    replica.elector = new LeaderElector({
      http,
      namespace: 'argocd',
      name: lease,
      identity: name,
      ...timings,
      clock,
      log: () => {},
      onStartedLeading: () => {
        replica.started.push(clock.now());
        leading.most = Math.max(leading.most, ++leading.now);
      },
      onStoppedLeading: () => {
        replica.stopped.push(clock.now());
        leading.now--;
      },
    });
    return replica;
  });
}

test('three replicas: exactly one holds the lease; cut off, it steps down and another takes over within the lease duration', async () => {
  const clock = new ManualClock();
  const leading = { now: 0, most: 0 };
  const all = replicas(3, 'jetway-refresher', clock, leading);
  try {
    for (const r of all) r.elector.start();
    await runLeasesUntil(clock, 'a leader', () => all.some((r) => r.elector.isLeader));
    // a few renewal periods: leadership stays put, nobody else ever leads
    clock.advance(0);
    await runLeasesUntil(clock, 'several renewals', () => api.requests.filter((q) => q.method === 'PUT' && q.path.startsWith(leasePath)).length >= 5);
    const leader = all.find((r) => r.elector.isLeader)!;
    assert.equal(all.filter((r) => r.elector.isLeader).length, 1);
    assert.equal(leading.most, 1);
    const lease = api.get('coordination.k8s.io/v1', 'Lease', 'argocd', 'jetway-refresher')!;
    assert.equal((lease['spec'] as { holderIdentity: string }).holderIdentity, leader.name);
    // the leader is cut off from the API server (a partition, or a hung process): its renewals fail
    const cutAt = clock.now();
    api.fail({ match: (q) => q.token === `${leader.name}-token`, times: Infinity }, { reset: true });
    await runLeasesUntil(clock, 'another replica leads', () => all.some((r) => r !== leader && r.elector.isLeader));
    const next = all.find((r) => r.elector.isLeader)!;
    assert.ok(leader.stopped[0]! <= next.started[0]!, 'the old leader stopped before the new one started');
    assert.ok(leader.stopped[0]! - cutAt <= timings.renewDeadlineMs + timings.retryPeriodMs, `stepped down ${leader.stopped[0]! - cutAt} ms after being cut off`);
    assert.ok(next.started[0]! - cutAt <= timings.leaseDurationMs + 2 * timings.retryPeriodMs * 2.2, `taken over ${next.started[0]! - cutAt} ms after`);
    assert.equal(leading.most, 1, 'never two leaders at once');
    const transitions = (api.get('coordination.k8s.io/v1', 'Lease', 'argocd', 'jetway-refresher')!['spec'] as { leaseTransitions: number }).leaseTransitions;
    assert.equal(transitions, 1);
  } finally {
    for (const r of all) {
      await r.elector.stop();
      r.http.close();
    }
  }
});

test('a leader that stops releases the lease: the next replica takes it at its next attempt, not after the lease duration', async () => {
  const clock = new ManualClock();
  const leading = { now: 0, most: 0 };
  const all = replicas(2, 'jetway-handover', clock, leading);
  try {
    for (const r of all) r.elector.start();
    await runLeasesUntil(clock, 'a leader', () => all.some((r) => r.elector.isLeader));
    const leader = all.find((r) => r.elector.isLeader)!;
    const other = all.find((r) => r !== leader)!;
    const stoppedAt = clock.now();
    await leader.elector.stop();
    assert.equal(leader.stopped.length, 1, 'stepped down at once');
    await runLeasesUntil(clock, 'the other replica leads', () => other.elector.isLeader);
    assert.ok(other.started[0]! - stoppedAt <= timings.retryPeriodMs * 2.2 + 100, `taken over ${other.started[0]! - stoppedAt} ms after`);
  } finally {
    for (const r of all) {
      await r.elector.stop();
      r.http.close();
    }
  }
});

test('a lease another replica wrote after this one read it: the write gets 409 Conflict, and the other holds it for a full lease duration', async () => {
  const clock = new ManualClock();
  const leading = { now: 0, most: 0 };
  api.put({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'jetway-race', namespace: 'argocd' }, spec: { holderIdentity: '', leaseDurationSeconds: 1 } });
  const [replica] = replicas(1, 'jetway-race', clock, leading);
  // between this replica's GET and its PUT, another replica takes the lease (a new resourceVersion)
  let raced = false;
  const unsubscribe = api.onRequest((q) => {
    if (raced || q.method !== 'PUT' || q.path !== `${leasePath}jetway-race`) return;
    raced = true;
    api.mutate('coordination.k8s.io/v1', 'Lease', 'argocd', 'jetway-race', (lease) => {
      lease['spec'] = { holderIdentity: 'other-replica', leaseDurationSeconds: 15, renewTime: new Date(clock.now()).toISOString().replace('Z', '000Z') };
    });
  });
  try {
    replica!.elector.start();
    const puts = () => api.requests.filter((q) => q.method === 'PUT' && q.path === `${leasePath}jetway-race` && typeof q.status === 'number');
    await runLeasesUntil(clock, 'the first write is answered', () => puts().length === 1);
    assert.equal(puts()[0]!.status, 409);
    assert.equal(replica!.elector.isLeader, false);
    const conflictAt = clock.now();
    await runLeasesUntil(clock, 'the replica takes the lease once the other stops renewing it', () => replica!.elector.isLeader);
    assert.ok(replica!.started[0]! - conflictAt >= timings.leaseDurationMs, `waited ${replica!.started[0]! - conflictAt} ms, at least the lease duration`);
    assert.equal((api.get('coordination.k8s.io/v1', 'Lease', 'argocd', 'jetway-race')!['spec'] as { leaseTransitions: number }).leaseTransitions, 1);
  } finally {
    unsubscribe();
    await replica!.elector.stop();
    replica!.http.close();
  }
});
