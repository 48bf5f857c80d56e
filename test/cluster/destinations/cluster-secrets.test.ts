// Where Argo CD's cluster registrations are read from: only Secrets labelled argocd.argoproj.io/secret-type=cluster in the
// Argo CD namespace (util/settings/cluster_informer.go), and argocd-cm's cluster.inClusterEnabled (settings.go).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startApiServer, type FakeApiServer } from '../../support/apiserver.js';
import { clusterSecret } from '../../support/apiserver/clusters.js';
import { KubeHttp } from '../../../src/cluster/http.js';
import { loadKubeConfig } from '../../../src/cluster/kube.js';
import { clusterFromSecret } from '../../../src/cluster/destinations/argo-cluster.js';
import { inClusterEnabled, listClusterSecrets, readInClusterSetting } from '../../../src/cluster/destinations/cluster-secrets.js';

let api: FakeApiServer;
let http: KubeHttp;

before(async () => {
  api = await startApiServer({ namespaces: ['default', 'argocd', 'team'] });
  http = new KubeHttp(loadKubeConfig({ kubeconfig: api.kubeconfig() }));
});

after(async () => {
  http.close();
  await api.close();
});

test('only labelled Secrets of the Argo CD namespace register clusters', async () => {
  api.put(clusterSecret({ secretName: 'registered', name: 'prod', server: 'https://prod.example.com', config: {} }));
  api.put(clusterSecret({ secretName: 'elsewhere', name: 'prod', server: 'https://prod.example.com', config: {}, namespace: 'team' }));
  const unlabelled = clusterSecret({ secretName: 'unlabelled', name: 'prod', server: 'https://prod.example.com', config: {} });
  delete unlabelled.metadata!.labels;
  api.put(unlabelled);
  const found = (await listClusterSecrets(http, 'argocd')()).map((s) => clusterFromSecret(s).secret);
  assert.deepEqual(found, ['argocd/registered']);
});

/** argocd-cm as Argo CD's install writes it (labelled app.kubernetes.io/part-of: argocd), with the switch when given. */
const argocdCm = (value?: string) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'argocd-cm', namespace: 'argocd', labels: { 'app.kubernetes.io/part-of': 'argocd' } },
  data: value === undefined ? {} : { 'cluster.inClusterEnabled': value },
});

test('cluster.inClusterEnabled: on unless exactly "false"', () => {
  const cm = argocdCm;
  assert.equal(inClusterEnabled(undefined), true);
  assert.equal(inClusterEnabled(cm()), true);
  assert.equal(inClusterEnabled(cm('true')), true);
  assert.equal(inClusterEnabled(cm('False')), true, 'Argo CD compares with "false" exactly');
  assert.equal(inClusterEnabled(cm('false')), false);
});

test("argocd-cm without the label app.kubernetes.io/part-of: argocd is not seen, as by Argo CD's settings informer", () => {
  const unlabelled = argocdCm('false');
  delete (unlabelled.metadata as { labels?: unknown }).labels;
  assert.equal(inClusterEnabled(unlabelled), true);
});

test('readInClusterSetting: one GET of argocd-cm kept for its TTL (shared by concurrent callers), read again after it; no argocd-cm is on', async () => {
  let now = 0;
  const read = readInClusterSetting(http, 'argocd', { ttlMs: 30_000, now: () => now });
  const gets = () => api.requests.filter((r) => r.path === '/api/v1/namespaces/argocd/configmaps/argocd-cm').length;
  api.remove('v1', 'ConfigMap', 'argocd', 'argocd-cm');
  api.clearRequests();
  assert.equal(await read(), true, "no argocd-cm: Argo CD's default");
  api.put(argocdCm('false'));
  assert.deepEqual(await Promise.all([read(), read()]), [true, true], 'within the TTL the value read stays');
  assert.equal(gets(), 1);
  now = 30_000;
  assert.deepEqual(await Promise.all([read(), read()]), [false, false], 'after the TTL argocd-cm is read again, once');
  assert.equal(gets(), 2);
  api.remove('v1', 'ConfigMap', 'argocd', 'argocd-cm');
});

test('readInClusterSetting: a forbidden read fails (closed) with a line naming the ConfigMap, the setting and the grant, and is not kept', async () => {
  api.addToken('no-configmaps', [{ verbs: ['list'], apiGroups: [''], resources: ['secrets'], namespaces: ['argocd'] }], 'system:serviceaccount:argocd:argocd-repo-server');
  const limited = new KubeHttp(loadKubeConfig({ kubeconfig: api.kubeconfig('no-configmaps') }));
  try {
    const read = readInClusterSetting(limited, 'argocd', { now: () => 0 });
    const line =
      /^cannot read ConfigMap argocd\/argocd-cm to check cluster\.inClusterEnabled \(HTTP 403: configmaps "argocd-cm" is forbidden: .*\); jetway serve needs get on it \(Role jetway-appprojects, deploy\/rbac\.yaml\)$/;
    await assert.rejects(read(), { message: line });
    api.addToken(
      'no-configmaps',
      [{ verbs: ['get'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['argocd-cm'], namespaces: ['argocd'] }],
      'system:serviceaccount:argocd:argocd-repo-server',
    );
    api.put(argocdCm('false'));
    assert.equal(await read(), false, 'the failure was not cached: the grant works at the next call');
  } finally {
    limited.close();
    api.remove('v1', 'ConfigMap', 'argocd', 'argocd-cm');
  }
});
