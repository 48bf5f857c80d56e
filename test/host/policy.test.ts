// The access policy for lookups (../shared/yoke-compat.md "The access policy for lookups" and "The host module"),
// host answers checked state by state against the fake API server through the real client.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { makeCrd, startApiServer, type FakeApiServer } from '../support/apiserver.js';
import { kubeCluster } from '../support/flights.js';
import type { KubeCluster } from '../../src/cluster/kube.js';
import type { KubeObject } from '../../src/cluster/types.js';
import { createAccessHost, type AccessOptions } from '../../src/host/policy.js';
import { State, type HostAnswer } from '../../src/wasi/states.js';

let api: FakeApiServer;
let cluster: KubeCluster;

const ownedBy = (release: string, namespace: string) => ({
  'instance.atc.yoke.cd/release': release,
  'instance.atc.yoke.cd/namespace': namespace,
});

before(async () => {
  api = await startApiServer();
  api.ns('team');
  // Owned by release "app" in namespace "team" (annotations), by the older labels, by the same release name in another namespace.
  api.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'mine', namespace: 'team', annotations: ownedBy('app', 'team') }, data: { k: 'v' } });
  api.put({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'old-style', namespace: 'team', labels: { 'app.kubernetes.io/yoke-release': 'app', 'app.kubernetes.io/yoke-release-namespace': 'team' } },
  });
  api.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'twin', namespace: 'team', annotations: ownedBy('app', 'elsewhere') } });
  // Unowned objects.
  api.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'foreign', namespace: 'team' }, data: { k: 'foreign' } });
  api.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'shared', namespace: 'default' } });
  api.put({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default' }, spec: { replicas: 1 } });
  api.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'retry-cm', namespace: 'team', annotations: ownedBy('app', 'team') } });
  cluster = kubeCluster(api);
});

after(async () => {
  cluster.close();
  await api.close();
});

function host(options: Partial<AccessOptions> = {}) {
  return createAccessHost({ cluster, release: 'app', namespace: 'team', matchers: [], ...options });
}

function lookup(access: ReturnType<typeof host>, name: string, namespace: string, kind = 'ConfigMap', apiVersion = 'v1'): Promise<HostAnswer> {
  return access.handle({ op: 'k8s_lookup', name, namespace, kind, apiVersion });
}

const outside = /cannot access resource outside of target release ownership/;

function object(answer: HostAnswer): KubeObject {
  assert.equal(answer.state, State.OK, `expected OK, got state ${answer.state}: ${answer.body}`);
  return JSON.parse(answer.body) as KubeObject;
}

const discoveryPaths = (from: number) => api.requests.slice(from).filter((r) => r.path === '/api' || r.path === '/apis' || /^\/apis?\/[^/]+(\/[^/]+)?$/.test(r.path));

// (1) no cluster access.
test('(1) without cluster access every call is FeatureNotGranted and nothing reaches the server', async () => {
  const before = api.requests.length;
  const access = createAccessHost({ cluster: undefined, release: 'app', namespace: 'team', matchers: ['*'] });
  assert.equal((await lookup(access, 'mine', 'team')).state, State.FeatureNotGranted);
  assert.equal((await access.handle({ op: 'k8s_rest_mapping', groupOrAPIVersion: 'apps/v1', kind: 'Deployment' })).state, State.FeatureNotGranted);
  assert.equal(api.requests.length, before);
  assert.deepEqual(access.refs(), []);
});

// (2)+(3) apiVersion and REST mapping.
test("(3) an unknown kind is Error with apimachinery's no-matches message, not NotFound", async () => {
  const answer = await lookup(host(), 'x', '', 'Widget', 'g.example.com/v1');
  assert.equal(answer.state, State.Error);
  assert.equal(answer.body, 'no matches for kind "Widget" in version "g.example.com/v1"');
  const badVersion = await lookup(host(), 'x', '', 'ConfigMap', 'a/b/c');
  assert.equal(badVersion.state, State.Error);
  assert.match(badVersion.body, /unexpected GroupVersion string: a\/b\/c/);
});

