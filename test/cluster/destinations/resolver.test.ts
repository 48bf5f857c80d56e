// Destination resolution against two fake API servers (hub and remote, distinct CAs and tokens), as Argo CD v3.5.1 resolves
// spec.destination (util/argo/argo.go GetDestinationCluster, util/db/cluster.go), with lookups through the real policy host
// and the real client; issue 14 items 1 and 3 (rotation without a restart, one clear line naming the cluster).

import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { newTlsMaterial, type FakeApiServer } from '../../support/apiserver.js';
import { application, bearerConfig, registerCluster, startHubAndRemote, type HubAndRemote } from '../../support/apiserver/clusters.js';
import { KubeHttp } from '../../../src/cluster/http.js';
import { loadKubeConfig } from '../../../src/cluster/kube.js';
import { listClusterSecrets } from '../../../src/cluster/destinations/cluster-secrets.js';
import { DestinationError } from '../../../src/cluster/destinations/errors.js';
import { DestinationResolver, type ResolvedDestination, type ResolverOptions } from '../../../src/cluster/destinations/resolver.js';
import { createAccessHost } from '../../../src/host/policy.js';
import { State, type HostAnswer } from '../../../src/wasi/states.js';

let clusters: HubAndRemote;
let hub: FakeApiServer;
let remote: FakeApiServer;
let hubHttp: KubeHttp;
const resolvers: DestinationResolver[] = [];

const readAll = [{ verbs: ['get', 'list', 'watch'], apiGroups: ['*'], resources: ['*'] }];

beforeEach(async () => {
  clusters = await startHubAndRemote();
  ({ hub, remote } = clusters);
  hubHttp = new KubeHttp(loadKubeConfig({ kubeconfig: hub.kubeconfig() }));
  remote.addToken('remote-token-1', readAll, 'system:serviceaccount:kube-system:argocd-manager');
  for (const api of [hub, remote]) api.ns('team');
  // The same name on both clusters, with different content: a lookup must read the destination's.
  hub.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'team' }, data: { cluster: 'hub' } });
  remote.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'team' }, data: { cluster: 'remote' } });
});

afterEach(async () => {
  for (const r of resolvers.splice(0)) r.close();
  hubHttp.close();
  await clusters.close();
});

function resolver(options: Partial<ResolverOptions> = {}): DestinationResolver {
  const r = new DestinationResolver({
    secrets: listClusterSecrets(hubHttp, 'argocd'),
    inCluster: () => loadKubeConfig({ kubeconfig: hub.kubeconfig() }),
    timeoutMs: 2_000,
    ...options,
  });
  resolvers.push(r);
  return r;
}

function registerRemote(token = 'remote-token-1', extra: { name?: string; secretName?: string; ca?: string } = {}) {
  return registerCluster(hub, {
    secretName: extra.secretName ?? 'cluster-remote',
    name: extra.name ?? 'remote',
    server: remote.url,
    config: bearerConfig(token, extra.ca ?? remote.ca),
  });
}

/** Registers the remote as cluster "remote", verified by its CA, with credentials from an exec plugin (`execProviderConfig`). */
function registerRemoteExec(execProviderConfig: Record<string, unknown>) {
  return registerCluster(hub, {
    secretName: 'cluster-remote',
    name: 'remote',
    server: remote.url,
    config: { tlsClientConfig: { caData: Buffer.from(remote.ca).toString('base64') }, execProviderConfig },
  });
}

/** A lookup of ConfigMap team/settings through yoke's policy host on the resolved cluster. */
function lookupSettings(resolved: ResolvedDestination): Promise<HostAnswer> {
  const host = createAccessHost({ cluster: resolved.cluster, release: 'app', namespace: 'team', matchers: ['team/ConfigMap'] });
  return host.handle({ op: 'k8s_lookup', apiVersion: 'v1', kind: 'ConfigMap', namespace: 'team', name: 'settings' });
}

