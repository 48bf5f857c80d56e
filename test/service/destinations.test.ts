// Issue 14, generate side: lookups read the Application's destination cluster, resolved by `jetway serve` (the only
// holder of credentials) from Argo CD's cluster Secrets, under the app's AppProject. Two fake API servers (hub and remote,
// distinct CAs and tokens), the real plugin.yaml in the cmp-server imitation, a real `jetway serve`
// (../shared/argocd-contract.md: cluster Secrets, spec.destination by server or name, AppProject destinations).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, beforeEach, test } from 'node:test';
import type { KubeObject } from '../../src/cluster/types.js';
import { makeCrd } from '../support/apiserver/discovery.js';
import { application, bearerConfig, registerCluster, startHubAndRemote, type HubAndRemote } from '../support/apiserver/clusters.js';
import type { FakeApiServer } from '../support/apiserver.js';
import { flightPath } from '../support/flights.js';
import { jetwayLine, startSidecar, tenantApp, type Sidecar } from '../support/sidecar.js';
import { watModule } from '../support/wat.js';
import { until } from '../refresher/support.js';

let clusters: HubAndRemote;
let hub: FakeApiServer;
let remote: FakeApiServer;
let sidecar: Sidecar;
let unscoped: Sidecar;

const readAll = [{ verbs: ['get', 'list', 'watch'], apiGroups: ['*'], resources: ['*'] }];

/** The lookup flight (yokecd's): prints the object named by its input, so the output says which cluster it read. */
function lookupApp(name: string, namespace: string): ReturnType<typeof tenantApp> {
  return tenantApp(
    name,
    'lookup',
    [
      { name: 'wasm', string: 'lookup.wasm.gz' },
      { name: 'clusterAccess', string: 'true' },
      { name: 'resourceMatchers', array: [`${namespace}/ConfigMap:settings`] },
      { name: 'input', string: JSON.stringify({ Name: 'settings', Namespace: namespace, Kind: 'ConfigMap', ApiVersion: 'v1' }) },
    ],
    'team',
  );
}

/** Which cluster's ConfigMap a generate emitted. */
const clusterOf = (manifests: Record<string, unknown>[]) => manifests.map((m) => ((m as KubeObject)['data'] as Record<string, string> | undefined)?.['cluster']);

/**
 * The flight's lookups an API server received: GETs of the ConfigMap by name. (Watches are the refresher's, which follows
 * the run records' destination: issue 14's refresher side.)
 */
const lookups = (api: FakeApiServer) => api.requests.filter((r) => r.method === 'GET' && /\/configmaps\/settings$/.test(r.path));

function registerRemote(token: string, config?: Record<string, unknown>): void {
  registerCluster(hub, { secretName: 'cluster-remote', name: 'remote', server: remote.url, config: config ?? bearerConfig(token, remote.ca) });
}

/** The Application on the hub (serve reads its destination) for an app the repo-server generates. */
function putApplication(name: string, destination: { server?: string; name?: string }, project = 'default'): void {
  hub.put(application(name, { ...destination, namespace: 'team' }, project));
}

before(async () => {
  clusters = await startHubAndRemote();
  ({ hub, remote } = clusters);
  hub.put(makeCrd({ group: 'argoproj.io', kind: 'AppProject', plural: 'appprojects', singular: 'appproject', versions: ['v1alpha1'] }));
  hub.put({ apiVersion: 'argoproj.io/v1alpha1', kind: 'AppProject', metadata: { name: 'default', namespace: 'argocd' }, spec: { destinations: [{ namespace: '*', server: '*' }] } });
  // `narrow` deploys only to namespace team, on any cluster
  hub.put({ apiVersion: 'argoproj.io/v1alpha1', kind: 'AppProject', metadata: { name: 'narrow', namespace: 'argocd' }, spec: { destinations: [{ namespace: 'team', server: '*' }] } });
  for (const api of [hub, remote]) {
    for (const ns of ['team', 'other']) {
      api.ns(ns);
      // the same name on both clusters, with different content: the output says which one a lookup read
      api.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: ns }, data: { cluster: api === hub ? 'hub' : 'remote' } });
    }
  }
  // another replica holds the refresher's Lease: these serves only generate, so every request for the ConfigMap is a
  // flight's lookup (the refresher's watches and reads per destination are issue 14's refresher side)
  const now = new Date().toISOString().replace(/\.\d+Z$/, '.000000Z');
  hub.put({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: 'jetway-refresher', namespace: 'argocd' },
    spec: { holderIdentity: 'another-replica', leaseDurationSeconds: 3600, acquireTime: now, renewTime: now, leaseTransitions: 0 },
  });
  const files = { 'lookup/lookup.wasm.gz': readFileSync(flightPath('lookup')) };
  sidecar = await startSidecar(files, {}, { api: hub });
  unscoped = await startSidecar(files, { JETWAY_PROJECT_SCOPE: 'off' }, { api: hub });
});

