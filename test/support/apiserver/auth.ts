// Bearer-token authentication and an RBAC-like authorizer with the real server's request attributes and messages.
import { forbidden, type StatusError } from './errors.js';

/** One RBAC PolicyRule; `namespaces` absent = granted cluster-wide (a ClusterRoleBinding), present = RoleBindings in those namespaces. */
export interface PolicyRule {
  verbs: string[];
  apiGroups: string[];
  resources: string[];
  resourceNames?: string[];
  namespaces?: string[];
}

/** The authorizer's view of a request (k8s.io/apiserver RequestInfo). */
export interface RequestAttributes {
  resourceRequest: boolean;
  verb: string;
  path: string;
  apiGroup: string;
  namespace: string;
  resource: string;
  subresource: string;
  name: string;
}

/** A known token's identity and permissions. */
export interface TokenEntry {
  user: string;
  /** undefined = allowed everything (system:masters). */
  rules?: PolicyRule[];
}

// Non-resource URLs every authenticated user may GET (system:discovery, system:public-info-viewer).
const DISCOVERY = [/^\/api(\/.*)?$/, /^\/apis(\/.*)?$/, /^\/version\/?$/, /^\/(healthz|livez|readyz)(\/.*)?$/, /^\/openapi\/.*$/];

// Whether one rule grants the request, with RBAC's wildcard rules ("*", "*/status", "jobs/*").
function ruleAllows(rule: PolicyRule, a: RequestAttributes): boolean {
  if (!rule.verbs.includes('*') && !rule.verbs.includes(a.verb)) return false;
  if (!rule.apiGroups.includes('*') && !rule.apiGroups.includes(a.apiGroup)) return false;
  const full = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const resOk = rule.resources.some((r) => r === '*' || r === full || (a.subresource !== '' && (r === `*/${a.subresource}` || r === `${a.resource}/*`)));
  if (!resOk) return false;
  if (rule.resourceNames?.length && !rule.resourceNames.includes(a.name)) return false;
  if (rule.namespaces) {
    // A namespaced grant never covers cluster-scoped or all-namespace requests.
    if (!a.namespace || !rule.namespaces.includes(a.namespace)) return false;
  }
  return true;
}

// The authorizer: undefined when allowed, else the 403 Status the real server writes.
export function authorize(entry: TokenEntry, a: RequestAttributes): StatusError | undefined {
  if (!entry.rules) return undefined;
  if (!a.resourceRequest) {
    if (a.verb === 'get' && DISCOVERY.some((re) => re.test(a.path))) return undefined;
    return forbidden(undefined, '', `User "${entry.user}" cannot ${a.verb} path "${a.path}"`);
  }
  if (entry.rules.some((r) => ruleAllows(r, a))) return undefined;
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const where = a.namespace ? `in the namespace "${a.namespace}"` : 'at the cluster scope';
  const why = `User "${entry.user}" cannot ${a.verb} resource "${resource}" in API group "${a.apiGroup}" ${where}`;
  return forbidden({ group: a.apiGroup, resource: a.resource }, a.name, why);
}

// RequestInfoFactory.NewRequestInfo: derives verb/namespace/resource/name purely from the path, before any routing.
export function requestAttributes(method: string, path: string, query: URLSearchParams): RequestAttributes {
  const nonResource: RequestAttributes = { resourceRequest: false, verb: method.toLowerCase(), path, apiGroup: '', namespace: '', resource: '', subresource: '', name: '' };
  let parts = path
    .split('/')
    .filter((p) => p !== '')
    .map(decodeURIComponent);
  let apiGroup = '';
  if (parts[0] === 'api') {
    if (parts.length < 3) return nonResource;
    parts = parts.slice(2);
  } else if (parts[0] === 'apis') {
    if (parts.length < 4) return nonResource;
    apiGroup = parts[1]!;
    parts = parts.slice(3);
  } else return nonResource;
  let verb = ({ POST: 'create', GET: 'get', HEAD: 'get', PUT: 'update', PATCH: 'patch', DELETE: 'delete' } as Record<string, string>)[method] ?? '';
  if (parts[0] === 'watch') {
    verb = 'watch';
    parts = parts.slice(1);
  }
  let namespace = '';
  if (parts[0] === 'namespaces' && parts.length > 1) {
    namespace = parts[1]!;
    if (parts.length > 2 && parts[2] !== 'status' && parts[2] !== 'finalize') parts = parts.slice(2);
  }
  const resource = parts[0] ?? '';
  const name = parts[1] ?? '';
  const subresource = parts[2] ?? '';
  if (!name && verb === 'get') verb = isWatch(query) ? 'watch' : 'list';
  if (!name && verb === 'delete') verb = 'deletecollection';
  let authzName = name;
  if (!name && (verb === 'list' || verb === 'watch')) {
    const m = /(?:^|,)metadata\.name==?([^,]+)/.exec(query.get('fieldSelector') ?? '');
    if (m) authzName = m[1]!;
  }
  return { resourceRequest: true, verb, path, apiGroup, namespace, resource, subresource, name: authzName };
}

// `?watch=1`, `?watch=true`: the request is a watch.
export function isWatch(query: URLSearchParams): boolean {
  const w = query.get('watch');
  return w === '1' || w === 'true';
}