function seen(answer: HostAnswer): string {
  assert.equal(answer.state, State.OK, `expected OK, got ${answer.state}: ${answer.body}`);
  return (JSON.parse(answer.body) as { data: { cluster: string } }).data.cluster;
}

/** The requests an API server received for ConfigMaps (lookups), with the token each carried. */
const lookups = (api: FakeApiServer) => api.requests.filter((r) => r.path.includes('/configmaps'));

/** Expects a DestinationError whose message is one line matching every pattern. */
async function rejectsWithLine(promise: Promise<unknown>, ...patterns: RegExp[]): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof DestinationError, `expected a DestinationError, got ${String(error)}`);
    assert.doesNotMatch(error.message, /\n/);
    for (const p of patterns) assert.match(error.message, p);
    return true;
  });
}

test("a destination given by server reads the remote with the Secret's token and CA; the hub sees no lookup", async () => {
  assert.notEqual(remote.ca, hub.ca, 'the remote trusts nothing of the hub');
  registerRemote();
  const resolved = await resolver().resolve(application('pipeline', { server: `${remote.url}/`, namespace: 'team' }));
  assert.deepEqual(
    { name: resolved.name, server: resolved.server, inCluster: resolved.inCluster, key: resolved.key },
    {
      name: 'remote',
      server: remote.url,
      inCluster: false,
      key: 'argocd/cluster-remote',
    },
  );
  assert.equal(seen(await lookupSettings(resolved)), 'remote');
  assert.deepEqual(
    lookups(remote).map((r) => r.token),
    ['remote-token-1'],
  );
  assert.equal(lookups(hub).length, 0);
});

test('a destination given by name resolves to the Secret with that name', async () => {
  registerRemote();
  registerCluster(hub, { secretName: 'cluster-other', name: 'other', server: 'https://other.example.com', config: bearerConfig('x', remote.ca) });
  const resolved = await resolver().resolve(application('pipeline', { name: 'remote', namespace: 'team' }));
  assert.equal(resolved.server, remote.url);
  assert.equal(seen(await lookupSettings(resolved)), 'remote');
});

