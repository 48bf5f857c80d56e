// The fake's type registry: built-in kinds, kinds registered by CRDs, and the discovery documents built from them.
import type { KubeObject } from '../../../src/cluster/types.js';
import { leaseType } from './lease.js';

/** One served resource at one group version. */
export interface ResourceType {
  group: string;
  version: string;
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  verbs: string[];
  shortNames?: string[];
  categories?: string[];
  /** Subresource names listed in discovery ("status", "scale", "log"...); only "status" is served. */
  subresources: string[];
  /** Main-resource writes keep the old .status and /status writes change only .status. */
  hasStatus: boolean;
  /** metadata.generation is maintained (bumped on spec changes). */
  generation: boolean;
  /** Served from a CustomResourceDefinition (no strategic merge patch, items keep kind in lists). */
  custom: boolean;
  /** Name of the CRD that registered it. */
  crd?: string;
}

const RW = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

// Shorthand for declaring a built-in type.
function builtin(group: string, version: string, kind: string, plural: string, namespaced: boolean, o: Partial<ResourceType> = {}): ResourceType {
  return {
    group,
    version,
    kind,
    listKind: `${kind}List`,
    plural,
    singular: kind.toLowerCase(),
    namespaced,
    verbs: RW,
    subresources: [],
    hasStatus: false,
    generation: false,
    custom: false,
    ...o,
  };
}