after(async () => {
  await Promise.all([sidecar?.close(), unscoped?.close()]);
  await clusters?.close();
});

beforeEach(() => {
  remote.addToken('remote-token-1', readAll, 'system:serviceaccount:kube-system:argocd-manager');
  registerRemote('remote-token-1');
});

test('an Application destined to the remote cluster, by server and by name: every lookup reads the remote, none the hub', async () => {
  putApplication('by-server', { server: remote.url });
  putApplication('by-name', { name: 'remote' });
  hub.clearRequests();
  remote.clearRequests();
  assert.deepEqual(clusterOf(await sidecar.generate(lookupApp('by-server', 'team'))), ['remote']);
  assert.deepEqual(clusterOf(await sidecar.generate(lookupApp('by-name', 'team'))), ['remote']);
  assert.equal(lookups(hub).length, 0, 'no lookup reached the hub');
  assert.deepEqual([...new Set(lookups(remote).map((r) => r.token))], ['remote-token-1'], "the remote was read with the cluster Secret's token");
});

test("the cluster Secret's token rotated between generates is used by the next one, without a restart", async () => {
  putApplication('rotating', { server: remote.url });
  assert.deepEqual(clusterOf(await sidecar.generate(lookupApp('rotating', 'team'))), ['remote']);
  remote.addToken('remote-token-2', readAll, 'system:serviceaccount:kube-system:argocd-manager');
  remote.removeToken('remote-token-1');
  registerRemote('remote-token-2');
  remote.clearRequests();
  assert.deepEqual(clusterOf(await sidecar.generate(lookupApp('rotating', 'team'))), ['remote']);
  assert.deepEqual([...new Set(lookups(remote).map((r) => r.token))], ['remote-token-2']);
});

test("an in-cluster app beside the remote one reads the hub, with serve's own credentials", async () => {
  putApplication('local', { server: 'https://kubernetes.default.svc' });
  putApplication('far', { server: remote.url });
  remote.clearRequests();
  hub.clearRequests();
  const [local, far] = await Promise.all([sidecar.generate(lookupApp('local', 'team')), sidecar.generate(lookupApp('far', 'team'))]);
  assert.deepEqual(clusterOf(local), ['hub']);
  assert.deepEqual(clusterOf(far), ['remote']);
  assert.deepEqual([...new Set(lookups(hub).map((r) => r.token))], [hub.adminToken]);
  assert.deepEqual([...new Set(lookups(remote).map((r) => r.token))], ['remote-token-1']);
});