test('in-cluster, by server or by the name "in-cluster", uses the service\'s own credentials; disabled in argocd-cm it is refused', async () => {
  const r = resolver();
  for (const destination of [
    { server: 'https://kubernetes.default.svc', namespace: 'team' },
    { name: 'in-cluster', namespace: 'team' },
  ]) {
    const resolved = await r.resolve(application('local', destination));
    assert.equal(resolved.inCluster, true);
    assert.equal(resolved.name, 'in-cluster');
    assert.equal(seen(await lookupSettings(resolved)), 'hub');
  }
  assert.equal(lookups(remote).length, 0);
  assert.deepEqual(new Set(lookups(hub).map((r) => r.token)), new Set([hub.adminToken]));
  const off = resolver({ inClusterEnabled: async () => false });
  // Argo CD's words (util/db/cluster.go GetCluster, GetClusterServersByName), then the setting and what to change
  await rejectsWithLine(
    off.resolve(application('local', { server: 'https://kubernetes.default.svc', namespace: 'team' })),
    /^Application argocd\/local: cluster "https:\/\/kubernetes\.default\.svc" is disabled: argocd-cm sets cluster\.inClusterEnabled: "false", .*set spec\.destination to a registered cluster, or remove that setting$/,
  );
  await rejectsWithLine(
    off.resolve(application('local', { name: 'in-cluster', namespace: 'team' })),
    /no clusters with this name: in-cluster \(the in-cluster destination is disabled: argocd-cm sets cluster\.inClusterEnabled: "false"/,
  );
});

test('argocd-cm is consulted only when the in-cluster destination is involved; a failed read fails that app in one line', async () => {
  registerRemote();
  let reads = 0;
  const failing = resolver({
    inClusterEnabled: () => {
      reads++;
      return Promise.reject(new Error('cannot read ConfigMap argocd/argocd-cm to check cluster.inClusterEnabled (HTTP 403: forbidden)'));
    },
  });
  assert.equal((await failing.resolve(application('far', { server: remote.url, namespace: 'team' }))).server, remote.url);
  assert.equal((await failing.resolve(application('far', { name: 'remote', namespace: 'team' }))).server, remote.url);
  assert.equal(reads, 0, 'a remote destination never needs the in-cluster switch');
  await rejectsWithLine(
    failing.resolve(application('local', { server: 'https://kubernetes.default.svc', namespace: 'team' })),
    /^Application argocd\/local: cannot read ConfigMap argocd\/argocd-cm to check cluster\.inClusterEnabled/,
  );
  assert.equal(reads, 1);
});

test("an in-cluster Secret with a bearer token replaces the service account's token on the in-cluster client", async () => {
  hub.addToken('argocd-manager-token', readAll);
  registerCluster(hub, {
    secretName: 'cluster-local',
    name: 'in-cluster',
    server: 'https://kubernetes.default.svc',
    config: { bearerToken: 'argocd-manager-token', tlsClientConfig: { insecure: false } },
  });
  const resolved = await resolver().resolve(application('local', { name: 'in-cluster', namespace: 'team' }));
  assert.equal(resolved.inCluster, true);
  assert.equal(seen(await lookupSettings(resolved)), 'hub');
  assert.deepEqual(
    lookups(hub).map((r) => r.token),
    ['argocd-manager-token'],
  );
});

test('a rotated token is used by the next lookup without a restart; an unrelated edit of the Secret keeps the client', async () => {
  registerRemote('remote-token-1');
  const r = resolver();
  const app = application('pipeline', { server: remote.url, namespace: 'team' });
  const first = await r.resolve(app);
  assert.equal(seen(await lookupSettings(first)), 'remote');
  // A label edit bumps the resourceVersion but not the credentials: same client, same connections.
  hub.mutate('v1', 'Secret', 'argocd', 'cluster-remote', (s) => {
    s.metadata!.labels = { ...s.metadata!.labels, team: 'platform' };
  });
  assert.equal((await r.resolve(app)).cluster, first.cluster);
  // Rotation: the new token is granted, the Secret updated, the old token revoked.
  remote.addToken('remote-token-2', readAll);
  registerRemote('remote-token-2');
  remote.removeToken('remote-token-1');
  const second = await r.resolve(app);
  assert.notEqual(second.cluster, first.cluster);
  assert.notEqual(second.version, first.version);
  assert.equal(seen(await lookupSettings(second)), 'remote');
  assert.deepEqual(
    lookups(remote).map((q) => [q.token, q.status]),
    [
      ['remote-token-1', 200],
      ['remote-token-2', 200],
    ],
  );
  assert.equal(r.openClients, 2, 'the replaced client stays open for runs still using it');
});

test('a replaced client is closed once the retirement delay has passed', async () => {
  registerRemote('remote-token-1');
  const r = resolver({ retireAfterMs: 0 });
  const app = application('pipeline', { server: remote.url, namespace: 'team' });
  await lookupSettings(await r.resolve(app));
  remote.addToken('remote-token-2', readAll);
  registerRemote('remote-token-2');
  await r.resolve(app);
  // Waits on the condition (polling, bounded), never a fixed sleep.
  for (const deadline = Date.now() + 5_000; r.openClients > 1 && Date.now() < deadline;) await new Promise((resolve) => setTimeout(resolve, 5));
  assert.equal(r.openClients, 1);
});

test('a destination changed between runs: the next resolve follows it (remote, then in-cluster)', async () => {
  registerRemote();
  const r = resolver();
  assert.equal(seen(await lookupSettings(await r.resolve(application('pipeline', { name: 'remote', namespace: 'team' })))), 'remote');
  assert.equal(seen(await lookupSettings(await r.resolve(application('pipeline', { name: 'in-cluster', namespace: 'team' })))), 'hub');
  assert.equal(lookups(remote).length, 1);
  assert.equal(lookups(hub).length, 1);
});

test('a rotated CA: the old one fails with a line naming the cluster, the updated Secret is picked up by the next lookup', async () => {
  registerRemote();
  const r = resolver();
  const app = application('pipeline', { name: 'remote', namespace: 'team' });
  assert.equal(seen(await lookupSettings(await r.resolve(app))), 'remote');
  const rotated = newTlsMaterial('jetway-remote-ca-2');
  remote.useTls(rotated);
  const stale = await lookupSettings(await r.resolve(app));
  assert.equal(stale.state, State.Error);
  assert.match(stale.body, new RegExp(`^cluster "remote" \\(${remote.url.replace(/\./g, '\\.')}\\): .*cannot reach the API server`));
  assert.doesNotMatch(stale.body, /\n/);
  registerRemote('remote-token-1', { ca: rotated.ca });
  assert.equal(seen(await lookupSettings(await r.resolve(app))), 'remote');
});

test('an exec provider runs through client-node: env and KUBERNETES_EXEC_INFO reach the plugin, its token reaches the remote', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'jetway-exec-'));
  try {
    const plugin = join(dir, 'plugin.mjs');
    const infoFile = join(dir, 'exec-info.json');
    await writeFile(
      plugin,
      [
        "import { writeFileSync } from 'node:fs';",
        `writeFileSync(${JSON.stringify(infoFile)}, process.env.KUBERNETES_EXEC_INFO ?? '');`,
        "console.log(JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token: process.env.PLUGIN_TOKEN } }));",
      ].join('\n'),
    );
    await chmod(plugin, 0o755);
    remote.addToken('exec-token', readAll);
    registerRemoteExec({
      command: process.execPath,
      args: [plugin],
      env: { PLUGIN_TOKEN: 'exec-token' },
      apiVersion: 'client.authentication.k8s.io/v1',
      provideClusterInfo: true,
      config: { region: 'eu' },
    });
    const resolved = await resolver().resolve(application('pipeline', { name: 'remote', namespace: 'team' }));
    assert.equal(seen(await lookupSettings(resolved)), 'remote');
    assert.deepEqual(
      lookups(remote).map((q) => q.token),
      ['exec-token'],
    );
    const info = JSON.parse(await readFile(infoFile, 'utf8')) as { kind: string; spec: { interactive: boolean; cluster: { server: string; config: unknown } } };
    assert.equal(info.kind, 'ExecCredential');
    assert.equal(info.spec.interactive, false);
    assert.equal(info.spec.cluster.server, remote.url);
    assert.deepEqual(info.spec.cluster.config, { region: 'eu' });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("a failing exec plugin gives one line naming the cluster and the plugin's message", async () => {
  registerRemoteExec({ command: process.execPath, args: ['-e', "process.stderr.write('token expired, run login\\n'); process.exit(1)"], apiVersion: 'client.authentication.k8s.io/v1beta1' });
  const answer = await lookupSettings(await resolver().resolve(application('pipeline', { name: 'remote', namespace: 'team' })));
  assert.equal(answer.state, State.Error);
  assert.match(answer.body, /^cluster "remote" \(https:\/\/127\.0\.0\.1:\d+\): token expired, run login$/);
});

test('unsupported auth kinds end in one line naming the Application, the cluster and the kind', async () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ awsAuthConfig: { clusterName: 'prod', roleARN: 'arn:aws:iam::1:role/argocd' }, tlsClientConfig: {} }, /awsAuthConfig \(AWS IAM authentication\)/],
    [{ execProviderConfig: { command: 'argocd-k8s-auth', args: ['gcp'], apiVersion: 'client.authentication.k8s.io/v1beta1' } }, /GKE workload identity/],
    [{ execProviderConfig: { command: '/usr/local/bin/argocd-k8s-auth', args: ['azure'], apiVersion: 'client.authentication.k8s.io/v1beta1' } }, /Azure workload identity/],
    [{ bearerToken: 't', proxyUrl: 'http://proxy:3128' }, /proxyUrl/],
  ];
  for (const [config, kind] of cases) {
    registerCluster(hub, { secretName: 'cluster-remote', name: 'remote', server: remote.url, config });
    await rejectsWithLine(
      resolver().resolve(application('pipeline', { name: 'remote', namespace: 'team' })),
      /^Application argocd\/pipeline: cluster "remote" \(https:\/\/127\.0\.0\.1:\d+\) uses /,
      kind,
      /does not support/,
    );
  }
  assert.equal(lookups(remote).length, 0);
});

