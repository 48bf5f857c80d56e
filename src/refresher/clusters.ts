// The clients the refresher watches and reads through, per destination cluster (a run record's `destination`): the cluster
// jetway runs in or one registered with Argo CD, resolved as the run's lookups were, and read again when its client fails.

import { inClusterServer } from '../cluster/destinations/argo-cluster.js';
import type { DestinationResolver } from '../cluster/destinations/resolver.js';
import type { KubeHttp } from '../cluster/http.js';
import type { Clock } from './clock.js';

/** '' is the cluster jetway (and Argo CD) runs in; anything else is a registered cluster's server URL. */
export type ClusterId = string;

/** Where the refresher's watches and reads for one destination cluster go. */
export interface ClusterClients {
  /** The client for `cluster` now; rejects, naming the cluster, when it is not registered or its registration is unusable. */
  http(cluster: ClusterId): Promise<KubeHttp>;
  /** A request to `cluster` failed: its next use reads its registration again (a rotated token or CA is picked up then). */
  failed(cluster: ClusterId): void;
  /** How the cluster is named in messages and Events. */
  label(cluster: ClusterId): string;
}

/** The cluster a run record's lookups read: '' for the in-cluster destination, however it was written. */
export function clusterOf(destination: string | undefined): ClusterId {
  const server = (destination ?? '').replace(/\/+$/, '');
  return server === inClusterServer ? '' : server;
}

/** Only the cluster jetway runs in: records naming another destination cannot be watched (tests, and a service without a resolver). */
export function inClusterOnly(http: KubeHttp): ClusterClients {
  return {
    http: async (cluster) => {
      if (cluster === '') return http;
      throw new Error(`cluster ${cluster}: jetway has no credentials for clusters other than its own here`);
    },
    failed: () => {},
    label: (cluster) => (cluster === '' ? 'the in-cluster destination' : `cluster ${cluster}`),
  };
}

export interface DestinationClientsOptions {
  resolver: Pick<DestinationResolver, 'resolveServer'>;
  clock: Clock;
  /** A cluster's client is used this long before its registration is read again at its next use; default 60 s. */
  recheckMs?: number;
}

interface Entry {
  client: Promise<KubeHttp>;
  at: number;
}

/**
 * Clients for destination clusters through the DestinationResolver (which keeps one client per Secret version), the
 * in-cluster one included: like Argo CD (and like the run's lookups), watches of https://kubernetes.default.svc use the
 * token or basic credentials of a cluster Secret registering that server when there is one, else serve's own
 * ServiceAccount, and the in-cluster destination disabled in argocd-cm is not watched.
 *
 * Why reads on failure, and not a watch of the cluster Secrets: a rotated token or CA is only noticed when the old one stops
 * working, which is a 401 or a TLS failure on the next request; reading the registration again then (one LIST of the
 * cluster Secrets on the hub) picks up the new credentials at once, holds no credentials of clusters no record uses, and
 * needs no standing watch of Secret contents. A registration is also read again at the first use after `recheckMs`
 * (a watch reconnecting, an object read), so a deleted cluster Secret or a rotation made ahead of revocation is seen then.
 */
export class DestinationClients implements ClusterClients {
  private readonly entries = new Map<ClusterId, Entry>();
  private readonly labels = new Map<ClusterId, string>();

  constructor(private readonly o: DestinationClientsOptions) {}

  http(cluster: ClusterId): Promise<KubeHttp> {
    const now = this.o.clock.now();
    const cached = this.entries.get(cluster);
    if (cached && now - cached.at < (this.o.recheckMs ?? 60_000)) return cached.client;
    const client = this.o.resolver.resolveServer(cluster === '' ? inClusterServer : cluster, 'jetway watches').then((resolved) => {
      if (cluster !== '') this.labels.set(cluster, resolved.cluster.label);
      return resolved.cluster.kube.http;
    });
    const entry = { client, at: now };
    this.entries.set(cluster, entry);
    client.catch(() => {
      if (this.entries.get(cluster) === entry) this.entries.delete(cluster);
    });
    return client;
  }

  failed(cluster: ClusterId): void {
    this.entries.delete(cluster);
  }

  label(cluster: ClusterId): string {
    return cluster === '' ? 'the in-cluster destination' : (this.labels.get(cluster) ?? `cluster ${cluster}`);
  }
}
