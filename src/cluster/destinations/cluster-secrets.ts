// Where the resolver reads Argo CD's cluster registrations and in-cluster switch from: the Argo CD namespace of the hub.

import { failureFor, type KubeHttp } from '../http.js';
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

/** Argo CD's settings ConfigMap, and the label without which Argo CD's settings informer does not see it (settings.go). */
export const argocdConfigMapName = 'argocd-cm';
const partOfArgoCd = ['app.kubernetes.io/part-of', 'argocd'] as const;

/** argocd-cm's `cluster.inClusterEnabled` (SettingsManager.IsInClusterEnabled): on unless it is exactly "false". */
export function inClusterEnabled(argocdCm: KubeObject | undefined): boolean {
  if (argocdCm?.metadata?.labels?.[partOfArgoCd[0]] !== partOfArgoCd[1]) return true;
  const data = (argocdCm['data'] ?? {}) as Record<string, unknown>;
  return data['cluster.inClusterEnabled'] !== 'false';
}

export interface InClusterSettingOptions {
  /** How long a read value is used before argocd-cm is read again; default 30 s. */
  ttlMs?: number;
  /** Milliseconds now (injectable for tests). */
  now?: () => number;
}

/**
 * `cluster.inClusterEnabled` read with one GET of argocd-cm, kept for `ttlMs`; callers meanwhile share one read.
 *
 * Why a short cache and not a watch: the switch is one rarely edited key in a ConfigMap that also carries every resource
 * customization (large, and edited often), and the resolver runs in every replica. A GET per 30 s per replica needs only
 * `get` on that one named ConfigMap; a watch would need `list` and `watch` on ConfigMaps of Argo CD's namespace and
 * stream each edit of argocd-cm to every replica. The delay is harmless: Argo CD itself stops generating for a disabled
 * destination once its informer sees the edit, and jetway refuses the in-cluster destination within `ttlMs` of it.
 * A read that fails is not kept: the run fails with a line naming the ConfigMap and the grant, and the next run reads
 * again. Failing closed, unlike Argo CD's GetCluster (which logs and assumes on), because an admin who disabled the
 * in-cluster destination does not want flights reading Argo CD's own cluster when jetway cannot check.
 */
export function readInClusterSetting(http: KubeHttp, argocdNamespace: string, options: InClusterSettingOptions = {}): () => Promise<boolean> {
  const ttlMs = options.ttlMs ?? 30_000;
  const now = options.now ?? Date.now;
  const path = `/api/v1/namespaces/${encodeURIComponent(argocdNamespace)}/configmaps/${argocdConfigMapName}`;
  let cached: { value: boolean; at: number } | undefined;
  let reading: Promise<boolean> | undefined;
  const read = async (): Promise<boolean> => {
    const res = await http.request(path).catch((error: unknown) => ({ status: 0, text: error instanceof Error ? error.message : String(error) }));
    if (res.status === 404) return true;
    if (res.status >= 200 && res.status < 300) return inClusterEnabled(JSON.parse(res.text) as KubeObject);
    const why = res.status === 0 ? res.text : `HTTP ${res.status}: ${failureFor('GET', path, res.status, res.text).message}`;
    throw new Error(
      `cannot read ConfigMap ${argocdNamespace}/${argocdConfigMapName} to check cluster.inClusterEnabled (${why}); jetway serve needs get on it (Role jetway-appprojects, deploy/rbac.yaml)`,
    );
  };
  return () => {
    if (cached && now() - cached.at < ttlMs) return Promise.resolve(cached.value);
    reading ??= read()
      .then((value) => {
        cached = { value, at: now() };
        return value;
      })
      .finally(() => {
        reading = undefined;
      });
    return reading;
  };
}
