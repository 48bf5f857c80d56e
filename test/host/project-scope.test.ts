// AppProject-scoped lookups (issue 14 item 4): Argo CD v3.5.1's destination rules (app_project_types.go
// IsDestinationPermitted / isDestinationMatched) as a pure function, then through yoke's policy host against the fake API
// server: non-owned objects only where the project deploys, owned ones always, the admin switch JETWAY_PROJECT_SCOPE.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startApiServer, type FakeApiServer } from '../support/apiserver.js';
import { kubeCluster } from '../support/flights.js';
import type { KubeCluster } from '../../src/cluster/kube.js';
import { inClusterServer } from '../../src/cluster/destinations/argo-cluster.js';
import { createAccessHost } from '../../src/host/policy.js';
import { isDestinationPermitted, projectDenial, projectRules, type AppProjectRules, type ProjectScope } from '../../src/host/project-scope.js';
import { State } from '../../src/wasi/states.js';
import { readSettings, SettingError } from '../../src/settings/settings.js';

const remote = { name: 'prod-eu', server: 'https://prod-eu.example.com', project: '' };
const local = { name: 'in-cluster', server: inClusterServer, project: '' };

function project(spec: Record<string, unknown>, name = 'tenant'): AppProjectRules {
  return projectRules({ apiVersion: 'argoproj.io/v1alpha1', kind: 'AppProject', metadata: { name, namespace: 'argocd' }, spec });
}

test('destinations by server glob and namespace glob', () => {
  const p = project({ destinations: [{ server: 'https://*.example.com', namespace: 'team-*' }] });
  assert.equal(isDestinationPermitted(p, remote, 'team-a'), true);
  assert.equal(isDestinationPermitted(p, remote, 'other'), false);
  assert.equal(isDestinationPermitted(p, local, 'team-a'), false);
});

test('destinations by name; a server pattern does not match a cluster only by name', () => {
  const p = project({ destinations: [{ name: 'prod-*', namespace: '*' }] });
  assert.equal(isDestinationPermitted(p, remote, 'anything'), true);
  assert.equal(isDestinationPermitted(p, local, 'anything'), false);
});

test('`!` negation: a deny namespace entry refuses even when a later entry allows everything', () => {
  const p = project({
    destinations: [
      { server: '*', namespace: '!kube-system' },
      { server: '*', namespace: '*' },
    ],
  });
  assert.equal(isDestinationPermitted(p, remote, 'kube-system'), false);
  assert.equal(isDestinationPermitted(p, remote, 'team'), true);
  const byName = project({ destinations: [{ name: '!prod-*', namespace: '*' }] });
  assert.equal(isDestinationPermitted(byName, remote, 'team'), false);
  assert.equal(isDestinationPermitted(byName, { ...remote, name: 'staging' }, 'team'), true);
});

test('permitOnlyProjectScopedClusters: the cluster Secret must name the project', () => {
  const p = project({ destinations: [{ server: '*', namespace: '*' }], permitOnlyProjectScopedClusters: true });
  assert.equal(isDestinationPermitted(p, remote, 'team'), false);
  assert.equal(isDestinationPermitted(p, { ...remote, project: 'tenant' }, 'team'), true);
});

