// Checks shared by the deploy tests: jetway's containers, volumes, token confinement, hardening and RBAC, applied to
// the files as written and to what kubectl kustomize (or the Helm and Operator documents) make of them.

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import yaml from 'js-yaml';
import { repoPath } from '../support/paths.js';

// Kubernetes objects are checked structurally; `any` keeps the assertions readable.
export type Obj = any;

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
export const JETWAY_CONTAINERS = ['jetway', 'jetway-serve'];

export function loadDocs(relative: string): Obj[] {
  return yaml.loadAll(readFileSync(repoPath(relative), 'utf8')).filter((d) => d !== null && d !== undefined);
}

export function loadDoc(relative: string): Obj {
  const docs = loadDocs(relative);
  assert.equal(docs.length, 1, `${relative} holds one document`);
  return docs[0];
}

export function find(objects: Obj[], kind: string, name: string): Obj {
  const found = objects.filter((o) => o.kind === kind && o.metadata?.name === name);
  assert.equal(found.length, 1, `exactly one ${kind} ${name}`);
  return found[0];
}

export function container(pod: Obj, name: string): Obj {
  const c = (pod.containers ?? []).find((x: Obj) => x.name === name);
  assert.ok(c, `container ${name}`);
  return c;
}

export function mounts(c: Obj): Map<string, Obj> {
  return new Map((c.volumeMounts ?? []).map((m: Obj) => [m.mountPath, m]));
}

// ---- invariants shared by the written patch and the rendered Deployment ----

export function checkPluginContainer(pod: Obj): void {
  const c = container(pod, 'jetway');
  assert.equal(c.image, 'ghcr.io/jetway-dev/jetway:0.1.0');
  assert.deepEqual(c.command, ['/var/run/argocd/argocd-cmp-server']);
  assert.equal(c.args, undefined, 'the cmp-server takes no args');
  assert.equal(c.securityContext.runAsUser, 999);
  const m = mounts(c);
  assert.equal(m.get('/var/run/argocd')?.name, 'var-files');
  assert.equal(m.get('/home/argocd/cmp-server/plugins')?.name, 'plugins');
  const config = m.get('/home/argocd/cmp-server/config/plugin.yaml');
  assert.equal(config?.name, 'jetway-plugin');
  assert.equal(config?.subPath, 'plugin.yaml');
  assert.equal(m.get('/tmp')?.name, 'jetway-tmp');
  assert.equal(m.get('/var/run/jetway')?.name, 'jetway-run');
  // it unpacks app authors' repositories: no cluster credentials in its mounts or env (issue 14); jetway serve holds them
  assert.equal(m.get(SERVICE_ACCOUNT_DIR), undefined, 'the plugin container mounts no ServiceAccount token');
  const tokenVolumes = new Set((pod.volumes ?? []).filter((v: Obj) => v.projected?.sources?.some((s: Obj) => s.serviceAccountToken) || v.secret).map((v: Obj) => v.name));
  assert.deepEqual(
    [...m.values()].filter((mount: Obj) => tokenVolumes.has(mount.name) || mount.mountPath.startsWith('/var/run/secrets')),
    [],
    'no token or Secret volume',
  );
  for (const e of c.env ?? []) {
    assert.ok(!['JETWAY_KUBECONFIG', 'KUBECONFIG'].includes(e.name) && e.valueFrom?.secretKeyRef === undefined, `no credentials in the plugin container's env (${e.name})`);
  }
  assert.equal(c.envFrom, undefined, 'no env from Secrets or ConfigMaps');
  const env = Object.fromEntries((c.env ?? []).map((e: Obj) => [e.name, e.value]));
  assert.equal(env['JETWAY_SOCKET'], '/var/run/jetway/jetway.sock');
  assert.equal(env['JETWAY_CACHE_DIR'], '/var/run/jetway/cache');
  assert.ok(c.resources?.requests && c.resources?.limits, 'requests and limits');
}

