// A cluster Secret's `config` checked as client-go would check the rest.Config Argo CD builds from it
// (pkg/apis/application/v1alpha1/types.go ClusterConfig and RawRestConfig, v3.5.1).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clusterFromSecret, clusterLabel, parseClusterConfig, type ArgoCluster } from '../../../src/cluster/destinations/argo-cluster.js';
import { destinationOf } from '../../../src/cluster/destinations/application.js';
import { DestinationError } from '../../../src/cluster/destinations/errors.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

function cluster(config: unknown, name = 'prod'): ArgoCluster {
  return { name, server: 'https://prod.example.com', project: '', secret: 'argocd/cluster-prod', rawConfig: typeof config === 'string' ? config : JSON.stringify(config) };
}

function refused(config: unknown, pattern: RegExp): void {
  assert.throws(
    () => parseClusterConfig(cluster(config), 'Application argocd/app'),
    (error: unknown) => {
      assert.ok(error instanceof DestinationError);
      assert.match(error.message, /^Application argocd\/app: cluster "prod" \(https:\/\/prod\.example\.com\) /);
      assert.match(error.message, pattern);
      return true;
    },
  );
}

test('a Secret read from the API: base64 data decoded, trailing slashes dropped, name not defaulted', () => {
  const secret = { metadata: { name: 'c', namespace: 'argocd' }, data: { server: b64('https://prod.example.com//'), config: b64('{}'), project: b64('team-a') } };
  assert.deepEqual(clusterFromSecret(secret), { name: '', server: 'https://prod.example.com', project: 'team-a', secret: 'argocd/c', rawConfig: '{}' });
  assert.equal(clusterLabel(clusterFromSecret(secret)), 'cluster https://prod.example.com');
});

test('bearer token, basic auth and TLS fields are read; base64 data stays base64 for the KubeConfig', () => {
  const ca = b64('-----BEGIN CERTIFICATE-----\n');
  assert.deepEqual(parseClusterConfig(cluster({ bearerToken: 't', tlsClientConfig: { insecure: false, serverName: 'api.internal', caData: ca } }), 'x'), {
    bearerToken: 't',
    insecure: false,
    serverName: 'api.internal',
    caData: ca,
  });
  assert.deepEqual(parseClusterConfig(cluster({ username: 'u', password: 'p', tlsClientConfig: { insecure: true } }), 'x'), { username: 'u', password: 'p', insecure: true });
  assert.deepEqual(parseClusterConfig(cluster(''), 'x'), { insecure: false }, 'an empty config (an in-cluster Secret) has no credentials');
});

test('exec takes precedence over a bearer token, as in RawRestConfig', () => {
  const parsed = parseClusterConfig(cluster({ bearerToken: 'ignored', execProviderConfig: { command: 'kubelogin', args: ['get-token'], apiVersion: 'client.authentication.k8s.io/v1beta1' } }), 'x');
  assert.equal(parsed.bearerToken, undefined);
  assert.deepEqual(parsed.exec, { command: 'kubelogin', args: ['get-token'], env: {}, apiVersion: 'client.authentication.k8s.io/v1beta1', provideClusterInfo: false });
});

test('configs client-go would refuse are malformed, with the field named', () => {
  refused('{"bearerToken":', /malformed config in Secret argocd\/cluster-prod: not JSON/);
  refused([], /must be a JSON object/);
  refused({ bearerToken: 't', username: 'u', password: 'p' }, /username\/password and bearerToken are both set/);
  refused({ tlsClientConfig: { insecure: true, caData: b64('ca') } }, /insecure is true and caData is set/);
  refused({ tlsClientConfig: { certData: b64('cert') } }, /needs both certData and keyData/);
  refused({ tlsClientConfig: { caData: 'not base64!' } }, /tlsClientConfig\.caData is not base64/);
  refused({ tlsClientConfig: { insecure: 'yes' } }, /tlsClientConfig\.insecure must be true or false/);
  refused({ bearerToken: 42 }, /bearerToken must be a string/);
  refused({ execProviderConfig: { args: ['x'], apiVersion: 'client.authentication.k8s.io/v1' } }, /execProviderConfig\.command is empty/);
  refused({ execProviderConfig: { command: 'p' } }, /execProviderConfig\.apiVersion "" is not one of/);
  refused({ execProviderConfig: { command: 'p', apiVersion: 'client.authentication.k8s.io/v1alpha1' } }, /apiVersion "client\.authentication\.k8s\.io\/v1alpha1"/);
  refused({ execProviderConfig: { command: 'p', apiVersion: 'client.authentication.k8s.io/v1', env: { A: 1 } } }, /execProviderConfig\.env must be a map of strings/);
});

test('awsAuthConfig is refused even beside an exec provider (it comes first in RawRestConfig)', () => {
  refused({ awsAuthConfig: { clusterName: 'eks' }, execProviderConfig: { command: 'p', apiVersion: 'client.authentication.k8s.io/v1' } }, /uses awsAuthConfig/);
});

test('spec.destination: the same field for multi-source Apps; trailing slashes dropped; a non-string is refused', () => {
  const app = (destination: unknown) => ({ metadata: { name: 'a', namespace: 'argocd' }, spec: { sources: [{ repoURL: 'r' }, { repoURL: 's' }], destination } });
  assert.deepEqual(destinationOf(app({ server: 'https://x/', namespace: 'team' })), { server: 'https://x', name: '', namespace: 'team' });
  assert.throws(() => destinationOf(app({ name: 7 })), /^DestinationError: Application argocd\/a: spec\.destination\.name must be a string$/);
  assert.throws(() => destinationOf(app(undefined)), /spec\.destination is missing/);
});