test('(3) a CRD created after the first lookup resolves on the next run; discovery refreshes a bounded number of times', async () => {
  const miss = await lookup(host(), 'g1', '', 'Gadget', 'gadgets.example.com/v1');
  assert.equal(miss.state, State.Error);
  assert.match(miss.body, /no matches for kind "Gadget"/);

  api.put(makeCrd({ group: 'gadgets.example.com', kind: 'Gadget' }));
  api.put({ apiVersion: 'gadgets.example.com/v1', kind: 'Gadget', metadata: { name: 'g1', namespace: 'team', annotations: ownedBy('app', 'team') }, spec: { size: 3 } });

  const mark = api.requests.length;
  const access = host();
  const found = object(await lookup(access, 'g1', '', 'Gadget', 'gadgets.example.com/v1'));
  assert.deepEqual(found['spec'], { size: 3 });
  // the refresh on the miss: /api + /apis once, then the group version's resource list
  assert.ok(
    discoveryPaths(mark).length <= 3,
    `discovery requests: ${discoveryPaths(mark)
      .map((r) => r.path)
      .join(' ')}`,
  );

  // known kinds now answer from cache: ten more lookups, no discovery at all
  const mark2 = api.requests.length;
  for (let i = 0; i < 10; i++) object(await lookup(access, 'g1', '', 'Gadget', 'gadgets.example.com/v1'));
  assert.equal(discoveryPaths(mark2).length, 0);

  // an unknown kind asked for repeatedly in one run refreshes discovery once, not once per call
  const mark3 = api.requests.length;
  for (let i = 0; i < 5; i++) assert.equal((await lookup(access, 'x', '', 'Nothing', 'gadgets.example.com/v1')).state, State.Error);
  assert.ok(api.requests.slice(mark3).filter((r) => r.path === '/apis').length <= 1, 'at most one /apis refresh');
});

// (4) jetway's deliberate difference.
test('(4) an empty namespace on a namespaced kind means the release namespace, not default', async () => {
  const mark = api.requests.length;
  const found = object(await lookup(host(), 'mine', ''));
  assert.equal(found.metadata?.namespace, 'team');
  const gets = api.requests
    .slice(mark)
    .filter((r) => r.path.endsWith('/configmaps/mine'))
    .map((r) => r.path);
  assert.deepEqual(gets, ['/api/v1/namespaces/team/configmaps/mine']);
});

test('(4) a cluster-scoped kind ignores the namespace', async () => {
  api.put({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'app-role', annotations: ownedBy('app', 'team') } });
  const mark = api.requests.length;
  object(await lookup(host(), 'app-role', 'team', 'ClusterRole', 'rbac.authorization.k8s.io/v1'));
  assert.ok(api.requests.slice(mark).some((r) => r.path === '/apis/rbac.authorization.k8s.io/v1/clusterroles/app-role'));
});

// (6) a 404 is NotFound before any ownership question.
test('(6) a missing object is NotFound even without ownership or matchers', async () => {
  const answer = await lookup(host(), 'not-there', 'default');
  assert.equal(answer.state, State.NotFound);
  assert.match(answer.body, /configmaps "not-there" not found/);
});

// (7)+(8) ownership.
test('(8) owned objects are readable: by annotations and by the older labels', async () => {
  assert.deepEqual(object(await lookup(host(), 'mine', 'team'))['data'], { k: 'v' });
  assert.equal(object(await lookup(host(), 'old-style', 'team')).metadata?.name, 'old-style');
});

test('(7) unowned objects, and the same release name in another namespace, are Forbidden without a matcher', async () => {
  for (const name of ['foreign', 'twin']) {
    const answer = await lookup(host(), name, 'team');
    assert.equal(answer.state, State.Forbidden, name);
    assert.match(answer.body, outside);
    assert.doesNotMatch(answer.body, /foreign/, 'the denied object is not leaked');
  }
});