test("cluster-scoped objects: the app's destination must be permitted and the cluster resource lists allow the kind", () => {
  const scope = (spec: Record<string, unknown>): ProjectScope => ({ project: project({ destinations: [{ server: '*', namespace: 'team' }], ...spec }), cluster: remote, namespace: 'team' });
  const node = { group: '', kind: 'Node', namespace: '', name: 'n1' };
  assert.equal(projectDenial(scope({ clusterResourceWhitelist: [{ group: '*', kind: '*' }] }), node), undefined);
  assert.match(projectDenial(scope({}), node) ?? '', /^cannot read cluster-scoped Node n1: AppProject "tenant" does not permit Node in its cluster resources$/);
  assert.match(projectDenial(scope({ clusterResourceWhitelist: [{ group: '*', kind: '*' }], clusterResourceBlacklist: [{ group: '', kind: 'Node' }] }), node) ?? '', /does not permit Node/);
  assert.equal(
    projectDenial(scope({ clusterResourceWhitelist: [{ group: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'team-*' }] }), {
      group: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      namespace: '',
      name: 'team-view',
    }),
    undefined,
  );
  const elsewhere: ProjectScope = { ...scope({ clusterResourceWhitelist: [{ group: '*', kind: '*' }] }), namespace: 'other' };
  assert.match(projectDenial(elsewhere, node) ?? '', /does not permit the app's destination \(namespace "other" on cluster "prod-eu" \(https:\/\/prod-eu\.example\.com\)\)/);
});

test('a malformed AppProject is refused with its name', () => {
  assert.throws(() => project({ destinations: [{ server: 1 }] }), /^Error: AppProject "tenant": spec\.destinations\[0\]\.server must be a string$/);
  assert.throws(() => project({ destinations: 'x' }), /spec\.destinations must be a list of objects/);
});

test('JETWAY_PROJECT_SCOPE (read by serve): on by default, "off" turns it off, anything else is refused naming it', () => {
  assert.equal(readSettings({}, 'serve').projectScope, 'on');
  assert.equal(readSettings({ JETWAY_PROJECT_SCOPE: 'off' }, 'serve').projectScope, 'off');
  assert.equal(readSettings({ JETWAY_PROJECT_SCOPE: 'on' }, 'serve').projectScope, 'on');
  assert.throws(
    () => readSettings({ JETWAY_PROJECT_SCOPE: 'false' }, 'serve'),
    (e: unknown) => e instanceof SettingError && /JETWAY_PROJECT_SCOPE/.test(e.message),
  );
});

let api: FakeApiServer;
let cluster: KubeCluster;

before(async () => {
  api = await startApiServer();
  for (const ns of ['team', 'other']) api.ns(ns);
  const owned = { 'instance.atc.yoke.cd/release': 'app', 'instance.atc.yoke.cd/namespace': 'team' };
  api.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'shared', namespace: 'team' } });
  api.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'shared', namespace: 'other' } });
  api.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'mine', namespace: 'other', annotations: owned } });
  cluster = kubeCluster(api);
});

after(async () => {
  cluster.close();
  await api.close();
});

/** A lookup of ConfigMap `namespace/name` by release app in team, matchers `*`, scoped as JETWAY_PROJECT_SCOPE says. */
function lookup(namespace: string, name: string, env: NodeJS.ProcessEnv = {}, matchers = ['*']) {
  const scope: ProjectScope = { project: project({ destinations: [{ server: inClusterServer, namespace: 'team' }] }), cluster: local, namespace: 'team' };
  const host = createAccessHost({ cluster, release: 'app', namespace: 'team', matchers, project: readSettings(env, 'serve').projectScope === 'on' ? scope : undefined });
  return host.handle({ op: 'k8s_lookup', apiVersion: 'v1', kind: 'ConfigMap', namespace, name });
}

test('through the policy host: inside the project OK; outside Forbidden naming the project; owned objects stay readable', async () => {
  assert.equal((await lookup('team', 'shared')).state, State.OK);
  const outside = await lookup('other', 'shared');
  assert.equal(outside.state, State.Forbidden);
  assert.equal(outside.body, `cannot read ConfigMap other/shared: AppProject "tenant" does not permit namespace "other" on cluster "in-cluster" (${inClusterServer})`);
  assert.equal((await lookup('other', 'mine')).state, State.OK);
});

test('outside the project a missing object is Forbidden too (existence is not told); inside it is NotFound', async () => {
  assert.equal((await lookup('team', 'absent')).state, State.NotFound);
  const missing = await lookup('other', 'absent');
  assert.equal(missing.state, State.Forbidden);
  assert.match(missing.body, /AppProject "tenant"/);
});

test("the project narrows the matchers, never widens them: without a matching matcher yoke's own message stays", async () => {
  const answer = await lookup('team', 'shared', {}, ['other/ConfigMap']);
  assert.equal(answer.state, State.Forbidden);
  assert.match(answer.body, /cannot access resource outside of target release ownership/);
});

test('with JETWAY_PROJECT_SCOPE=off the same lookup passes (yoke-exact)', async () => {
  assert.equal((await lookup('other', 'shared', { JETWAY_PROJECT_SCOPE: 'off' })).state, State.OK);
  assert.equal((await lookup('other', 'absent', { JETWAY_PROJECT_SCOPE: 'off' })).state, State.NotFound);
});
