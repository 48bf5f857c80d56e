// The environment the repo-server streams to the sidecar (argo-cd reposerver/repository/repository.go).

import type { Application, ClusterInfo, PluginParameter } from './types.js';

// Builds the `NAME=value` list the repo-server streams to the sidecar, in Argo CD's order.
export function buildRequestEnv(app: Application, cluster: ClusterInfo, argocdNamespace = 'argocd'): string[] {
  const src = app.source;
  const build: [string, string][] = [
    ['ARGOCD_APP_NAME', instanceName(app, argocdNamespace)],
    ['ARGOCD_APP_NAMESPACE', app.destinationNamespace ?? ''],
    ['ARGOCD_APP_PROJECT_NAME', app.project],
    ['ARGOCD_APP_REVISION', app.revision],
    ['ARGOCD_APP_REVISION_SHORT', app.revision.slice(0, 7)],
    ['ARGOCD_APP_REVISION_SHORT_8', app.revision.slice(0, 8)],
    ['ARGOCD_APP_SOURCE_REPO_URL', src.repoURL],
    ['ARGOCD_APP_SOURCE_PATH', src.path],
    ['ARGOCD_APP_SOURCE_TARGET_REVISION', src.targetRevision ?? ''],
    ['KUBE_VERSION', kubeVersion(cluster.kubeVersion)],
    ['KUBE_API_VERSIONS', cluster.apiVersions.join(',')],
  ];
  const vars = new Map(build);
  const env = build.map(([k, v]) => `${k}=${v}`);
  if (src.plugin === undefined) return env;
  for (const entry of src.plugin.env ?? []) {
    env.push(`ARGOCD_ENV_${entry.name}=${goExpand(entry.value, (name) => (name === '$' ? '$' : (vars.get(name) ?? '')))}`);
  }
  return [...env, ...parameterEnv(src.plugin.parameters ?? [])];
}

// Argo CD passes `<appNamespace>_<name>` for Applications outside its own namespace (InstanceName).
export function instanceName(app: Application, argocdNamespace: string): string {
  return app.namespace === undefined || app.namespace === '' || app.namespace === argocdNamespace ? app.name : `${app.namespace}_${app.name}`;
}

// KUBE_VERSION is the cluster version normalised by k8s.io/apimachinery version.ParseGeneric(...).String().
function kubeVersion(version: string): string {
  if (version === '') return '';
  const m = /^\s*v?([0-9]+(?:\.[0-9]+)*)(.*)*$/.exec(version);
  const parts = m?.[1]?.split('.') ?? [];
  if (parts.length < 2) throw new Error(`could not parse kubernetes version ${version}: illegal version string "${version}"`);
  return parts.map((p) => String(Number.parseInt(p, 10))).join('.');
}

// ApplicationSourcePluginParameters.Environ: one JSON array (Go json.Marshal: sorted keys) plus PARAM_* variables.
function parameterEnv(params: PluginParameter[]): string[] {
  // An empty list travels over gRPC as nil, which json.Marshal writes as `null`.
  const json = params.length === 0 ? 'null' : goJson(params.map(parameterJson));
  const env = [`ARGOCD_APP_PARAMETERS=${json}`];
  for (const p of params) {
    const base = `PARAM_${escapeParamName(p.name)}`;
    if (p.string !== undefined) env.push(`${base}=${p.string}`);
    for (const [k, v] of Object.entries(p.map ?? {})) env.push(`${base}_${escapeParamName(k)}=${v}`);
    (p.array ?? []).forEach((v, i) => env.push(`${base}_${i}=${v}`));
  }
  return env;
}

// ApplicationSourcePluginParameter.MarshalJSON: name always, the other keys only when set.
function parameterJson(p: PluginParameter): Record<string, unknown> {
  const out: Record<string, unknown> = { name: p.name };
  if (p.string !== undefined) out.string = p.string;
  if (p.map !== undefined) out.map = p.map;
  if (p.array !== undefined) out.array = p.array;
  return out;
}

// `escaped` in types.go: upper-case, then every char outside [A-Z0-9_] becomes `_`.
function escapeParamName(name: string): string {
  return name.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
}

// os.Expand, which Env.Envsubst uses: `$NAME`, `${NAME}`, `${}`/`${` eaten, `$` before a non-name kept.
export function goExpand(s: string, lookup: (name: string) => string): string {
  let out = '';
  let i = 0;
  for (let j = 0; j < s.length; j++) {
    if (s[j] !== '$' || j + 1 >= s.length) continue;
    out += s.slice(i, j);
    const [name, width] = shellName(s.slice(j + 1));
    if (name === '' && width === 0) out += '$';
    else if (name !== '') out += lookup(name);
    j += width;
    i = j + 1;
  }
  return out + s.slice(i);
}

// os.getShellName: the variable name after `$` and how many bytes it spans.
function shellName(s: string): [string, number] {
  const special = (c: string | undefined) => c !== undefined && '*#$@!?-0123456789'.includes(c);
  if (s[0] === '{') {
    if (s.length > 2 && special(s[1]) && s[2] === '}') return [s.slice(1, 2), 3];
    const close = s.indexOf('}', 1);
    if (close === 1) return ['', 2];
    return close === -1 ? ['', 1] : [s.slice(1, close), close + 1];
  }
  if (special(s[0])) return [s.slice(0, 1), 1];
  const width = /^[A-Za-z0-9_]*/.exec(s)?.[0].length ?? 0;
  return [s.slice(0, width), width];
}

// Go's encoding/json Marshal of maps and slices: keys sorted, compact, `<>&` and U+2028/9 escaped.
export function goJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(goJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const rec = value as Record<string, unknown>;
    const keys = Object.keys(rec)
      .filter((k) => rec[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${goJson(k)}:${goJson(rec[k])}`).join(',')}}`;
  }
  const json = JSON.stringify(value) ?? 'null';
  return json.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