test('(7) matcher forms [ns/]GroupKind[:name] with *', async () => {
  const cases: Array<[matcher: string, name: string, namespace: string, kind: string, apiVersion: string, allowed: boolean]> = [
    ['ConfigMap', 'shared', 'default', 'ConfigMap', 'v1', true],
    ['default/ConfigMap', 'shared', 'default', 'ConfigMap', 'v1', true],
    ['team/ConfigMap', 'shared', 'default', 'ConfigMap', 'v1', false],
    ['ConfigMap:shared', 'shared', 'default', 'ConfigMap', 'v1', true],
    ['ConfigMap:other', 'shared', 'default', 'ConfigMap', 'v1', false],
    ['default/ConfigMap:shared', 'shared', 'default', 'ConfigMap', 'v1', true],
    ['*/ConfigMap:*', 'shared', 'default', 'ConfigMap', 'v1', true],
    ['default/*', 'shared', 'default', 'ConfigMap', 'v1', true],
    ['default/*:shared', 'shared', 'default', 'ConfigMap', 'v1', true],
    ['*', 'shared', 'default', 'ConfigMap', 'v1', true],
    ['Configmap', 'shared', 'default', 'ConfigMap', 'v1', false],
    ['Secret', 'shared', 'default', 'ConfigMap', 'v1', false],
    ['Deployment.apps', 'web', 'default', 'Deployment', 'apps/v1', true],
    ['default/Deployment.apps:web', 'web', 'default', 'Deployment', 'apps/v1', true],
    ['Deployment', 'web', 'default', 'Deployment', 'apps/v1', false],
    ['ConfigMap', 'web', 'default', 'Deployment', 'apps/v1', false],
  ];
  for (const [matcher, name, namespace, kind, apiVersion, allowed] of cases) {
    const answer = await lookup(host({ matchers: [matcher] }), name, namespace, kind, apiVersion);
    assert.equal(answer.state, allowed ? State.OK : State.Forbidden, `matcher ${matcher} on ${namespace}/${kind}:${name}: ${answer.body}`);
  }
});

test('refs: owned, matched and missing are recorded with fingerprints only for found objects; Forbidden is not', async () => {
  const access = host({ matchers: ['default/ConfigMap:shared', 'team/ConfigMap:ghost'] });
  object(await lookup(access, 'mine', ''));
  object(await lookup(access, 'shared', 'default'));
  assert.equal((await lookup(access, 'ghost', 'team')).state, State.NotFound);
  assert.equal((await lookup(access, 'foreign', 'team')).state, State.Forbidden);
  const refs = access.refs().sort((a, b) => a.ref.localeCompare(b.ref));
  assert.deepEqual(
    refs.map((r) => [r.ref, r.access, r.resource, typeof r.fingerprint]),
    [
      ['default/ConfigMap:shared', 'matched', 'configmaps', 'string'],
      ['team/ConfigMap:ghost', 'missing', 'configmaps', 'undefined'],
      ['team/ConfigMap:mine', 'owned', 'configmaps', 'string'],
    ],
  );
  // a fingerprint follows the content: a changed object hashes differently
  const before = refs.find((r) => r.access === 'owned')!.fingerprint;
  api.mutate('v1', 'ConfigMap', 'team', 'mine', (o) => {
    o['data'] = { k: 'changed' };
  });
  const again = host();
  object(await lookup(again, 'mine', ''));
  assert.notEqual(again.refs()[0]!.fingerprint, before);
  api.mutate('v1', 'ConfigMap', 'team', 'mine', (o) => {
    o['data'] = { k: 'v' };
  });
});

test("the API server's 401 is Unauthenticated; its 403 (RBAC) is Forbidden with the server's message", async () => {
  const stranger = kubeCluster(api, 'nobody-knows-this-token');
  try {
    const answer = await lookup(host({ cluster: stranger }), 'mine', 'team');
    assert.equal(answer.state, State.Unauthenticated, answer.body);
  } finally {
    stranger.close();
  }
  api.addToken('cm-reader', [{ verbs: ['get'], apiGroups: [''], resources: ['configmaps'] }]);
  const reader = kubeCluster(api, 'cm-reader');
  try {
    object(await lookup(host({ cluster: reader }), 'mine', 'team'));
    const answer = await lookup(host({ cluster: reader, matchers: ['*'] }), 'db', 'team', 'Secret', 'v1');
    assert.equal(answer.state, State.Forbidden);
    assert.equal(answer.body, 'secrets "db" is forbidden: User "system:serviceaccount:jetway:jetway" cannot get resource "secrets" in API group "" in the namespace "team"');
  } finally {
    reader.close();
  }
});

test('a 500 twice then 200 is retried into success', async () => {
  object(await lookup(host(), 'retry-cm', 'team')); // discovery warm
  const path = '/api/v1/namespaces/team/configmaps/retry-cm';
  const fault = api.fail({ method: 'GET', pathPrefix: path, times: 2 }, { status: 500, message: 'etcd hiccup' });
  const mark = api.requests.length;
  object(await lookup(host(), 'retry-cm', 'team'));
  assert.equal(fault.hits, 2);
  assert.equal(api.requests.slice(mark).filter((r) => r.path === path).length, 3);
});