export function checkServeContainer(pod: Obj): void {
  const c = container(pod, 'jetway-serve');
  assert.equal(c.image, container(pod, 'jetway').image, 'one image for both');
  // Explicit command: independent of the image's ENTRYPOINT (which is jetway as well).
  assert.deepEqual([...(c.command ?? []), ...(c.args ?? [])], ['jetway', 'serve', '--listen', ':9464']);
  assert.equal(c.securityContext.runAsUser, 999);
  const port = (c.ports ?? []).find((p: Obj) => p.name === 'jetway-metrics');
  assert.equal(port?.containerPort, 9464);
  for (const [probe, endpoint] of [
    ['livenessProbe', '/healthz'],
    ['readinessProbe', '/readyz'],
  ] as const) {
    assert.equal(c[probe]?.httpGet?.path, endpoint, probe);
    assert.ok([9464, 'jetway-metrics'].includes(c[probe]?.httpGet?.port), `${probe} port`);
  }
  const m = mounts(c);
  assert.equal(m.get('/var/run/jetway')?.name, 'jetway-run');
  assert.equal(m.get(SERVICE_ACCOUNT_DIR)?.name, 'jetway-token');
  const env = Object.fromEntries((c.env ?? []).map((e: Obj) => [e.name, e.value]));
  assert.equal(env['JETWAY_SOCKET'], '/var/run/jetway/jetway.sock', 'both ends of the socket agree');
  // Argo CD's namespace is the pod's own, whatever namespace it is installed in
  const podNamespace = (c.env ?? []).find((e: Obj) => e.name === 'POD_NAMESPACE');
  assert.deepEqual(podNamespace?.valueFrom, { fieldRef: { fieldPath: 'metadata.namespace' } }, 'POD_NAMESPACE from the downward API');
  assert.ok(c.resources?.requests && c.resources?.limits, 'requests and limits');
}

// Why: without these the service declines every generate (src/service/generate-handler.ts) and each one runs as a Node
// process in the plugin container: correct, but several times slower.
export function checkServeDoesGenerates(pod: Obj): void {
  const serve = container(pod, 'jetway-serve');
  const tmp = mounts(serve).get('/tmp');
  assert.equal(tmp?.name, mounts(container(pod, 'jetway')).get('/tmp')?.name, "jetway-serve mounts the plugin's /tmp, where the cmp-server unpacks sources, at the same path");
  assert.equal(tmp?.readOnly, true, 'the service only reads the sources');
  const env = (c: Obj) => Object.fromEntries((c.env ?? []).filter((e: Obj) => e.value !== undefined).map((e: Obj) => [e.name, e.value]));
  assert.equal(env(serve)['JETWAY_SOURCES_DIR'], '/tmp/_cmp_server', "Argo CD's cmp-server unpacks into $TMPDIR/_cmp_server");
  const locations = ['JETWAY_SOCKET', 'JETWAY_CACHE_DIR', 'JETWAY_SOURCES_DIR'];
  const policy = (e: Record<string, string>) =>
    Object.entries(e)
      .filter(([k]) => k.startsWith('JETWAY_') && !locations.includes(k))
      .sort();
  assert.deepEqual(policy(env(serve)), policy(env(container(pod, 'jetway'))), 'the same JETWAY_* policy on both containers');
}

export function checkVolumes(pod: Obj): void {
  const volumes = new Map((pod.volumes ?? []).map((v: Obj) => [v.name, v]));
  const token: Obj = volumes.get('jetway-token');
  assert.ok(token?.projected, 'jetway-token is a projected volume');
  const sources: Obj[] = token.projected.sources;
  const sat = sources.find((s) => s.serviceAccountToken)?.serviceAccountToken;
  assert.equal(sat?.expirationSeconds, 3600);
  assert.equal(sat?.path, 'token');
  assert.equal(sat?.audience, undefined, 'the API server audience');
  const ca = sources.find((s) => s.configMap)?.configMap;
  assert.equal(ca?.name, 'kube-root-ca.crt');
  assert.deepEqual(ca?.items, [{ key: 'ca.crt', path: 'ca.crt' }]);
  const ns = sources.find((s) => s.downwardAPI)?.downwardAPI;
  assert.deepEqual(
    ns?.items?.map((i: Obj) => [i.path, i.fieldRef?.fieldPath]),
    [['namespace', 'metadata.namespace']],
  );
  assert.ok((volumes.get('jetway-tmp') as Obj)?.emptyDir, 'jetway-tmp is an emptyDir');
  assert.ok((volumes.get('jetway-run') as Obj)?.emptyDir, 'jetway-run is an emptyDir');
  assert.ok((volumes.get('jetway-plugin') as Obj)?.configMap?.name?.startsWith('jetway-plugin'), 'jetway-plugin is the ConfigMap');
}

