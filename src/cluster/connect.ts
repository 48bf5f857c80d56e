// A cluster connection made on first use: importing client-node costs most of a second, so runs that never look anything up skip it.

import type { KubeCluster, KubeClusterOptions } from './kube.js';
import type { Cluster } from './types.js';

/** Connects to the cluster described by `options` the first time `get` is called. */
export class LazyKube {
  private connection: Promise<KubeCluster> | undefined;

  constructor(private readonly options: KubeClusterOptions) {}

  get(): Promise<KubeCluster> {
    this.connection ??= import('./kube.js').then(({ KubeCluster, loadKubeConfig }) => new KubeCluster(loadKubeConfig(this.options), this.options.timeoutMs));
    return this.connection;
  }

  async close(): Promise<void> {
    if (this.connection) (await this.connection.catch(() => undefined))?.close();
  }
}

/** A Cluster usable at once whose calls wait for `connection`: a run can start while the connection is still opening. */
export function deferredCluster(connection: Promise<Cluster | undefined>): Cluster {
  const ready = async (): Promise<Cluster> => {
    const cluster = await connection;
    if (!cluster) throw new Error('no cluster connection');
    return cluster;
  };
  return {
    restMapping: async (group, kind, version) => (await ready()).restMapping(group, kind, version),
    refreshDiscovery: async (missedAt) => (await ready()).refreshDiscovery(missedAt),
    get: async (mapping, namespace, name) => (await ready()).get(mapping, namespace, name),
  };
}
