// deploy/: the kustomize Component that adds jetway to a user's argocd-repo-server, its RBAC, the
// examples and the Dockerfile. The YAML is always checked as written; when kubectl is on PATH the
// Component is also rendered over a stand-in for Argo CD's repo-server Deployment and checked as built.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import yaml from 'js-yaml';
import { repoPath } from '../support/paths.js';

// Kubernetes objects are checked structurally; `any` keeps the assertions readable.
type Obj = any;

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
const JETWAY_CONTAINERS = ['jetway', 'jetway-serve'];

function loadDocs(relative: string): Obj[] {
  return yaml.loadAll(readFileSync(repoPath(relative), 'utf8')).filter((d) => d !== null && d !== undefined);
}

function loadDoc(relative: string): Obj {
  const docs = loadDocs(relative);
  assert.equal(docs.length, 1, `${relative} holds one document`);
  return docs[0];
}

function find(objects: Obj[], kind: string, name: string): Obj {
  const found = objects.filter((o) => o.kind === kind && o.metadata?.name === name);
  assert.equal(found.length, 1, `exactly one ${kind} ${name}`);
  return found[0];
}

function container(pod: Obj, name: string): Obj {
  const c = (pod.containers ?? []).find((x: Obj) => x.name === name);
  assert.ok(c, `container ${name}`);
  return c;
}

function mounts(c: Obj): Map<string, Obj> {
  return new Map((c.volumeMounts ?? []).map((m: Obj) => [m.mountPath, m]));
}

// ---- invariants shared by the written patch and the rendered Deployment ----

function checkPluginContainer(pod: Obj): void {
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
  assert.equal(m.get(SERVICE_ACCOUNT_DIR)?.name, 'jetway-token');
  const env = Object.fromEntries((c.env ?? []).map((e: Obj) => [e.name, e.value]));
  assert.equal(env['JETWAY_SOCKET'], '/var/run/jetway/jetway.sock');
  assert.equal(env['JETWAY_CACHE_DIR'], '/var/run/jetway/cache');
  assert.ok(c.resources?.requests && c.resources?.limits, 'requests and limits');
}

function checkServeContainer(pod: Obj): void {
  const c = container(pod, 'jetway-serve');
  assert.equal(c.image, container(pod, 'jetway').image, 'one image for both');
  // Explicit command: independent of the image's ENTRYPOINT (which is jetway as well).
  assert.deepEqual([...(c.command ?? []), ...(c.args ?? [])], ['jetway', 'serve', '--listen', ':9464']);
  assert.equal(c.securityContext.runAsUser, 999);
  const port = (c.ports ?? []).find((p: Obj) => p.name === 'metrics');
  assert.equal(port?.containerPort, 9464);
  for (const [probe, endpoint] of [['livenessProbe', '/healthz'], ['readinessProbe', '/readyz']] as const) {
    assert.equal(c[probe]?.httpGet?.path, endpoint, probe);
    assert.ok([9464, 'metrics'].includes(c[probe]?.httpGet?.port), `${probe} port`);
  }
  const m = mounts(c);
  assert.equal(m.get('/var/run/jetway')?.name, 'jetway-run');
  assert.equal(m.get(SERVICE_ACCOUNT_DIR)?.name, 'jetway-token');
  const env = Object.fromEntries((c.env ?? []).map((e: Obj) => [e.name, e.value]));
  assert.equal(env['JETWAY_SOCKET'], '/var/run/jetway/jetway.sock', 'both ends of the socket agree');
  assert.ok(c.resources?.requests && c.resources?.limits, 'requests and limits');
}