export function checkTokenConfinement(pod: Obj): void {
  assert.equal(pod.automountServiceAccountToken, false);
  for (const c of [...(pod.initContainers ?? []), ...(pod.containers ?? [])]) {
    const tokenMounts = (c.volumeMounts ?? []).filter((m: Obj) => m.name === 'jetway-token' || m.mountPath.startsWith('/var/run/secrets'));
    if (c.name === 'jetway-serve') {
      assert.equal(tokenMounts.length, 1, `${c.name} mounts the token`);
      assert.equal(tokenMounts[0].readOnly, true, `${c.name} mounts the token read-only`);
    } else {
      assert.deepEqual(tokenMounts, [], `${c.name} must not see the token`);
    }
  }
}

export function checkHardening(pod: Obj, names: string[]): void {
  const all = [...(pod.initContainers ?? []), ...(pod.containers ?? [])];
  for (const name of names)
    assert.ok(
      all.some((c: Obj) => c.name === name),
      `container ${name}`,
    );
  for (const c of all) {
    const sc = c.securityContext ?? {};
    assert.equal(sc.runAsNonRoot, true, `${c.name} runAsNonRoot`);
    assert.notEqual(sc.runAsUser, 0, `${c.name} not uid 0`);
    assert.equal(sc.readOnlyRootFilesystem, true, `${c.name} readOnlyRootFilesystem`);
    assert.equal(sc.allowPrivilegeEscalation, false, `${c.name} allowPrivilegeEscalation`);
    assert.deepEqual(sc.capabilities?.drop, ['ALL'], `${c.name} drops ALL`);
    assert.notEqual(sc.privileged, true, `${c.name} unprivileged`);
    if (JETWAY_CONTAINERS.includes(c.name)) {
      assert.equal(sc.seccompProfile?.type, 'RuntimeDefault', `${c.name} seccomp`);
      assert.equal(sc.capabilities?.add, undefined, `${c.name} adds no capability`);
    }
  }
}

export function checkPod(deployment: Obj, hardened: string[]): void {
  assert.equal(deployment.kind, 'Deployment');
  assert.equal(deployment.metadata.name, 'argocd-repo-server');
  // kubectl logs/exec on the Deployment land in Argo CD's container, not in a jetway one
  assert.equal(deployment.spec.template.metadata?.annotations?.['kubectl.kubernetes.io/default-container'], 'argocd-repo-server');
  const pod = deployment.spec.template.spec;
  checkPluginContainer(pod);
  checkServeContainer(pod);
  checkServeDoesGenerates(pod);
  checkVolumes(pod);
  checkTokenConfinement(pod);
  checkHardening(pod, hardened);
}

// ---- RBAC ----

export interface Rule {
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  verbs: string[];
  nonResourceURLs?: string[];
}

/** The rules a ClusterRole grants, following aggregationRule label selectors as the cluster would. */
export function effectiveRules(objects: Obj[], name: string): Rule[] {
  const roles = objects.filter((o) => o.kind === 'ClusterRole');
  const role = find(roles, 'ClusterRole', name);
  const selectors: Obj[] = role.aggregationRule?.clusterRoleSelectors ?? [];
  if (selectors.length === 0) return role.rules ?? [];
  const matches = (o: Obj) => selectors.some((s) => Object.entries(s.matchLabels ?? {}).every(([k, v]) => o.metadata?.labels?.[k] === v));
  return roles.filter((o) => o !== role && matches(o)).flatMap((o) => o.rules ?? []);
}

export function grants(rules: Rule[], group: string, resource: string, verb: string): boolean {
  return rules.some((r) => (r.apiGroups ?? []).includes(group) && (r.resources ?? []).includes(resource) && r.verbs.includes(verb));
}

export function grantSet(rules: Rule[]): string[] {
  return rules.flatMap((r) => (r.apiGroups ?? []).flatMap((g) => (r.resources ?? []).flatMap((res) => r.verbs.map((v) => `${g}/${res}:${v}`)))).sort();
}

