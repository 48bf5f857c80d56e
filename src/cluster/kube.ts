// The live cluster through client-node's KubeConfig: kubeconfig file, or in-cluster service-account credentials.

import { KubeConfig } from '@kubernetes/client-node';
import { CachedDiscovery, resolveMapping } from './discovery.js';
import { KubeHttp } from './http.js';
import { objectPath } from './paths.js';
import type { Cluster, KubeObject, RestMapping } from './types.js';

export interface KubeClusterOptions {
  /** A kubeconfig file; without it, KUBECONFIG / ~/.kube/config / in-cluster, as kubectl does. */
  kubeconfig?: string | undefined;
  context?: string | undefined;
  timeoutMs?: number;
}

/** Loads credentials the way users expect: an explicit file, else client-node's defaults (which include in-cluster). */
export function loadKubeConfig(options: Pick<KubeClusterOptions, 'kubeconfig' | 'context'>): KubeConfig {
  const kc = new KubeConfig();
  if (options.kubeconfig) loadFile(kc, options.kubeconfig);
  else kc.loadFromDefault();
  if (options.context) kc.setCurrentContext(options.context);
  if (!kc.getCurrentCluster() && options.kubeconfig) {
    throw new Error(
      `kubeconfig ${options.kubeconfig} names no current cluster: it is not a kubeconfig, or its current-context${options.context ? ` (here --context ${options.context})` : ''} has no cluster`,
    );
  }
  if (!kc.getCurrentCluster()) {
    throw new Error('no Kubernetes cluster configured: pass --kubeconfig, set KUBECONFIG, or run in a pod with a service-account token');
  }
  return kc;
}

/** Loads an explicit file, saying which file is not a kubeconfig instead of client-node's TypeError. */
function loadFile(kc: KubeConfig, file: string): void {
  try {
    kc.loadFromFile(file);
  } catch (error) {
    // client-node reads fields of whatever the YAML held: a TypeError means it held no map at all
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : error instanceof TypeError ? 'it is empty or not a YAML map' : error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new Error(`kubeconfig ${file} is not a usable kubeconfig (a YAML map with clusters, users and contexts): ${why}`, { cause: error });
  }
}

/** A Cluster backed by a real API server. */
export class KubeCluster implements Cluster {
  readonly http: KubeHttp;
  private readonly discovery: CachedDiscovery;

  constructor(kc: KubeConfig, timeoutMs?: number) {
    this.http = new KubeHttp(kc, undefined, timeoutMs);
    this.discovery = new CachedDiscovery((path) => this.http.getJson(path));
  }

  restMapping(group: string, kind: string, version?: string): Promise<RestMapping | undefined> {
    return resolveMapping(this.discovery, group, kind, version);
  }

  async refreshDiscovery(missedAt: number): Promise<void> {
    this.discovery.forget(missedAt);
  }

  get(mapping: RestMapping, namespace: string, name: string): Promise<KubeObject> {
    return this.http.getJson<KubeObject>(objectPath(mapping, namespace, name));
  }

  close(): void {
    this.http.close();
  }
}