function checkVolumes(pod: Obj): void {
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

function checkTokenConfinement(pod: Obj): void {
  assert.equal(pod.automountServiceAccountToken, false);
  for (const c of [...(pod.initContainers ?? []), ...(pod.containers ?? [])]) {
    const tokenMounts = (c.volumeMounts ?? []).filter((m: Obj) => m.name === 'jetway-token' || m.mountPath.startsWith('/var/run/secrets'));
    if (JETWAY_CONTAINERS.includes(c.name)) {
      assert.equal(tokenMounts.length, 1, `${c.name} mounts the token`);
      assert.equal(tokenMounts[0].readOnly, true, `${c.name} mounts the token read-only`);
    } else {
      assert.deepEqual(tokenMounts, [], `${c.name} must not see the token`);
    }
  }
}

function checkHardening(pod: Obj, names: string[]): void {
  const all = [...(pod.initContainers ?? []), ...(pod.containers ?? [])];
  for (const name of names) assert.ok(all.some((c: Obj) => c.name === name), `container ${name}`);
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

function checkPod(deployment: Obj, hardened: string[]): void {
  assert.equal(deployment.kind, 'Deployment');
  assert.equal(deployment.metadata.name, 'argocd-repo-server');
  const pod = deployment.spec.template.spec;
  checkPluginContainer(pod);
  checkServeContainer(pod);
  checkVolumes(pod);
  checkTokenConfinement(pod);
  checkHardening(pod, hardened);
}

// ---- RBAC ----

interface Rule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  nonResourceURLs?: string[];
}

/** The rules a ClusterRole grants, following aggregationRule label selectors as the cluster would. */
function effectiveRules(objects: Obj[], name: string): Rule[] {
  const roles = objects.filter((o) => o.kind === 'ClusterRole');
  const role = find(roles, 'ClusterRole', name);
  const selectors: Obj[] = role.aggregationRule?.clusterRoleSelectors ?? [];
  if (selectors.length === 0) return role.rules ?? [];
  const matches = (o: Obj) =>
    selectors.some((s) => Object.entries(s.matchLabels ?? {}).every(([k, v]) => o.metadata?.labels?.[k] === v));
  return roles.filter((o) => o !== role && matches(o)).flatMap((o) => o.rules ?? []);
}

function grants(rules: Rule[], group: string, resource: string, verb: string): boolean {
  return rules.some((r) => (r.apiGroups ?? []).includes(group) && (r.resources ?? []).includes(resource) && r.verbs.includes(verb));
}

function grantSet(rules: Rule[]): string[] {
  return rules
    .flatMap((r) => (r.apiGroups ?? []).flatMap((g) => (r.resources ?? []).flatMap((res) => r.verbs.map((v) => `${g}/${res}:${v}`))))
    .sort();
}

function checkRbac(objects: Obj[], secretReads: boolean): void {
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
    ['', 'configmaps'], ['', 'services'], ['', 'pods'], ['', 'namespaces'],
    ['apps', 'deployments'], ['apps', 'statefulsets'], ['batch', 'jobs'], ['networking.k8s.io', 'ingresses'],
    ['policy', 'poddisruptionbudgets'], ['autoscaling', 'horizontalpodautoscalers'],
  ]) {
    for (const verb of ['get', 'list', 'watch']) {
      assert.ok(grants(lookup, group!, resource!, verb), `jetway-lookup can ${verb} ${resource}.${group}`);
    }
  }
  for (const verb of ['get', 'list', 'watch']) {
    assert.equal(grants(lookup, '', 'secrets', verb), secretReads, `jetway-lookup ${secretReads ? 'can' : 'cannot'} ${verb} secrets`);
  }

  assert.deepEqual(
    grantSet(effectiveRules(objects, 'jetway-refresh')),
    [
      '/events:create', '/events:patch',
      'argoproj.io/applications:get', 'argoproj.io/applications:list', 'argoproj.io/applications:patch', 'argoproj.io/applications:watch',
    ],
  );

  for (const name of ['jetway-lookup', 'jetway-refresh']) {
    const binding = find(objects, 'ClusterRoleBinding', name);
    assert.deepEqual(binding.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name });
    assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: 'argocd-repo-server', namespace: 'argocd' }]);
  }
  for (const o of objects.filter((x) => x.kind === 'RoleBinding' || x.kind === 'ClusterRoleBinding')) {
    assert.ok(['jetway-lookup', 'jetway-refresh'].includes(o.metadata.name), `no other binding (${o.metadata.name})`);
  }
}

// ---- the files as written ----

test('the entry point is a Component at the repository root generating the ConfigMap from the one plugin.yaml', () => {
  const root = loadDoc('kustomization.yaml');
  assert.equal(root.kind, 'Component');
  assert.deepEqual(root.components, ['deploy']);
  const generators: Obj[] = root.configMapGenerator;
  assert.equal(generators.length, 1);
  assert.equal(generators[0].name, 'jetway-plugin');
  assert.deepEqual(generators[0].files, ['plugin.yaml'], 'the repository plugin.yaml, under its own key');
  assert.ok(!existsSync(repoPath('deploy/plugin.yaml')), 'no second copy of plugin.yaml');

  const deploy = loadDoc('deploy/kustomization.yaml');
  assert.equal(deploy.kind, 'Component');
  assert.equal(deploy.namespace, 'argocd');
  assert.deepEqual(deploy.resources, ['rbac.yaml']);
  assert.deepEqual(deploy.patches, [{ path: 'repo-server-patch.yaml' }]);
  assert.equal(deploy.configMapGenerator, undefined);

  const secrets = loadDoc('deploy/components/secret-reads/kustomization.yaml');
  assert.equal(secrets.kind, 'Component');
});

