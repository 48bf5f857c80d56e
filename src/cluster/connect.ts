// A cluster connection made on first use: importing client-node costs most of a second, so runs that never look anything up skip it.

import type { KubeCluster, KubeClusterOptions } from './kube.js';

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