// The built-in kinds a fresh fake serves (as a real 1.31 server lists them, trimmed to what jetway touches).
function builtins(): ResourceType[] {
  const st = { hasStatus: true };
  return [
    builtin('', 'v1', 'Namespace', 'namespaces', false, { verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'], shortNames: ['ns'], subresources: ['finalize', 'status'], ...st }),
    builtin('', 'v1', 'ConfigMap', 'configmaps', true, { shortNames: ['cm'] }),
    builtin('', 'v1', 'Secret', 'secrets', true),
    builtin('', 'v1', 'Service', 'services', true, {
      verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
      shortNames: ['svc'],
      categories: ['all'],
      subresources: ['proxy', 'status'],
      ...st,
    }),
    builtin('', 'v1', 'Pod', 'pods', true, { shortNames: ['po'], categories: ['all'], subresources: ['attach', 'binding', 'eviction', 'exec', 'log', 'portforward', 'proxy', 'status'], ...st }),
    builtin('', 'v1', 'ServiceAccount', 'serviceaccounts', true, { shortNames: ['sa'], subresources: ['token'] }),
    builtin('', 'v1', 'Event', 'events', true, { shortNames: ['ev'] }),
    builtin('', 'v1', 'Node', 'nodes', false, { shortNames: ['no'], subresources: ['proxy', 'status'], ...st }),
    builtin('', 'v1', 'PersistentVolumeClaim', 'persistentvolumeclaims', true, { shortNames: ['pvc'], subresources: ['status'], ...st }),
    builtin('apps', 'v1', 'Deployment', 'deployments', true, { shortNames: ['deploy'], categories: ['all'], subresources: ['scale', 'status'], generation: true, ...st }),
    builtin('apps', 'v1', 'StatefulSet', 'statefulsets', true, { shortNames: ['sts'], categories: ['all'], subresources: ['scale', 'status'], generation: true, ...st }),
    builtin('apps', 'v1', 'DaemonSet', 'daemonsets', true, { shortNames: ['ds'], categories: ['all'], subresources: ['status'], generation: true, ...st }),
    builtin('apps', 'v1', 'ReplicaSet', 'replicasets', true, { shortNames: ['rs'], categories: ['all'], subresources: ['scale', 'status'], generation: true, ...st }),
    builtin('batch', 'v1', 'Job', 'jobs', true, { categories: ['all'], subresources: ['status'], generation: true, ...st }),
    builtin('batch', 'v1', 'CronJob', 'cronjobs', true, { shortNames: ['cj'], categories: ['all'], subresources: ['status'], generation: true, ...st }),
    builtin('apiextensions.k8s.io', 'v1', 'CustomResourceDefinition', 'customresourcedefinitions', false, {
      shortNames: ['crd', 'crds'],
      categories: ['api-extensions'],
      subresources: ['status'],
      generation: true,
      ...st,
    }),
    builtin('rbac.authorization.k8s.io', 'v1', 'Role', 'roles', true),
    builtin('rbac.authorization.k8s.io', 'v1', 'ClusterRole', 'clusterroles', false),
    builtin('rbac.authorization.k8s.io', 'v1', 'RoleBinding', 'rolebindings', true),
    builtin('rbac.authorization.k8s.io', 'v1', 'ClusterRoleBinding', 'clusterrolebindings', false),
    leaseType,
  ];
}

// Kubernetes version priority (v2 > v1 > v1beta2 > v1beta1 > v1alpha1 > other), used for a CRD group's preferred version.
export function compareKubeVersions(a: string, b: string): number {
  const rank = (v: string): [number, number, number, string] => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return [0, 0, 0, v];
    const stage = m[2] === undefined ? 3 : m[2] === 'beta' ? 2 : 1;
    return [stage, Number(m[1]), Number(m[3] ?? 0), v];
  };
  const ra = rank(a);
  const rb = rank(b);
  // GA before beta before alpha; within a stage higher major, then higher minor; non-kube versions last, alphabetical.
  if (ra[0] !== rb[0]) return rb[0] - ra[0];
  if (ra[0] === 0) return ra[3] < rb[3] ? -1 : ra[3] > rb[3] ? 1 : 0;
  if (ra[1] !== rb[1]) return rb[1] - ra[1];
  return rb[2] - ra[2];
}

/** The registry of served types; CRDs add and remove entries at runtime. */
export class Registry {
  private types: ResourceType[] = builtins();
  private readonly builtinGroups = [...new Set(this.types.map((t) => t.group))];

  // Every type served at one group version.
  at(group: string, version: string): ResourceType[] {
    return this.types.filter((t) => t.group === group && t.version === version);
  }

  // A resource by group/version/plural, as the REST path names it.
  byResource(group: string, version: string, plural: string): ResourceType | undefined {
    return this.types.find((t) => t.group === group && t.version === version && t.plural === plural);
  }

  // A type by apiVersion + kind, as an object names it.
  byKind(apiVersion: string, kind: string): ResourceType | undefined {
    const [group, version] = splitApiVersion(apiVersion);
    return this.types.find((t) => t.group === group && t.version === version && t.kind === kind);
  }

  // Every served version of one group/resource (they share storage).
  versionsOf(group: string, plural: string): ResourceType[] {
    return this.types.filter((t) => t.group === group && t.plural === plural);
  }

  // Groups in the order the real server lists them: built-ins first, then CRD groups by arrival.
  groups(): { name: string; versions: string[]; preferred: string }[] {
    const names = [...this.builtinGroups, ...new Set(this.types.filter((t) => t.custom).map((t) => t.group))];
    const out: { name: string; versions: string[]; preferred: string }[] = [];
    for (const name of [...new Set(names)]) {
      const versions = [...new Set(this.types.filter((t) => t.group === name).map((t) => t.version))].sort(compareKubeVersions);
      if (versions.length > 0) out.push({ name, versions, preferred: versions[0]! });
    }
    return out;
  }

  // Registers (or re-registers) the served versions of a CRD object, as the apiextensions server does.
  registerCrd(crd: KubeObject): void {
    const name = crd.metadata?.name ?? '';
    this.unregisterCrd(name);
    const spec = (crd.spec ?? {}) as Record<string, any>;
    const names = (spec.names ?? {}) as Record<string, any>;
    const kind = String(names.kind ?? '');
    const plural = String(names.plural ?? '');
    const group = String(spec.group ?? '');
    if (!kind || !plural || !group) return;
    for (const v of (spec.versions ?? []) as Record<string, any>[]) {
      if (v.served === false) continue;
      const hasStatus = Boolean(v.subresources?.status ?? spec.subresources?.status);
      const subresources = [...(hasStatus ? ['status'] : []), ...((v.subresources?.scale ?? spec.subresources?.scale) ? ['scale'] : [])];
      this.types.push({
        group,
        version: String(v.name),
        kind,
        listKind: String(names.listKind ?? `${kind}List`),
        plural,
        singular: String(names.singular ?? kind.toLowerCase()),
        namespaced: spec.scope !== 'Cluster',
        verbs: RW,
        shortNames: names.shortNames,
        categories: names.categories,
        subresources: subresources.sort(),
        hasStatus,
        generation: true,
        custom: true,
        crd: name,
      });
    }
  }

  // Drops the types a CRD registered; returns them.
  unregisterCrd(name: string): ResourceType[] {
    const gone = this.types.filter((t) => t.crd === name);
    this.types = this.types.filter((t) => t.crd !== name);
    return gone;
  }
}

// "apps/v1" => ["apps","v1"], "v1" => ["","v1"].
export function splitApiVersion(apiVersion: string): [string, string] {
  const i = apiVersion.lastIndexOf('/');
  return i < 0 ? ['', apiVersion] : [apiVersion.slice(0, i), apiVersion.slice(i + 1)];
}

// "" + "v1" => "v1", "apps" + "v1" => "apps/v1".
export function joinApiVersion(group: string, version: string): string {
  return group ? `${group}/${version}` : version;
}

// The APIResourceList a real server returns for /api/v1 and /apis/<g>/<v> (subresources included).
export function apiResourceList(reg: Registry, group: string, version: string): Record<string, unknown> | undefined {
  const types = reg.at(group, version);
  if (types.length === 0) return undefined;
  const resources: Record<string, unknown>[] = [];
  for (const t of [...types].sort((a, b) => a.plural.localeCompare(b.plural))) {
    const r: Record<string, unknown> = { name: t.plural, singularName: t.singular, namespaced: t.namespaced, kind: t.kind, verbs: t.verbs };
    if (t.shortNames?.length) r.shortNames = t.shortNames;
    if (t.categories?.length) r.categories = t.categories;
    resources.push(r);
    for (const sub of t.subresources) resources.push(subresource(t, sub));
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: joinApiVersion(group, version), resources };
}

// A subresource's discovery entry, with the kind and verbs the real server gives it.
function subresource(t: ResourceType, sub: string): Record<string, unknown> {
  const base = { name: `${t.plural}/${sub}`, singularName: '', namespaced: t.namespaced };
  switch (sub) {
    case 'status':
      return { ...base, kind: t.kind, verbs: ['get', 'patch', 'update'] };
    case 'scale':
      return { ...base, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] };
    case 'finalize':
      return { ...base, kind: t.kind, verbs: ['update'] };
    case 'log':
      return { ...base, kind: 'Pod', verbs: ['get'] };
    case 'eviction':
      return { ...base, group: 'policy', version: 'v1', kind: 'Eviction', verbs: ['create'] };
    case 'binding':
      return { ...base, kind: 'Binding', verbs: ['create'] };
    case 'token':
      return { ...base, group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest', verbs: ['create'] };
    case 'attach':
    case 'exec':
    case 'portforward':
      return { ...base, kind: `Pod${sub === 'portforward' ? 'PortForward' : sub[0]!.toUpperCase() + sub.slice(1)}Options`, verbs: ['create', 'get'] };
    default:
      return { ...base, kind: `${t.kind}ProxyOptions`, verbs: ['create', 'delete', 'get', 'patch', 'update'] };
  }
}

// /apis: the APIGroupList with each group's versions and preferredVersion.
export function apiGroupList(reg: Registry): Record<string, unknown> {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: reg
      .groups()
      .filter((g) => g.name !== '')
      .map(apiGroup),
  };
}

