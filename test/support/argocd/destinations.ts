// The application controller's destination clusters, as Argo CD v3.5.1 reaches them (util/argo/argo.go
// GetDestinationCluster, util/db/cluster.go): `https://kubernetes.default.svc` (or the name `in-cluster`) is Argo CD's own
// cluster; any other destination is the cluster Secret (label argocd.argoproj.io/secret-type=cluster, Argo CD's
// namespace) whose `server` or `name` matches, reached with that Secret's bearer token. The live-state cache of a cluster
// is the fake API server's own store (the "network" maps a server URL to its fake), as for the in-cluster destination.

import type { KubeObject } from '../../../src/cluster/types.js';
import type { FakeApiServer } from '../apiserver.js';
import { Kubectl } from './kubectl.js';

export const inClusterServer = 'https://kubernetes.default.svc';

/** A destination cluster: its store (the live-state cache reads it) and the controller's client for it. */
export interface DestinationCluster {
  /** `in-cluster`, or the server URL. */
  key: string;
  api: FakeApiServer;
  kubectl: Kubectl;
}

/** spec.destination: `server` or `name`, and the namespace. */
export interface DestinationSpec {
  server?: string;
  name?: string;
  namespace: string;
}

const decode = (secret: KubeObject, key: string) => {
  const value = ((secret['data'] ?? {}) as Record<string, string>)[key];
  return value === undefined ? '' : Buffer.from(value, 'base64').toString('utf8');
};

/** Argo CD's clusters: its own, and the remotes its cluster Secrets register (the fakes listening at their servers). */
export class DestinationClusters {
  private readonly clients = new Map<string, { version: string; kubectl: Kubectl }>();

  constructor(
    private readonly home: { api: FakeApiServer; kubectl: Kubectl; argocdNamespace: string },
    /** The fake API servers reachable on the "network", by URL. */
    private readonly network: FakeApiServer[],
  ) {}

  /** The cluster a destination names, or the error Argo CD reports for it (a ComparisonError in the imitation). */
  resolve(destination: DestinationSpec): DestinationCluster {
    const secrets = this.home.api.list('v1', 'Secret', this.home.argocdNamespace).filter((s) => s.metadata?.labels?.['argocd.argoproj.io/secret-type'] === 'cluster');
    const clusters = secrets.map((secret) => ({ secret, name: decode(secret, 'name'), server: decode(secret, 'server').replace(/\/+$/, '') }));
    let server = (destination.server ?? '').replace(/\/+$/, '');
    if (server === '') {
      const named = clusters.filter((c) => c.name === destination.name);
      if (named.length === 0 && destination.name === 'in-cluster') server = inClusterServer;
      else if (named.length !== 1) throw new Error(`there are no clusters with this name: ${destination.name ?? ''}`);
      else server = named[0]!.server;
    }
    if (server === inClusterServer) return { key: 'in-cluster', api: this.home.api, kubectl: this.home.kubectl };
    const registered = clusters.find((c) => c.server === server);
    if (!registered) throw new Error(`cluster ${server} not found`);
    const api = this.network.find((a) => a.url === server);
    if (!api) throw new Error(`cluster ${server}: cannot reach the API server`);
    const config = JSON.parse(decode(registered.secret, 'config') || '{}') as { bearerToken?: string };
    const version = String(registered.secret.metadata?.resourceVersion);
    let client = this.clients.get(server);
    // a rotated Secret gives a new client, as Argo CD's cluster cache is rebuilt when the Secret changes
    if (!client || client.version !== version) {
      client?.kubectl.close();
      client = { version, kubectl: new Kubectl(api.kubeconfig(config.bearerToken ?? '')) };
      this.clients.set(server, client);
    }
    return { key: server, api, kubectl: client.kubectl };
  }

  /** Closes the clients of remote clusters. */
  close(): void {
    for (const { kubectl } of this.clients.values()) kubectl.close();
    this.clients.clear();
  }
}