/** jetway's RBAC: `namespace` is where the bindings' subject must be (undefined as written: kustomize fills it in). */
export function checkRbac(objects: Obj[], secretReads: boolean, namespace: string | undefined): void {
  for (const o of objects.filter((x) => x.kind === 'ClusterRole' || x.kind === 'Role')) {
    for (const r of o.rules ?? []) {
      for (const field of ['verbs', 'resources', 'apiGroups', 'resourceNames'] as const) {
        for (const v of r[field] ?? []) assert.ok(!v.includes('*'), `${o.metadata.name}: no wildcard in ${field} (${v})`);
      }
      assert.equal(r.nonResourceURLs, undefined, `${o.metadata.name}: no nonResourceURLs`);
    }
  }

  const lookup = effectiveRules(objects, 'jetway-lookup');
  for (const r of lookup) {
    for (const v of r.verbs) assert.ok(['get', 'list', 'watch'].includes(v), `jetway-lookup is read-only, not ${v}`);
  }
  for (const [group, resource] of [
    ['', 'configmaps'],
    ['', 'services'],
    ['', 'pods'],
    ['', 'namespaces'],
    ['apps', 'deployments'],
    ['apps', 'statefulsets'],
    ['batch', 'jobs'],
    ['networking.k8s.io', 'ingresses'],
    ['policy', 'poddisruptionbudgets'],
    ['autoscaling', 'horizontalpodautoscalers'],
  ]) {
    for (const verb of ['get', 'list', 'watch']) {
      assert.ok(grants(lookup, group!, resource!, verb), `jetway-lookup can ${verb} ${resource}.${group}`);
    }
  }
  for (const verb of ['get', 'list', 'watch']) {
    assert.equal(grants(lookup, '', 'secrets', verb), secretReads, `jetway-lookup ${secretReads ? 'can' : 'cannot'} ${verb} secrets`);
  }

  assert.deepEqual(grantSet(effectiveRules(objects, 'jetway-refresh')), [
    '/events:create',
    '/events:patch',
    'argoproj.io/applications:get',
    'argoproj.io/applications:list',
    'argoproj.io/applications:patch',
    'argoproj.io/applications:watch',
    'coordination.k8s.io/leases:create',
    'coordination.k8s.io/leases:get',
    'coordination.k8s.io/leases:update',
    'jetway.dev/runrecords:create',
    'jetway.dev/runrecords:get',
    'jetway.dev/runrecords:list',
    'jetway.dev/runrecords:update',
    'jetway.dev/runrecords:watch',
  ]);

  for (const name of ['jetway-lookup', 'jetway-refresh']) {
    const binding = find(objects, 'ClusterRoleBinding', name);
    assert.deepEqual(binding.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name });
    assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: 'argocd-repo-server', ...(namespace === undefined ? {} : { namespace }) }]);
  }
  // the opt-in syncs read AppProjects (sync windows): get only, and only in Argo CD's namespace (a Role)
  const appprojects = find(objects, 'Role', 'jetway-appprojects');
  // and Argo CD's cluster Secrets (destinations, issue 14): list, in Argo CD's namespace only; and argocd-cm alone
  // (cluster.inClusterEnabled): get, by name
  assert.deepEqual(grantSet(appprojects.rules), ['/configmaps:get', '/secrets:list', 'argoproj.io/appprojects:get']);
  assert.deepEqual(
    appprojects.rules.filter((r: Rule) => (r.resources ?? []).includes('configmaps')).map((r: Rule) => r.resourceNames),
    [['argocd-cm']],
    'only the ConfigMap argocd-cm',
  );
  const appprojectsBinding = find(objects, 'RoleBinding', 'jetway-appprojects');
  assert.deepEqual(appprojectsBinding.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'jetway-appprojects' });
  assert.deepEqual(appprojectsBinding.subjects, [{ kind: 'ServiceAccount', name: 'argocd-repo-server', ...(namespace === undefined ? {} : { namespace }) }]);
  for (const o of objects.filter((x) => x.kind === 'RoleBinding' || x.kind === 'ClusterRoleBinding')) {
    assert.ok(['jetway-lookup', 'jetway-refresh', 'jetway-appprojects'].includes(o.metadata.name), `no other binding (${o.metadata.name})`);
  }
}

// ---- kubectl kustomize ----

const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
const kubectlMissing = kubectl.error !== undefined || kubectl.status !== 0;
/**
 * The render tests need kubectl. Skipped on a developer machine without it; in CI (.ci/run installs it) a missing
 * kubectl fails them instead, so they cannot silently stop running.
 */
export const skipRender = kubectlMissing && !process.env['CI'] ? 'kubectl is not installed (the YAML is still checked as written)' : false;

/** `kubectl kustomize DIR` as YAML objects. */
export function kustomize(dir: string): Obj[] {
  const out = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
  return yaml.loadAll(out).filter((d) => d !== null && d !== undefined);
}