// One APIGroup entry (also served alone at /apis/<g>).
export function apiGroup(g: { name: string; versions: string[]; preferred: string }): Record<string, unknown> {
  const gv = (v: string) => ({ groupVersion: `${g.name}/${v}`, version: v });
  return { name: g.name, versions: g.versions.map(gv), preferredVersion: gv(g.preferred) };
}

/** The CRD object for a kind, the way a test (or jetway's Argo CD imitation) would apply it. */
export interface CrdSpec {
  group: string;
  kind: string;
  plural?: string;
  singular?: string;
  shortNames?: string[];
  versions?: string[];
  scope?: 'Namespaced' | 'Cluster';
  /** Enable the status subresource on every version. */
  status?: boolean;
}

// Builds a CustomResourceDefinition object (served + storage on the first version, schema preserving unknown fields).
export function makeCrd(s: CrdSpec): KubeObject {
  const plural = s.plural ?? `${s.kind.toLowerCase()}s`;
  const versions = s.versions ?? ['v1'];
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${s.group}` },
    spec: {
      group: s.group,
      names: { kind: s.kind, listKind: `${s.kind}List`, plural, singular: s.singular ?? s.kind.toLowerCase(), ...(s.shortNames ? { shortNames: s.shortNames } : {}) },
      scope: s.scope ?? 'Namespaced',
      versions: versions.map((name, i) => ({
        name,
        served: true,
        storage: i === 0,
        schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
        ...(s.status ? { subresources: { status: {} } } : {}),
      })),
    },
  };
}

// Argo CD's Application CRD as installed by Argo CD (no status subresource: the controller writes status through the main resource).
export function argoApplicationCrd(): KubeObject {
  return makeCrd({ group: 'argoproj.io', kind: 'Application', plural: 'applications', singular: 'application', shortNames: ['app', 'apps'], versions: ['v1alpha1'] });
}
