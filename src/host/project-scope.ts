// AppProject-scoped lookups (issue 14 item 4): an app reads non-owned objects only where its AppProject lets it deploy,
// decided with Argo CD v3.5.1's own rules (pkg/apis/application/v1alpha1/app_project_types.go IsDestinationPermitted,
// isDestinationMatched; types.go IsGroupKindNamePermitted for cluster-scoped kinds).

import { groupKindString } from '../cluster/names.js';
import type { KubeObject } from '../cluster/types.js';
import { filepathMatch, isDenyPattern, projectGlobMatch } from './argo-glob.js';

/** One spec.destinations entry: globs, `!` negating. */
export interface ProjectDestination {
  server: string;
  name: string;
  namespace: string;
}

/** One spec.clusterResourceWhitelist / Blacklist entry: filepath.Match patterns; an empty name means every name. */
export interface ClusterResourceRule {
  group: string;
  kind: string;
  name: string;
}

/** What of an AppProject decides where its apps may read. */
export interface AppProjectRules {
  name: string;
  destinations: ProjectDestination[];
  clusterResourceWhitelist: ClusterResourceRule[];
  clusterResourceBlacklist: ClusterResourceRule[];
  permitOnlyProjectScopedClusters: boolean;
}

/** The project scope of one run: the app's project, the cluster it deploys to, and its destination namespace. */
export interface ProjectScope {
  project: AppProjectRules;
  /** The resolved destination cluster; `project` is its Secret's `data.project` ('' when not project-scoped). */
  cluster: { name: string; server: string; project: string };
  namespace: string;
}

/** The object a lookup asks for. */
export interface LookupTarget {
  group: string;
  kind: string;
  /** '' for cluster-scoped kinds. */
  namespace: string;
  name: string;
}

type Json = Record<string, unknown>;

/** Reads an AppProject object into rules, refusing fields of the wrong type with a message naming the project. */
export function projectRules(appProject: KubeObject): AppProjectRules {
  const name = appProject.metadata?.name ?? '';
  const fail = (why: string) => new Error(`AppProject "${name}": ${why}`);
  const spec = (appProject['spec'] ?? {}) as Json;
  const list = (key: string): Json[] => {
    const v = spec[key];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v) || v.some((e) => typeof e !== 'object' || e === null)) throw fail(`spec.${key} must be a list of objects`);
    return v as Json[];
  };
  const text = (entry: Json, key: string, where: string): string => {
    const v = entry[key];
    if (v === undefined || v === null) return '';
    if (typeof v !== 'string') throw fail(`${where}.${key} must be a string`);
    return v;
  };
  const rules = (key: string): ClusterResourceRule[] =>
    list(key).map((e, i) => ({ group: text(e, 'group', `spec.${key}[${i}]`), kind: text(e, 'kind', `spec.${key}[${i}]`), name: text(e, 'name', `spec.${key}[${i}]`) }));
  const permitOnly = spec['permitOnlyProjectScopedClusters'];
  if (permitOnly !== undefined && typeof permitOnly !== 'boolean') throw fail('spec.permitOnlyProjectScopedClusters must be true or false');
  return {
    name,
    destinations: list('destinations').map((e, i) => ({
      server: text(e, 'server', `spec.destinations[${i}]`),
      name: text(e, 'name', `spec.destinations[${i}]`),
      namespace: text(e, 'namespace', `spec.destinations[${i}]`),
    })),
    clusterResourceWhitelist: rules('clusterResourceWhitelist'),
    clusterResourceBlacklist: rules('clusterResourceBlacklist'),
    permitOnlyProjectScopedClusters: permitOnly === true,
  };
}

/** isDestinationMatched, verbatim in its logic: any entry matching allows, a failed deny pattern refuses at once. */
function destinationMatched(project: AppProjectRules, server: string, name: string, namespace: string): boolean {
  let any = false;
  for (const item of project.destinations) {
    const nameMatched = name !== '' && projectGlobMatch(item.name, name);
    const serverMatched = server !== '' && projectGlobMatch(item.server, server);
    const namespaceMatched = projectGlobMatch(item.namespace, namespace);
    if ((serverMatched || nameMatched) && namespaceMatched) any = true;
    // Go's precedence: a || (b && c).
    else if ((!nameMatched && isDenyPattern(item.name)) || (!serverMatched && isDenyPattern(item.server) && namespaceMatched)) return false;
    else if (!namespaceMatched && isDenyPattern(item.namespace) && serverMatched) return false;
  }
  return any;
}

/** IsDestinationPermitted: the destinations match, and with permitOnlyProjectScopedClusters the cluster belongs to the project. */
export function isDestinationPermitted(project: AppProjectRules, cluster: ProjectScope['cluster'], namespace: string): boolean {
  if (!destinationMatched(project, cluster.server, cluster.name, namespace)) return false;
  return !project.permitOnlyProjectScopedClusters || cluster.project === project.name;
}

/** isNamedResourceInList. */
function inList(list: ClusterResourceRule[], group: string, kind: string, name: string): boolean {
  return list.some((r) => filepathMatch(r.kind, kind) && filepathMatch(r.group, group) && (r.name === '' || filepathMatch(r.name, name)));
}

/**
 * Why the project forbids reading a non-owned object, or undefined when it permits it. A namespaced object: its namespace
 * on the destination cluster must be a destination of the project. A cluster-scoped one: the app's own destination must be
 * permitted and the project's cluster resource lists must allow the kind (IsGroupKindNamePermitted, cluster scope).
 */
export function projectDenial(scope: ProjectScope, target: LookupTarget): string | undefined {
  const { project, cluster } = scope;
  const where = cluster.name !== '' && cluster.name !== cluster.server ? `cluster "${cluster.name}" (${cluster.server})` : `cluster ${cluster.server}`;
  const what = `${groupKindString(target.group, target.kind)} ${target.namespace === '' ? '' : `${target.namespace}/`}${target.name}`;
  if (target.namespace !== '') {
    if (isDestinationPermitted(project, cluster, target.namespace)) return undefined;
    return `cannot read ${what}: AppProject "${project.name}" does not permit namespace "${target.namespace}" on ${where}`;
  }
  if (!isDestinationPermitted(project, cluster, scope.namespace)) {
    return `cannot read ${what}: AppProject "${project.name}" does not permit the app's destination (namespace "${scope.namespace}" on ${where})`;
  }
  const allowed = inList(project.clusterResourceWhitelist, target.group, target.kind, target.name);
  if (allowed && !inList(project.clusterResourceBlacklist, target.group, target.kind, target.name)) return undefined;
  return `cannot read cluster-scoped ${what}: AppProject "${project.name}" does not permit ${groupKindString(target.group, target.kind)} in its cluster resources`;
}
