// A destination cluster whose failures say which cluster failed: a flight (and the log) reading "cannot reach the API
// server" must know it was the remote "prod-eu", not the hub.

import { KubeCluster } from '../kube.js';
import { ClusterError, type Cluster, type KubeObject, type RestMapping } from '../types.js';

/** A KubeCluster that prefixes transport, TLS, exec-plugin and 401 failures with the cluster's label. */
export class NamedCluster implements Cluster {
  constructor(
    readonly label: string,
    readonly kube: KubeCluster,
  ) {}

  // NotFound and Forbidden keep the API server's exact words (flights compare them); the rest gain the cluster's name.
  private async named<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof ClusterError && (error.reason === 'NotFound' || error.reason === 'Forbidden')) throw error;
      const reason = error instanceof ClusterError ? error.reason : 'Error';
      const message = error instanceof Error ? error.message.trim() : String(error);
      throw new ClusterError(reason, `${this.label}: ${message.split('\n').join(' ') || 'the credential plugin failed without a message'}`);
    }
  }

  restMapping(group: string, kind: string, version?: string): Promise<RestMapping | undefined> {
    return this.named(() => this.kube.restMapping(group, kind, version));
  }

  refreshDiscovery(missedAt: number): Promise<void> {
    return this.kube.refreshDiscovery(missedAt);
  }

  get(mapping: RestMapping, namespace: string, name: string): Promise<KubeObject> {
    return this.named(() => this.kube.get(mapping, namespace, name));
  }

  close(): void {
    this.kube.close();
  }
}
