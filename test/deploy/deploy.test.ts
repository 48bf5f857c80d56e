// deploy/: the kustomize Component that adds jetway to a user's argocd-repo-server, its RBAC, the
// examples and the Dockerfile. The YAML is always checked as written; with kubectl the Component is also
// rendered over a stand-in for Argo CD's repo-server Deployment and checked as built (installs.test.ts renders it
// over Argo CD's real install manifests, and checks the Helm and Operator documents).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import yaml from 'js-yaml';
import { repoPath } from '../support/paths.js';
import { JETWAY_CONTAINERS, checkPod, checkRbac, container, find, kustomize, loadDoc, loadDocs, skipRender, type Obj } from './checks.js';
// ---- the files as written ----

test('the entry point is a Component at the repository root generating the ConfigMap from the one plugin.yaml', () => {
  const root = loadDoc('kustomization.yaml');
  assert.equal(root.kind, 'Component');
  assert.deepEqual(root.components, ['deploy', 'deploy/flight-status']);
  const generators: Obj[] = root.configMapGenerator;
  assert.equal(generators.length, 1);
  assert.equal(generators[0].name, 'jetway-plugin');
  assert.deepEqual(generators[0].files, ['plugin.yaml'], 'the repository plugin.yaml, under its own key');
  assert.ok(!existsSync(repoPath('deploy/plugin.yaml')), 'no second copy of plugin.yaml');

  const deploy = loadDoc('deploy/kustomization.yaml');
  assert.equal(deploy.kind, 'Component');
  assert.equal(deploy.namespace, 'argocd');
  assert.deepEqual(deploy.resources, ['rbac.yaml', 'runrecord-crd.yaml']);
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
  checkRbac(base, false, undefined);
  checkRbac([...base, ...loadDocs('deploy/components/secret-reads/secret-reads.yaml')], true, undefined);
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
  // plugin.yaml's command is the launcher, installed on PATH by the package, and it relays over curl
  const plugin = yaml.load(readFileSync(repoPath('plugin.yaml'), 'utf8')) as Obj;
  assert.deepEqual(plugin.spec.generate.command, ['jetway-generate']);
  assert.equal(pkg.bin?.['jetway-generate'], 'bin/jetway-generate');
  assert.ok(pkg.files.includes('bin'), 'the packed tarball carries the launcher');
  assert.match(dockerfile, /apt-get install -y --no-install-recommends curl/);
  // The image tag in the manifests follows the package version.
  const patch = loadDoc('deploy/repo-server-patch.yaml');
  for (const c of patch.spec.template.spec.containers) assert.equal(c.image, `ghcr.io/jetway-dev/jetway:${pkg.version}`);
});

// ---- rendered with kubectl kustomize ----

// A stand-in for Argo CD's argocd-repo-server Deployment (manifests/base/repo-server), cut down to what
// the sidecar contract touches.
const ARGOCD_REPO_SERVER = `
apiVersion: v1
kind: ConfigMap
metadata:
  name: argocd-cm
data:
  url: https://argocd.example.com
---
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
    return kustomize(dir);
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
  const configMaps = objects.filter((o) => o.kind === 'ConfigMap' && o.metadata.name !== 'argocd-cm');
  assert.equal(configMaps.length, 1);
  const cm = configMaps[0];
  assert.match(cm.metadata.name, /^jetway-plugin-[a-z0-9]+$/);
  assert.deepEqual(Object.keys(cm.data), ['plugin.yaml']);
  assert.equal(cm.data['plugin.yaml'], readFileSync(repoPath('plugin.yaml'), 'utf8'));
  assert.equal(pod.volumes.find((v: Obj) => v.name === 'jetway-plugin').configMap.name, cm.metadata.name);

  for (const o of objects.filter((x) => !x.kind.startsWith('Cluster') && x.kind !== 'CustomResourceDefinition')) {
    assert.equal(o.metadata.namespace, 'argocd', `${o.kind} ${o.metadata.name} in argocd`);
  }
  checkRbac(objects, false, 'argocd');

  // deploy/flight-status: the FlightStatus CRD, and its Lua health check merged into the install's argocd-cm
  assert.ok(find(objects, 'CustomResourceDefinition', 'flightstatuses.jetway.dev'));
  const argocdCm = find(objects, 'ConfigMap', 'argocd-cm');
  assert.equal(argocdCm.data.url, 'https://argocd.example.com', "the install's own settings are kept");
  assert.match(argocdCm.data['resource.customizations.health.jetway.dev_FlightStatus'], /hs.status = "Progressing"/);
});

test('rendered with the secret-reads component', { skip: skipRender }, () => {
  const objects = render(['', 'deploy/components/secret-reads']);
  checkPod(find(objects, 'Deployment', 'argocd-repo-server'), JETWAY_CONTAINERS);
  checkRbac(objects, true, 'argocd');
});

test('deploy/ alone is not a complete kustomization', { skip: skipRender }, () => {
  // A Component cannot be built by itself: users reference the repository root from their own kustomization.
  const result = spawnSync('kubectl', ['kustomize', repoPath('deploy')], { encoding: 'utf8' });
  assert.notEqual(result.status, 0);
});