test('the repo-server patch, as written', () => {
  const patch = loadDoc('deploy/repo-server-patch.yaml');
  checkPod(patch, JETWAY_CONTAINERS);
  // Argo CD's own volumes come from the user's install; the patch must not redefine them.
  const names = patch.spec.template.spec.volumes.map((v: Obj) => v.name);
  for (const argo of ['var-files', 'plugins', 'tmp']) assert.ok(!names.includes(argo), `patch leaves ${argo} alone`);
  assert.equal(patch.spec.template.spec.volumes.find((v: Obj) => v.name === 'jetway-plugin').configMap.name, 'jetway-plugin');
});

test('RBAC, as written: read-only lookups without Secrets, Secrets only with the component', () => {
  const base = loadDocs('deploy/rbac.yaml');
  checkRbac(base, false);
  checkRbac([...base, ...loadDocs('deploy/components/secret-reads/secret-reads.yaml')], true);
});

test('the example Applications use the jetway plugin', () => {
  const pipeline = loadDoc('deploy/examples/pipeline-application.yaml');
  assert.equal(pipeline.kind, 'Application');
  assert.equal(pipeline.spec.source.repoURL, 'https://github.com/jetway-dev/jetway.git');
  assert.equal(pipeline.spec.source.path, 'examples/pipeline');
  assert.equal(pipeline.spec.source.plugin.name, 'jetway');
  const params = Object.fromEntries(pipeline.spec.source.plugin.parameters.map((p: Obj) => [p.name, p.string ?? p.array ?? p.map]));
  assert.deepEqual(params, { wasm: 'pipeline.wasm.gz', inputFiles: ['input.json'], clusterAccess: 'true' });
  assert.ok(existsSync(repoPath('examples/pipeline/pipeline.wasm.gz')) && existsSync(repoPath('examples/pipeline/input.json')));
  assert.deepEqual(pipeline.spec.syncPolicy.automated, { prune: true, selfHeal: true });
  assert.ok(pipeline.spec.syncPolicy.syncOptions.includes('CreateNamespace=true'));
  assert.equal(pipeline.spec.destination.namespace, 'pipeline-demo');

  const migrated = loadDoc('deploy/examples/migrated-from-yokecd.yaml');
  assert.equal(migrated.spec.source.plugin.name, 'jetway');
  const names = migrated.spec.source.plugin.parameters.map((p: Obj) => p.name).sort();
  assert.deepEqual(names, ['clusterAccess', 'input', 'maxMemoryMib', 'resourceMatchers', 'timeout', 'wasm']);
  const wasm = migrated.spec.source.plugin.parameters.find((p: Obj) => p.name === 'wasm');
  assert.match(wasm.string, /^oci:\/\//);
  assert.match(readFileSync(repoPath('deploy/examples/migrated-from-yokecd.yaml'), 'utf8'), /yokecd/);
});

test('the Dockerfile agrees with the manifests', () => {
  const dockerfile = readFileSync(repoPath('Dockerfile'), 'utf8');
  const froms = [...dockerfile.matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1]);
  assert.ok(froms.length >= 2 && froms.every((f) => f === 'node:24-slim'), 'multi-stage on node:24-slim');
  assert.match(dockerfile, /^USER 999(:999)?$/m);
  assert.match(dockerfile, /^ENTRYPOINT \["jetway"\]$/m);
  assert.match(dockerfile, /npm install -g \.\/jetway-\*\.tgz --omit=dev/);
  const pkg = JSON.parse(readFileSync(repoPath('package.json'), 'utf8'));
  assert.equal(pkg.bin?.jetway, 'dist/src/cli/main.js');
  assert.ok(pkg.files.includes('dist/src') && pkg.files.includes('plugin.yaml'), 'the packed tarball carries the CLI');
  // The image tag in the manifests follows the package version.
  const patch = loadDoc('deploy/repo-server-patch.yaml');
  for (const c of patch.spec.template.spec.containers) assert.equal(c.image, `ghcr.io/jetway-dev/jetway:${pkg.version}`);
});

// ---- rendered with kubectl kustomize ----

const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
const skipRender = kubectl.error || kubectl.status !== 0 ? 'kubectl is not installed (the YAML is still checked as written above)' : false;

