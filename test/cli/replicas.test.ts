// Three `jetway serve` replicas, as Argo CD's HA repo-server runs them: exactly one holds the Lease and watches; killed,
// another takes over within the lease duration; a rolling restart of all three refreshes only the app whose looked-up
// object changed during it; /readyz never fails meanwhile (issue 13).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { KubeHttp } from '../../src/cluster/http.js';
import { RecordStore } from '../../src/refresher/record-store.js';
import { startApiServer, type FakeApiServer } from '../support/apiserver.js';
import { installRunRecords, startServe, type ServeProcess } from '../support/serve.js';
import { application, hardRefreshes, httpFor, jobs, lookedUp, run, until } from '../refresher/support.js';

let api: FakeApiServer;
let http: KubeHttp;
const apps = 100;
const leaseFlags = ['--lease-duration', '3s', '--renew-deadline', '2s', '--retry-period', '500ms', '--debounce', '100ms'];

before(async () => {
  api = await startApiServer({ namespaces: ['argocd', 'default'] });
  http = httpFor(api);
  installRunRecords(api);
});
after(async () => {
  http.close();
  await api.close();
});

const leads = (s: ServeProcess) => s.logs.filter((l) => /^became the leader/.test(String(l['msg']))).length - s.logs.filter((l) => /^stopped leading/.test(String(l['msg']))).length > 0;
const holder = () => (api.get('coordination.k8s.io/v1', 'Lease', 'argocd', 'jetway-refresher')?.['spec'] as { holderIdentity?: string } | undefined)?.holderIdentity;

test('three replicas: one leader watches; killed, another takes over within the lease duration; a rolling restart refreshes only what changed', async () => {
  const store = new RecordStore(http, 'argocd');
  for (let i = 0; i < apps; i++) {
    api.put(application('argocd', `app-${i}`));
    api.put({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: `job-${i}`, namespace: 'default' }, spec: { template: {} } });
    await store.save(run(`app-${i}`, [await lookedUp(http, jobs, 'default', `job-${i}`)], { waiting: true }));
  }
  const replicas: ServeProcess[] = [];
  let readyFailures = 0;
  const probe = setInterval(() => {
    for (const s of replicas) void fetch(`${s.opsUrl}/readyz`).then((res) => void (res.status !== 200 && readyFailures++), () => {});
  }, 100);
  try {
    for (let i = 0; i < 3; i++) replicas.push(await startServe(api, leaseFlags));
    await until('one replica leads', () => replicas.filter(leads).length === 1, 10_000);
    await until('the leader watches RunRecords and Jobs', () => api.openWatches === 2, 10_000);
    assert.equal(replicas.filter(leads).length, 1);
    assert.equal(hardRefreshes(api, 'argocd', 'app-0').length + hardRefreshes(api, 'argocd', 'app-99').length, 0, 'no start-up refresh');

    // kill the leader: another takes over within the lease duration (3 s) plus a retry period
    const leader = replicas.find(leads)!;
    const killedAt = Date.now();
    leader.process.kill('SIGKILL');
    await leader.process;
    replicas.splice(replicas.indexOf(leader), 1);
    await until('another replica leads', () => replicas.some(leads), 6_000);
    const tookOver = Date.now() - killedAt;
    assert.ok(tookOver <= 3_000 + 2 * 500 * 2.2 + 1_000, `took over after ${tookOver} ms`);
    await until('the new leader watches', () => api.openWatches === 2, 10_000);

    // rolling restart of the remaining two plus a new third: SIGTERM one, start its replacement, next
    const mark = api.requests.length;
    replicas.push(await startServe(api, leaseFlags));
    for (let i = 0; i < 2; i++) {
      const old = replicas.shift()!;
      if (i === 0) api.setStatus('batch/v1', 'Job', 'default', 'job-7', { succeeded: 1 }); // changes during the restart
      assert.equal(await old.stop(), 0);
      replicas.push(await startServe(api, leaseFlags));
    }
    await until('a replica leads again', () => replicas.filter(leads).length === 1 && holder() !== '', 10_000);
    await until('the changed app is refreshed', () => hardRefreshes(api, 'argocd', 'app-7').length >= 1, 10_000);
    // app-7 may be refreshed twice: by the leader that saw the change, then by the next one, since no generate (there is
    // no Argo CD here) has re-run it and its record still differs from the cluster; no other app is refreshed at all
    const patches = api.requests.slice(mark).filter((q) => q.method === 'PATCH' && q.path.includes('/applications/'));
    assert.deepEqual([...new Set(patches.map((q) => q.path.split('/').at(-1)))], ['app-7'], 'zero refreshes but for the one app whose Job changed');
    assert.ok(patches.length <= 2, `${patches.length} refreshes of app-7`);
    assert.equal(readyFailures, 0, '/readyz never failed');
  } finally {
    clearInterval(probe);
    for (const s of replicas) s.process.kill('SIGKILL');
  }
});
