// Argo CD Applications as the refresher addresses them: from ARGOCD_APP_NAME to namespace/name, and which use jetway.

import { failureFor, type KubeHttp } from '../cluster/http.js';
import { splitAppName } from '../cluster/names.js';
import type { KubeObject } from '../cluster/types.js';
import { optInOf } from './sync-opt-in.js';

/** Where an Application lives. */
export interface ApplicationRef {
  namespace: string;
  name: string;
}

/** What the refresher needs to know of an Application beyond its name. */
export interface ApplicationFacts {
  uid: string | undefined;
  selfHeal: boolean;
  /** The app opted in to syncs by jetway after its refreshes (`jetway.dev/sync-after-refresh: "true"`). */
  syncAfterRefresh: boolean;
}

const base = '/apis/argoproj.io/v1alpha1';

/** ARGOCD_APP_NAME is `<appNamespace>_<name>` outside the Argo CD namespace, else `<name>` (`_` is valid in neither). */
export function applicationRef(app: string, argocdNamespace: string): ApplicationRef {
  const { namespace, name } = splitAppName(app);
  return { namespace: namespace ?? argocdNamespace, name };
}

/** The REST path of one Application. */
export function applicationPath(ref: ApplicationRef): string {
  return `${base}/namespaces/${encodeURIComponent(ref.namespace)}/applications/${encodeURIComponent(ref.name)}`;
}

interface ApplicationSpec {
  syncPolicy?: { automated?: { selfHeal?: boolean } };
}

/** Reads an Application's uid, selfHeal setting and sync opt-in; undefined when it does not exist. */
export async function applicationFacts(http: KubeHttp, ref: ApplicationRef): Promise<ApplicationFacts | undefined> {
  const path = applicationPath(ref);
  const res = await http.request(path);
  if (res.status === 404) return undefined;
  if (res.status < 200 || res.status >= 300) throw failureFor('GET', path, res.status, res.text);
  const app = JSON.parse(res.text) as KubeObject;
  const spec = (app['spec'] ?? {}) as ApplicationSpec;
  return {
    uid: app.metadata?.['uid'] as string | undefined,
    selfHeal: spec.syncPolicy?.automated?.selfHeal === true,
    syncAfterRefresh: optInOf(app.metadata?.annotations) === 'on',
  };
}

/** The annotation Argo CD reads a refresh request from, and removes once it has reconciled with it. */
export const refreshAnnotation = 'argocd.argoproj.io/refresh';

/**
 * Merge-patches `argocd.argoproj.io/refresh: hard`: the only way to make the repo-server run generate again for the same
 * commit. With `refresh-timestamp` = `at`, as Argo CD's own RefreshApp sets it: a controller with argo-cd#28603 (master)
 * then keeps a request that arrives while it reconciles the app; released ones (v3.5.1) drop it, which the scheduler's
 * confirmation catches.
 */
export async function hardRefresh(http: KubeHttp, ref: ApplicationRef, at: Date): Promise<'refreshed' | 'gone'> {
  const path = applicationPath(ref);
  const annotations = { [refreshAnnotation]: 'hard', 'argocd.argoproj.io/refresh-timestamp': at.toISOString() };
  const body = JSON.stringify({ metadata: { annotations } });
  const res = await http.request(path, { method: 'PATCH', body, contentType: 'application/merge-patch+json' });
  if (res.status === 404) return 'gone';
  if (res.status < 200 || res.status >= 300) throw failureFor('PATCH', path, res.status, res.text);
  return 'refreshed';
}

/** Whether the Application still carries a refresh request (`pending`), no longer does (`dropped`), or is gone. */
export async function refreshRequestState(http: KubeHttp, ref: ApplicationRef): Promise<'pending' | 'dropped' | 'gone'> {
  const path = applicationPath(ref);
  const res = await http.request(path);
  if (res.status === 404) return 'gone';
  if (res.status < 200 || res.status >= 300) throw failureFor('GET', path, res.status, res.text);
  const app = JSON.parse(res.text) as KubeObject;
  return app.metadata?.annotations?.[refreshAnnotation] ? 'pending' : 'dropped';
}
