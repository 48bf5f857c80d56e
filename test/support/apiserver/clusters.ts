// Two fake API servers for multi-cluster tests: a hub (where Argo CD runs, with its namespace) and a remote with a CA and
// tokens of its own, plus the Argo CD cluster Secret that registers the remote on the hub (../shared/argocd-contract.md; Argo CD's
// declarative set-up: a Secret labelled argocd.argoproj.io/secret-type=cluster with name, server and config).

import type { KubeObject } from '../../../src/cluster/types.js';
import { newTlsMaterial, type TlsMaterial } from './certs.js';
import { startApiServer, type FakeApiServer } from './server.js';

export interface HubAndRemote {
  /** The Argo CD cluster: namespace `argocd`, admin token "admin-token", the process-wide CA. */
  hub: FakeApiServer;
  /** The destination: its own CA ("jetway-remote-ca"), admin token "remote-admin-token", no Argo CD CRD. */
  remote: FakeApiServer;
  close(): Promise<void>;
}

let remoteTls: TlsMaterial | undefined;

// A second CA for remotes, made once per process (openssl is slow); rotations ask newTlsMaterial for more.
function remoteCa(): TlsMaterial {
  remoteTls ??= newTlsMaterial('jetway-remote-ca');
  return remoteTls;
}

/** A remote cluster's API server: its own CA ("jetway-remote-ca"), admin token "remote-admin-token", no Argo CD CRD. */
export function startRemoteApiServer(namespaces?: string[]): Promise<FakeApiServer> {
  return startApiServer({ tls: remoteCa(), adminToken: 'remote-admin-token', argocd: false, ...(namespaces ? { namespaces } : {}) });
}

/** Starts a hub and a remote API server that trust nothing of each other. */
export async function startHubAndRemote(): Promise<HubAndRemote> {
  const hub = await startApiServer({ namespaces: ['default', 'kube-system', 'argocd'] });
  const remote = await startRemoteApiServer();
  return {
    hub,
    remote,
    close: async () => {
      await Promise.all([hub.close(), remote.close()]);
    },
  };
}

/** A cluster Secret's `config` (Argo CD's ClusterConfig JSON) for a bearer token trusted through `ca` (PEM). */
export function bearerConfig(token: string, ca: string): Record<string, unknown> {
  return { bearerToken: token, tlsClientConfig: { insecure: false, caData: Buffer.from(ca).toString('base64') } };
}

export interface ClusterSecretSpec {
  /** The Secret's name. */
  secretName: string;
  /** `data.name`; omitted when undefined (as a hand-written Secret may). */
  name?: string;
  server: string;
  /** The ClusterConfig object, or raw text to test malformed configs. */
  config: Record<string, unknown> | string;
  project?: string;
  namespace?: string;
}

/** The Secret that registers a cluster with Argo CD, written with stringData as Argo CD's docs show. */
export function clusterSecret(spec: ClusterSecretSpec): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: spec.secretName, namespace: spec.namespace ?? 'argocd', labels: { 'argocd.argoproj.io/secret-type': 'cluster' } },
    type: 'Opaque',
    stringData: {
      ...(spec.name === undefined ? {} : { name: spec.name }),
      server: spec.server,
      config: typeof spec.config === 'string' ? spec.config : JSON.stringify(spec.config),
      ...(spec.project ? { project: spec.project } : {}),
    },
  };
}

/** Registers (or re-registers: a rotation) a cluster on the hub; returns the stored Secret. */
export function registerCluster(hub: FakeApiServer, spec: ClusterSecretSpec): KubeObject {
  return hub.put(clusterSecret(spec));
}

/** An Argo CD Application on the hub naming its destination by `server` or `name`. */
export function application(name: string, destination: { server?: string; name?: string; namespace: string }, project = 'default'): KubeObject {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name, namespace: 'argocd' },
    spec: { project, destination, source: { repoURL: 'https://git.example.com/flights.git', path: name, plugin: { name: 'jetway' } } },
  };
}