// A stand-in for Argo CD's argocd-repo-server Deployment (manifests/base/repo-server), cut down to what
// the sidecar contract touches.
const ARGOCD_REPO_SERVER = `
apiVersion: v1
kind: ServiceAccount
metadata:
  name: argocd-repo-server
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: argocd-repo-server
  labels: {app.kubernetes.io/name: argocd-repo-server}
spec:
  selector:
    matchLabels: {app.kubernetes.io/name: argocd-repo-server}
  template:
    metadata:
      labels: {app.kubernetes.io/name: argocd-repo-server}
    spec:
      serviceAccountName: argocd-repo-server
      automountServiceAccountToken: false
      containers:
        - name: argocd-repo-server
          image: quay.io/argoproj/argocd:latest
          args: [/usr/local/bin/argocd-repo-server]
          securityContext: &hardened
            runAsNonRoot: true
            readOnlyRootFilesystem: true
            allowPrivilegeEscalation: false
            capabilities: {drop: [ALL]}
            seccompProfile: {type: RuntimeDefault}
          volumeMounts:
            - {name: tmp, mountPath: /tmp}
            - {name: plugins, mountPath: /home/argocd/cmp-server/plugins}
            - {name: var-files, mountPath: /var/run/argocd}
      initContainers:
        - name: copyutil
          image: quay.io/argoproj/argocd:latest
          command: [sh, -c]
          args: [/bin/cp /usr/local/bin/argocd /var/run/argocd/argocd && /bin/ln -sf /var/run/argocd/argocd /var/run/argocd/argocd-cmp-server]
          securityContext: *hardened
          volumeMounts:
            - {name: var-files, mountPath: /var/run/argocd}
      volumes:
        - {name: tmp, emptyDir: {}}
        - {name: var-files, emptyDir: {}}
        - {name: plugins, emptyDir: {}}
`;

function render(components: string[]): Obj[] {
  const dir = mkdtempSync(path.join(tmpdir(), 'jetway-deploy-'));
  try {
    writeFileSync(path.join(dir, 'argocd.yaml'), ARGOCD_REPO_SERVER);
    // kustomize only takes relative component paths.
    const rel = (p: string) => path.relative(dir, repoPath(p)) || '.';
    writeFileSync(
      path.join(dir, 'kustomization.yaml'),
      yaml.dump({
        apiVersion: 'kustomize.config.k8s.io/v1beta1',
        kind: 'Kustomization',
        resources: ['argocd.yaml'],
        components: components.map(rel),
      }),
    );
    const out = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] });
    return yaml.loadAll(out).filter((d) => d !== null && d !== undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('rendered over an Argo CD install', { skip: skipRender }, () => {
  const objects = render(['']);
  const deployment = find(objects, 'Deployment', 'argocd-repo-server');
  checkPod(deployment, [...JETWAY_CONTAINERS, 'argocd-repo-server', 'copyutil']);
  const pod = deployment.spec.template.spec;

  // Argo CD's side of the contract is still there, with the volumes the plugin mounts.
  const volumes = pod.volumes.map((v: Obj) => v.name);
  for (const name of ['var-files', 'plugins', 'tmp', 'jetway-plugin', 'jetway-tmp', 'jetway-run', 'jetway-token']) {
    assert.equal(volumes.filter((v: string) => v === name).length, 1, `one volume ${name}`);
  }
  assert.equal(container(pod, 'argocd-repo-server').args[0], '/usr/local/bin/argocd-repo-server');

  // The ConfigMap is generated from the repository's plugin.yaml, byte for byte, and the pod mounts it by
  // its hashed name (a change to plugin.yaml rolls the repo-server; subPath mounts never update in place).
  const configMaps = objects.filter((o) => o.kind === 'ConfigMap');
  assert.equal(configMaps.length, 1);
  const cm = configMaps[0];
  assert.match(cm.metadata.name, /^jetway-plugin-[a-z0-9]+$/);
  assert.deepEqual(Object.keys(cm.data), ['plugin.yaml']);
  assert.equal(cm.data['plugin.yaml'], readFileSync(repoPath('plugin.yaml'), 'utf8'));
  assert.equal(pod.volumes.find((v: Obj) => v.name === 'jetway-plugin').configMap.name, cm.metadata.name);

  for (const o of objects.filter((x) => !x.kind.startsWith('Cluster'))) {
    assert.equal(o.metadata.namespace, 'argocd', `${o.kind} ${o.metadata.name} in argocd`);
  }
  checkRbac(objects, false);
});

test('rendered with the secret-reads component', { skip: skipRender }, () => {
  const objects = render(['', 'deploy/components/secret-reads']);
  checkPod(find(objects, 'Deployment', 'argocd-repo-server'), JETWAY_CONTAINERS);
  checkRbac(objects, true);
});

test('deploy/ alone is not a complete kustomization', { skip: skipRender }, () => {
  // A Component cannot be built by itself: users reference the repository root from their own kustomization.
  const result = spawnSync('kubectl', ['kustomize', repoPath('deploy')], { encoding: 'utf8' });
  assert.notEqual(result.status, 0);
});