test('a persistent 500 is Error, never NotFound', async () => {
  const path = '/api/v1/namespaces/team/configmaps/retry-cm';
  const fault = api.fail({ method: 'GET', pathPrefix: path, times: Infinity }, { status: 500, message: 'etcd is down' });
  try {
    const mark = api.requests.length;
    const answer = await lookup(host(), 'retry-cm', 'team');
    assert.equal(answer.state, State.Error);
    assert.match(answer.body, /500/);
    assert.match(answer.body, /etcd is down/);
    const attempts = api.requests.slice(mark).filter((r) => r.path === path).length;
    assert.ok(attempts >= 2 && attempts <= 5, `bounded retries, got ${attempts}`);
  } finally {
    fault.cancel();
  }
});

test('a hanging API server is an Error within the per-call timeout', async () => {
  const quick = kubeCluster(api, undefined, 300);
  const path = '/api/v1/namespaces/team/configmaps/retry-cm';
  try {
    object(await lookup(host({ cluster: quick }), 'retry-cm', 'team')); // discovery warm on this client
    const fault = api.fail({ method: 'GET', pathPrefix: path, times: Infinity }, { hang: true });
    const started = Date.now();
    try {
      const answer = await lookup(host({ cluster: quick }), 'retry-cm', 'team');
      assert.equal(answer.state, State.Error);
      assert.match(answer.body, /no answer within 300 ms/);
    } finally {
      fault.cancel();
    }
    // every attempt is cut at 300 ms: far less than the 10 s default per call
    assert.ok(Date.now() - started < 6000, `took ${Date.now() - started} ms`);
  } finally {
    quick.close();
  }
});

test('a name or namespace that is not one path segment is refused as Error without any request', async () => {
  object(await lookup(host(), 'mine', 'team')); // discovery warm
  const mark = api.requests.length;
  for (const [name, namespace] of [
    ['a/b', 'team'],
    ['..', 'team'],
    ['.', 'team'],
    ['mine', '../default'],
    ['..%2fsecrets', 'team'],
    ['', 'team'],
  ] as const) {
    const answer = await lookup(host({ matchers: ['*'] }), name, namespace);
    assert.equal(answer.state, State.Error, `${namespace}/${name}`);
  }
  assert.deepEqual(
    api.requests.slice(mark).map((r) => r.path),
    [],
  );
});

test('the admin ceiling narrows matchers but never owned objects', async () => {
  const access = host({ matchers: ['ConfigMap'], lookupCeiling: ['default/ConfigMap:shared'] });
  object(await lookup(access, 'shared', 'default'));
  const foreign = await lookup(access, 'foreign', 'team');
  assert.equal(foreign.state, State.Forbidden);
  assert.match(foreign.body, outside);
  object(await lookup(access, 'mine', 'team'));
  // the ceiling opens nothing by itself
  const noMatcher = await lookup(host({ lookupCeiling: ['*'] }), 'shared', 'default');
  assert.equal(noMatcher.state, State.Forbidden);
});

test('k8s_rest_mapping: needs access but no ownership; "v1" is read as a group, core needs "" or "/v1"', async () => {
  const access = host();
  const mapped = await access.handle({ op: 'k8s_rest_mapping', groupOrAPIVersion: 'apps', kind: 'Deployment' });
  assert.deepEqual(JSON.parse(mapped.body), { Group: 'apps', Version: 'v1', Kind: 'Deployment', Resource: 'deployments', Namespaced: true });
  for (const core of ['', '/v1']) {
    const answer = await access.handle({ op: 'k8s_rest_mapping', groupOrAPIVersion: core, kind: 'Secret' });
    assert.deepEqual(JSON.parse(answer.body), { Group: '', Version: 'v1', Kind: 'Secret', Resource: 'secrets', Namespaced: true });
  }
  const asGroup = await access.handle({ op: 'k8s_rest_mapping', groupOrAPIVersion: 'v1', kind: 'Secret' });
  assert.equal(asGroup.state, State.Error);
  assert.equal(asGroup.body, 'no matches for kind "Secret" in group "v1"');
  assert.deepEqual(access.refs(), []);
});
