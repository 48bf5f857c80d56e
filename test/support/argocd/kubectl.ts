// The application controller's cluster access over HTTP, as gitops-engine's kubectl does it (pkg/utils/kube/
// resource_ops.go, kubectl's client-side apply): discovery, GET, apply (create, or a patch from the last-applied
// configuration), foreground DELETE. It goes through the fake API server's REST path, so its validation (immutable Job
// templates, missing namespaces, conflicts) answers the way a real API server would. Hand-written because
// client-node's KubernetesObjectApi turns objects into typed models (dates, dropped unknown fields), and Argo CD applies
// objects exactly as generated.

import { KubeConfig } from '@kubernetes/client-node';
import { KubeHttp } from '../../../src/cluster/http.js';
import type { KubeObject } from '../../../src/cluster/types.js';

export const lastAppliedAnnotation = 'kubectl.kubernetes.io/last-applied-configuration';

/** A request the API server refused; `message` is the server's Status message. */
export class KubectlError extends Error {
  override name = 'KubectlError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

interface Resource {
  plural: string;
  namespaced: boolean;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The group of an apiVersion ("" for the core group). */
const groupOf = (apiVersion: string) => (apiVersion.includes('/') ? apiVersion.split('/')[0]! : '');

/** The prefix of a group version's REST paths. */
const versionPath = (apiVersion: string) => (apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`);

/** kubectl's short resource name in its output: `job.batch/name`, `configmap/name`. */
function printedName(object: KubeObject): string {
  const group = groupOf(object.apiVersion ?? '');
  return `${(object.kind ?? '').toLowerCase()}${group ? `.${group}` : ''}/${object.metadata?.name ?? ''}`;
}

/** What client-side apply records as last-applied-configuration: the object as given, keys sorted. */
export function appliedConfiguration(target: KubeObject): string {
  return JSON.stringify(sortKeys(target as Json));
}

// Why: Go's encoding/json writes map keys sorted, so equal objects have equal last-applied strings.
function sortKeys(value: Json): Json {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, sortKeys(value[k]!)]),
  );
}

/**
 * kubectl's three-way JSON merge patch (jsonmergepatch.CreateThreeWayJSONMergePatch): set what `modified` has and
 * `current` lacks or differs in; null what `original` (the last applied) had and `modified` dropped. Lists are
 * replaced whole, as in a JSON merge patch (the fake serves strategic merge patches with merge-patch semantics).
 */
function threeWayPatch(original: Json | undefined, modified: Json, current: Json | undefined): Json | undefined {
  const isMap = (v: Json | undefined): v is { [key: string]: Json } => v !== null && v !== undefined && typeof v === 'object' && !Array.isArray(v);
  if (!isMap(modified) || !isMap(current)) return JSON.stringify(modified) === JSON.stringify(current) ? undefined : modified;
  const patch: { [key: string]: Json } = {};
  for (const [key, value] of Object.entries(modified)) {
    const sub = threeWayPatch(isMap(original) ? original[key] : undefined, value, current[key]);
    if (sub !== undefined) patch[key] = sub;
  }
  if (isMap(original)) for (const key of Object.keys(original)) if (!(key in modified) && key in current) patch[key] = null;
  return Object.keys(patch).length > 0 ? patch : undefined;
}

/** The controller's client for one cluster (the fake API server), with the discovery it caches. */
export class Kubectl {
  private readonly http: KubeHttp;
  private readonly resources = new Map<string, Map<string, Resource>>();

  // Why: one authenticated HTTP client per controller, from the kubeconfig of Argo CD's own credentials.
  constructor(kubeconfig: string) {
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfig);
    this.http = new KubeHttp(kc);
  }

  /** Closes the connection pool. */
  close(): void {
    this.http.close();
  }

  // Why: every request answers JSON or a Status; a non-2xx becomes a KubectlError with the server's message.
  private async call(method: string, path: string, body?: unknown, contentType?: string): Promise<KubeObject | undefined> {
    const res = await this.http.request(path, { method, ...(body === undefined ? {} : { body: JSON.stringify(body), contentType: contentType ?? 'application/json' }) });
    if (res.status === 404 && method === 'GET') return undefined;
    const parsed = res.text ? (JSON.parse(res.text) as KubeObject) : undefined;
    if (res.status < 200 || res.status >= 300) throw new KubectlError(res.status, String(parsed?.['message'] ?? `${method} ${path} answered ${res.status}`));
    return parsed;
  }

  /**
   * The cluster's API versions as Argo CD's cluster cache lists them for the repo-server (KUBE_API_VERSIONS and the
   * manifest cache key: "group/version" and "group/version/Kind" of every served resource), read through discovery.
   */
  async apiVersions(): Promise<string[]> {
    this.resources.clear();
    const core = (await this.call('GET', '/api')) as unknown as { versions: string[] };
    const groups = (await this.call('GET', '/apis')) as unknown as { groups: Array<{ versions: Array<{ groupVersion: string }> }> };
    const versions = [...core.versions, ...groups.groups.flatMap((g) => g.versions.map((v) => v.groupVersion))];
    const out = new Set<string>();
    for (const gv of versions) {
      out.add(gv);
      for (const kind of (await this.kinds(gv)).keys()) out.add(`${gv}/${kind}`);
    }
    return [...out].sort();
  }

  // Why: a group version's kinds, read once per discovery refresh (subresources are not kinds).
  private async kinds(apiVersion: string): Promise<Map<string, Resource>> {
    let kinds = this.resources.get(apiVersion);
    if (kinds) return kinds;
    const list = (await this.call('GET', versionPath(apiVersion))) as unknown as { resources?: Array<{ name: string; kind: string; namespaced: boolean }> } | undefined;
    kinds = new Map((list?.resources ?? []).filter((r) => !r.name.includes('/')).map((r) => [r.kind, { plural: r.name, namespaced: r.namespaced }]));
    this.resources.set(apiVersion, kinds);
    return kinds;
  }

  /** The REST path of an object; throws NotFound the way ServerResourceForGroupVersionKind does for a kind not served. */
  private async path(object: KubeObject): Promise<string> {
    const apiVersion = object.apiVersion ?? '';
    let resource = (await this.kinds(apiVersion)).get(object.kind ?? '');
    if (!resource) {
      this.resources.delete(apiVersion);
      resource = (await this.kinds(apiVersion)).get(object.kind ?? '');
    }
    if (!resource) throw new KubectlError(404, `${object.kind}.${groupOf(apiVersion) || 'core'} "" not found`);
    const ns = resource.namespaced ? `/namespaces/${encodeURIComponent(object.metadata?.namespace ?? '')}` : '';
    return `${versionPath(apiVersion)}${ns}/${resource.plural}/${encodeURIComponent(object.metadata?.name ?? '')}`;
  }

  /** Whether the kind is served (the permission and discovery check of getSyncTasks); undefined when it is, else why not. */
  async notServed(object: KubeObject): Promise<string | undefined> {
    try {
      await this.path(object);
      return undefined;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  }

  /** GET one object; undefined when absent. */
  get(object: KubeObject): Promise<KubeObject | undefined> {
    return this.path(object).then((path) => this.call('GET', path));
  }

  /**
   * kubectl apply (client-side): create with the last-applied annotation, or patch the live object from the last-applied
   * configuration to `target`. A dry run (gitops-engine runs `--dry-run=client` once per operation) reads the live
   * object and computes the same request without sending it. Returns kubectl's output line.
   */
  async apply(target: KubeObject, dryRun: boolean): Promise<string> {
    const path = await this.path(target);
    const applied = appliedConfiguration(target);
    const desired = { ...target, metadata: { ...target.metadata, annotations: { ...(target.metadata?.annotations ?? {}), [lastAppliedAnnotation]: applied } } };
    const live = await this.call('GET', path);
    const suffix = dryRun ? ' (dry run)' : '';
    if (!live) {
      if (!dryRun) await this.call('POST', path.slice(0, path.lastIndexOf('/')), desired);
      return `${printedName(target)} created${suffix}`;
    }
    const lastApplied = live.metadata?.annotations?.[lastAppliedAnnotation];
    const original = lastApplied ? (JSON.parse(lastApplied) as Json) : undefined;
    const patch = threeWayPatch(original, desired, live as unknown as Json);
    if (patch === undefined) return `${printedName(target)} unchanged${suffix}`;
    const custom = groupOf(target.apiVersion ?? '').includes('.') && !groupOf(target.apiVersion ?? '').endsWith('k8s.io');
    if (!dryRun) await this.call('PATCH', path, patch, custom ? 'application/merge-patch+json' : 'application/strategic-merge-patch+json');
    return `${printedName(target)} configured${suffix}`;
  }

  /** DELETE with propagationPolicy Foreground (gitops-engine's default for prune and app deletion). */
  deleteForeground(object: KubeObject): Promise<void> {
    return this.delete(object, 'Foreground');
  }

  /** DELETE with a propagation policy; an object already gone is not an error. */
  async delete(object: KubeObject, propagationPolicy: 'Foreground' | 'Background'): Promise<void> {
    const path = await this.path(object);
    try {
      // as client-go's DeleteOptions travel from client-node: query parameters
      await this.call('DELETE', `${path}?propagationPolicy=${propagationPolicy}`);
    } catch (error) {
      if (!(error instanceof KubectlError && error.status === 404)) throw error;
    }
  }

  /** A merge patch to an object (the controller's own writes to Applications). */
  async mergePatch(object: KubeObject, patch: unknown): Promise<void> {
    await this.call('PATCH', await this.path(object), patch, 'application/merge-patch+json');
  }
}