test('an unreachable cluster: the lookup answers Error with one line naming the cluster', async () => {
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port: p } = s.address() as { port: number };
      s.close(() => resolve(p));
    });
  });
  registerCluster(hub, { secretName: 'cluster-gone', name: 'gone', server: `https://127.0.0.1:${port}`, config: bearerConfig('t', remote.ca) });
  const answer = await lookupSettings(await resolver().resolve(application('pipeline', { name: 'gone', namespace: 'team' })));
  assert.equal(answer.state, State.Error);
  assert.match(answer.body, new RegExp(`^cluster "gone" \\(https://127\\.0\\.0\\.1:${port}\\): GET /api.*cannot reach the API server .*ECONNREFUSED`));
  assert.doesNotMatch(answer.body, /\n/);
});

test('no matching Secret, two Secrets with one name or one server, a malformed config: one line naming the Application and the cluster', async () => {
  const r = resolver();
  await rejectsWithLine(
    r.resolve(application('pipeline', { server: 'https://nowhere.example.com', namespace: 'team' })),
    /^Application argocd\/pipeline: cluster https:\/\/nowhere\.example\.com not found/,
  );
  await rejectsWithLine(r.resolve(application('pipeline', { name: 'nowhere', namespace: 'team' })), /^Application argocd\/pipeline: there are no clusters with this name: nowhere$/);
  registerRemote('remote-token-1', { secretName: 'cluster-a' });
  registerCluster(hub, { secretName: 'cluster-b', name: 'remote', server: 'https://elsewhere.example.com', config: bearerConfig('t', remote.ca) });
  await rejectsWithLine(r.resolve(application('pipeline', { name: 'remote', namespace: 'team' })), /there are 2 clusters with the same name: remote/, /argocd\/cluster-a/, /argocd\/cluster-b/);
  hub.remove('v1', 'Secret', 'argocd', 'cluster-b');
  registerRemote('remote-token-1', { secretName: 'cluster-c', name: 'remote-again' });
  await rejectsWithLine(r.resolve(application('pipeline', { server: remote.url, namespace: 'team' })), /is registered by 2 cluster Secrets \(argocd\/cluster-a, argocd\/cluster-c\)/);
  hub.remove('v1', 'Secret', 'argocd', 'cluster-c');
  registerCluster(hub, { secretName: 'cluster-a', name: 'remote', server: remote.url, config: '{"bearerToken": ' });
  await rejectsWithLine(
    r.resolve(application('pipeline', { name: 'remote', namespace: 'team' })),
    /^Application argocd\/pipeline: cluster "remote" \(https:\/\/127\.0\.0\.1:\d+\) has a malformed config in Secret argocd\/cluster-a: not JSON/,
  );
  await rejectsWithLine(r.resolve(application('pipeline', { name: 'remote', server: remote.url, namespace: 'team' })), /can't have both name and server defined/);
  await rejectsWithLine(r.resolve(application('pipeline', { namespace: 'team' })), /Destination server missing from app spec/);
});

test('a deleted cluster Secret: its client is retired and the destination no longer resolves', async () => {
  registerRemote();
  const r = resolver();
  const app = application('pipeline', { name: 'remote', namespace: 'team' });
  await r.resolve(app);
  assert.equal(r.openClients, 1);
  hub.remove('v1', 'Secret', 'argocd', 'cluster-remote');
  await rejectsWithLine(r.resolve(app), /no clusters with this name: remote/);
  r.close();
  assert.equal(r.openClients, 0);
});
