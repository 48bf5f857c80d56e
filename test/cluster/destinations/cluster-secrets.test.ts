// Where Argo CD's cluster registrations are read from: only Secrets labelled argocd.argoproj.io/secret-type=cluster in the
// Argo CD namespace (util/settings/cluster_informer.go), and argocd-cm's cluster.inClusterEnabled (settings.go).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startApiServer, type FakeApiServer } from '../../support/apiserver.js';
import { clusterSecret } from '../../support/apiserver/clusters.js';
import { KubeHttp } from '../../../src/cluster/http.js';
import { loadKubeConfig } from '../../../src/cluster/kube.js';
import { clusterFromSecret } from '../../../src/cluster/destinations/argo-cluster.js';
import { inClusterEnabled, listClusterSecrets } from '../../../src/cluster/destinations/cluster-secrets.js';

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

test('cluster.inClusterEnabled: on unless exactly "false"', () => {
  const cm = (value?: string) => ({ metadata: { name: 'argocd-cm' }, data: value === undefined ? {} : { 'cluster.inClusterEnabled': value } });
  assert.equal(inClusterEnabled(undefined), true);
  assert.equal(inClusterEnabled(cm()), true);
  assert.equal(inClusterEnabled(cm('true')), true);
  assert.equal(inClusterEnabled(cm('False')), true, 'Argo CD compares with "false" exactly');
  assert.equal(inClusterEnabled(cm('false')), false);
});