test("the run records carry the destination each run's lookups read", async () => {
  putApplication('recorded-far', { server: remote.url });
  putApplication('recorded-local', { name: 'in-cluster' });
  await sidecar.generate(lookupApp('recorded-far', 'team'));
  await sidecar.generate(lookupApp('recorded-local', 'team'));
  const destination = async (name: string) => {
    for (;;) {
      const record = hub.get('jetway.dev/v1alpha1', 'RunRecord', 'argocd', name);
      if (record) return (record['spec'] as Record<string, unknown>)['destination'];
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  assert.equal(await destination('recorded-far'), remote.url);
  assert.equal(await destination('recorded-local'), 'https://kubernetes.default.svc');
});

test("generate in the plugin container (serve declines the whole generate): a failed run's record still names the destination it read", async () => {
  putApplication('failed-far', { server: remote.url }, 'narrow');
  // a policy setting that differs between the containers: serve declines the whole generate, the flight runs over POST /v1/run
  const declined = sidecar.withEnv({ JETWAY_MAX_MEMORY_MIB: '512' });
  await assert.rejects(declined.generate(lookupApp('failed-far', 'other')), (error: unknown) => {
    assert.match(jetwayLine(error), /^jetway: generate for Application failed-far failed: flight exited with code 1\n/);
    assert.match(String(error), /AppProject "narrow" does not permit namespace "other" on cluster "remote"/);
    return true;
  });
  assert.ok(
    sidecar.serve!.logs.some((l) => l['msg'] === 'generate left to the plugin container' && String(l['reason']).startsWith('JETWAY_MAX_MEMORY_MIB differs')),
    'the whole generate was declined',
  );
  const spec = () => hub.get('jetway.dev/v1alpha1', 'RunRecord', 'argocd', 'failed-far')?.['spec'] as Record<string, unknown> | undefined;
  await until('the failed run is recorded', () => spec()?.['outcome'] === 'failed', 10_000);
  assert.equal(spec()?.['destination'], remote.url);
});

test("a lookup outside the AppProject's destinations is Forbidden naming the project; with JETWAY_PROJECT_SCOPE=off it passes", async () => {
  putApplication('scoped', { server: remote.url }, 'narrow');
  assert.deepEqual(clusterOf(await sidecar.generate(lookupApp('scoped', 'team'))), ['remote'], 'inside the project');
  await assert.rejects(sidecar.generate(lookupApp('scoped', 'other')), (error: unknown) => {
    assert.match(String(error), /AppProject "narrow" does not permit namespace "other" on cluster "remote"/);
    assert.match(jetwayLine(error), /^jetway: generate for Application scoped failed/);
    return true;
  });
  assert.deepEqual(clusterOf(await unscoped.generate(lookupApp('scoped', 'other'))), ['remote'], "yoke's policy exactly");
});

test('an unsupported auth kind and an unreachable cluster each fail with one line naming the cluster', async () => {
  putApplication('aws', { server: remote.url });
  registerRemote('', { awsAuthConfig: { clusterName: 'prod', roleARN: 'arn:aws:iam::1:role/x' } });
  await assert.rejects(sidecar.generate(lookupApp('aws', 'team')), (error: unknown) => {
    const line = jetwayLine(error);
    assert.match(line, /^jetway: generate for Application aws failed: .*cluster "remote" \(https:\/\/127\.0\.0\.1:\d+\) uses awsAuthConfig \(AWS IAM authentication\), which jetway does not support/);
    assert.doesNotMatch(line.trimEnd(), /\n/);
    return true;
  });
  registerCluster(hub, { secretName: 'cluster-gone', name: 'gone', server: 'https://127.0.0.1:9', config: bearerConfig('t', remote.ca) });
  putApplication('unreachable', { name: 'gone' });
  await assert.rejects(sidecar.generate(lookupApp('unreachable', 'team')), (error: unknown) => {
    const line = jetwayLine(error);
    assert.match(line, /^jetway: generate for Application unreachable failed: Application argocd\/unreachable: cluster "gone" \(https:\/\/127\.0\.0\.1:9\): /);
    assert.doesNotMatch(line.trimEnd(), /\n/);
    return true;
  });
});

test('argocd-cm disabling the in-cluster destination: an in-cluster app fails in one line naming the setting, reading nothing; a remote app still renders', async () => {
  // Argo CD v3.5.1 util/db/cluster.go GetCluster: `cluster "https://kubernetes.default.svc" is disabled`
  hub.put({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'argocd-cm', namespace: 'argocd', labels: { 'app.kubernetes.io/part-of': 'argocd' } },
    data: { 'cluster.inClusterEnabled': 'false' },
  });
  // its own serve: the others keep what they read of argocd-cm for 30 s
  const disabled = await startSidecar({ 'lookup/lookup.wasm.gz': readFileSync(flightPath('lookup')) }, {}, { api: hub });
  try {
    putApplication('hub-disabled', { server: 'https://kubernetes.default.svc' });
    putApplication('hub-disabled-by-name', { name: 'in-cluster' });
    putApplication('still-far', { server: remote.url });
    hub.clearRequests();
    await assert.rejects(disabled.generate(lookupApp('hub-disabled', 'team')), (error: unknown) => {
      const line = jetwayLine(error);
      assert.match(
        line,
        /^jetway: generate for Application hub-disabled failed: Application argocd\/hub-disabled: cluster "https:\/\/kubernetes\.default\.svc" is disabled: argocd-cm sets cluster\.inClusterEnabled: "false", .*set spec\.destination to a registered cluster, or remove that setting/,
      );
      assert.doesNotMatch(line.trimEnd(), /\n/);
      return true;
    });
    await assert.rejects(disabled.generate(lookupApp('hub-disabled-by-name', 'team')), (error: unknown) => {
      assert.match(jetwayLine(error), /there are no clusters with this name: in-cluster \(the in-cluster destination is disabled: argocd-cm sets cluster\.inClusterEnabled: "false"/);
      return true;
    });
    assert.equal(lookups(hub).length, 0, 'nothing was looked up on the disabled in-cluster destination');
    assert.deepEqual(clusterOf(await disabled.generate(lookupApp('still-far', 'team'))), ['remote']);
  } finally {
    hub.remove('v1', 'ConfigMap', 'argocd', 'argocd-cm');
    await disabled.close();
  }
});

test('with the service down, a clusterAccess generate fails with one line saying lookups need jetway serve; one without renders in the plugin container', async () => {
  const files = { 'lookup/lookup.wasm.gz': readFileSync(flightPath('lookup')), 'yaml/flight.wasm': await watModule('yaml-stages') };
  const alone = await startSidecar(files, { JETWAY_SOCKET: '/nonexistent/jetway.sock' });
  try {
    await assert.rejects(alone.generate(lookupApp('down', 'team')), (error: unknown) => {
      assert.match(jetwayLine(error), /^jetway: generate for Application down failed: lookups need jetway serve .* it did not take the request on JETWAY_SOCKET \/nonexistent\/jetway\.sock/);
      return true;
    });
    assert.ok((await alone.generate(tenantApp('stages', 'yaml', [{ name: 'wasm', string: 'flight.wasm' }], 'team'))).length > 0);
  } finally {
    await alone.close();
  }
});
