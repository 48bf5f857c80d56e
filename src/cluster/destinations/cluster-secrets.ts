// Where the resolver reads Argo CD's cluster registrations and in-cluster switch from: the Argo CD namespace of the hub.

import type { KubeHttp } from '../http.js';
import type { KubeObject } from '../types.js';
import { clusterSecretLabel, clusterSecretLabelValue } from './argo-cluster.js';

/** The current cluster Secrets of the Argo CD namespace (a LIST, or an informer's cache). */
export type ClusterSecretSource = () => Promise<KubeObject[]>;

/** A source that LISTs the Secrets labelled as clusters on every call, so a rotated Secret is seen by the next resolve. */
export function listClusterSecrets(http: KubeHttp, argocdNamespace: string): ClusterSecretSource {
  const selector = encodeURIComponent(`${clusterSecretLabel}=${clusterSecretLabelValue}`);
  const path = `/api/v1/namespaces/${encodeURIComponent(argocdNamespace)}/secrets?labelSelector=${selector}`;
  return async () => (await http.getJson<{ items?: KubeObject[] }>(path)).items ?? [];
}

/** argocd-cm's `cluster.inClusterEnabled` (SettingsManager.IsInClusterEnabled): on unless it is exactly "false". */
export function inClusterEnabled(argocdCm: KubeObject | undefined): boolean {
  const data = (argocdCm?.['data'] ?? {}) as Record<string, unknown>;
  return data['cluster.inClusterEnabled'] !== 'false';
}
