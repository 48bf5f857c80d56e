// The install methods docs/install.md documents, each checked against what it installs into:
// - plain manifests: jetway's Component over Argo CD v3.5.1's own install.yaml and ha/install.yaml
//   (../shared/fixtures/argocd/, read from there at test time), in `argocd` and in another namespace;
// - the argo-cd Helm chart: deploy/helm/jetway-values.yaml against the chart's values.yaml
//   (../shared/fixtures/argocd/helm/values-10.1.1.yaml) and the names its templates generate;
// - the Argo CD Operator: deploy/operator/ against the ArgoCD CRD's spec.repo fields and what the operator builds.
// The Helm and Operator documents carry the same containers, volumes and RBAC as deploy/: checked equal here.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import yaml from 'js-yaml';
import { repoPath } from '../support/paths.js';
import { JETWAY_CONTAINERS, checkPod, checkRbac, find, kustomize, loadDoc, loadDocs, mounts, skipRender, type Obj } from './checks.js';

const fixtures = repoPath('../shared/fixtures/argocd/');
const patch = loadDoc('deploy/repo-server-patch.yaml');
const patchPod = patch.spec.template.spec;
const rbac = loadDocs('deploy/rbac.yaml');
const pluginSpec = loadDoc('plugin.yaml').spec;
// jetway's CRDs and the FlightStatus health check have one home in deploy/; the Helm and Operator documents carry them
// unchanged, which the tests below check (the Lua itself is executed in flight-status.test.ts)
const shippedCrds: Obj[] = [loadDoc('deploy/runrecord-crd.yaml'), loadDoc('deploy/flight-status/flightstatus-crd.yaml')];
const flightStatusCrd = shippedCrds[1];
/** The argocd-cm key Argo CD reads a Lua health check from: resource.customizations.health.<group>_<Kind>. */
const healthKey = `resource.customizations.health.${flightStatusCrd.spec.group}_${flightStatusCrd.spec.names.kind}`;
const healthData: Record<string, string> = loadDoc('deploy/flight-status/argocd-cm-health.yaml').data;
const healthScript = healthData[healthKey];

/** Builds a kustomization written into a scratch directory; `files` are its own files, `components` repository paths. */
function build(kustomization: Obj, files: Record<string, string>, components: string[] = []): Obj[] {
  const dir = mkdtempSync(path.join(tmpdir(), 'jetway-install-'));
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
    // kustomize takes components by relative path only
    const rel = (p: string) => path.relative(dir, repoPath(p)) || '.';
    writeFileSync(path.join(dir, 'kustomization.yaml'), yaml.dump({ ...kustomization, components: components.map(rel) }));
    return kustomize(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Whether every label of `selector` is on `labels`. */
function selects(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

// ---- plain manifests: Argo CD's own install.yaml and ha/install.yaml ----

for (const install of ['install-v3.5.1.yaml', 'ha-install-v3.5.1.yaml']) {
  for (const namespace of ['argocd', 'gitops']) {
    test(`kustomize: jetway over Argo CD's ${install} in namespace ${namespace}`, { skip: skipRender }, () => {
      // The fixture is written into the scratch kustomization at test time (kustomize reads files only from inside a
      // kustomization's directory); jetway's Component is referenced in place, under kustomize's default load rules.
      const objects = build(
        { apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', namespace, resources: ['install.yaml'] },
        { 'install.yaml': readFileSync(fixtures + install, 'utf8') },
        ['', 'deploy/components/metrics'],
      );
      const deployment = find(objects, 'Deployment', 'argocd-repo-server');
      checkPod(deployment, [...JETWAY_CONTAINERS, 'argocd-repo-server', 'copyutil']);
      const pod = deployment.spec.template.spec;
      assert.equal(pod.serviceAccountName, 'argocd-repo-server');
      for (const name of ['var-files', 'plugins', 'tmp'])
        assert.ok(
          pod.volumes.some((v: Obj) => v.name === name),
          `Argo CD's volume ${name} is there to mount`,
        );

      // RBAC subjects follow the namespace, with no patch by the user
      const jetway = objects.filter((o) => o.metadata?.labels?.['app.kubernetes.io/name'] === 'jetway');
      checkRbac(
        jetway.filter((o) => o.kind.startsWith('Cluster') || o.kind === 'Role' || o.kind === 'RoleBinding'),
        false,
        namespace,
      );
      assert.equal(find(objects, 'ServiceAccount', 'argocd-repo-server').metadata.namespace, namespace);
      for (const o of objects.filter((x) => !x.kind.startsWith('Cluster') && x.kind !== 'CustomResourceDefinition')) {
        assert.equal(o.metadata.namespace, namespace, `${o.kind} ${o.metadata.name} in ${namespace}`);
      }

      // the metrics component reaches every repo-server replica's jetway-serve, next to Argo CD's own Service and policy
      const podLabels = deployment.spec.template.metadata.labels;
      const service = find(objects, 'Service', 'jetway-metrics');
      assert.ok(selects(service.spec.selector, podLabels), 'jetway-metrics selects the repo-server pods');
      // a named targetPort resolves to the first container port of that name in the pod (Argo CD's own container has
      // one named `metrics`): the name must lead to jetway-serve's 9464 and nothing else
      const [port] = service.spec.ports;
      const named = [...pod.initContainers, ...pod.containers].flatMap((c: Obj) => c.ports ?? []).filter((p: Obj) => p.name === port.targetPort);
      assert.deepEqual(
        named.map((p: Obj) => p.containerPort),
        [9464],
        `targetPort ${port.targetPort} is jetway-serve's port alone`,
      );
      assert.equal(port.port, 9464);
      const policy = find(objects, 'NetworkPolicy', 'jetway-metrics');
      assert.ok(selects(policy.spec.podSelector.matchLabels, podLabels), 'the policy applies to the repo-server pods');
      assert.deepEqual(
        policy.spec.ingress.flatMap((r: Obj) => r.ports.map((p: Obj) => p.port)),
        [9464],
      );
      find(objects, 'NetworkPolicy', 'argocd-repo-server-network-policy');
      find(objects, 'Service', 'argocd-repo-server');
    });
  }
}

test('kustomize: the service-monitor component scrapes the jetway-metrics Service', { skip: skipRender }, () => {
  const objects = build(
    { apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', namespace: 'gitops', resources: ['install.yaml'] },
    { 'install.yaml': readFileSync(fixtures + 'install-v3.5.1.yaml', 'utf8') },
    ['', 'deploy/components/metrics', 'deploy/components/service-monitor'],
  );
  const monitor = find(objects, 'ServiceMonitor', 'jetway');
  assert.equal(monitor.apiVersion, 'monitoring.coreos.com/v1');
  assert.equal(monitor.metadata.namespace, 'gitops', 'next to the Service it selects');
  const service = find(objects, 'Service', 'jetway-metrics');
  assert.ok(selects(monitor.spec.selector.matchLabels, service.metadata.labels), 'selects the jetway-metrics Service');
  assert.ok(!selects(monitor.spec.selector.matchLabels, find(objects, 'Service', 'argocd-repo-server').metadata.labels ?? {}), "and not Argo CD's");
  assert.deepEqual(
    monitor.spec.endpoints.map((e: Obj) => [e.port, e.path]),
    [['metrics', '/metrics']],
  );
  assert.ok(service.spec.ports.some((p: Obj) => p.name === 'metrics'));
});

// ---- the argo-cd Helm chart ----

const chartValues: Obj = yaml.load(readFileSync(fixtures + 'helm/values-10.1.1.yaml', 'utf8'));
const helmValues: Obj = loadDoc('deploy/helm/jetway-values.yaml');

/** Every leaf path of `values` that jetway sets, stopping at the free-form maps and lists the chart passes through. */
function setPaths(values: Obj, prefix = ''): string[] {
  // configs.cm: the chart writes every key into argocd-cm (Argo CD's keys hold dots, so they are not paths)
  const freeForm = ['configs.cm', 'configs.cmp.plugins', 'repoServer.podAnnotations'];
  return Object.entries(values).flatMap(([key, value]) => {
    const p = prefix ? `${prefix}.${key}` : key;
    return value !== null && typeof value === 'object' && !Array.isArray(value) && !freeForm.includes(p) ? setPaths(value, p) : [p];
  });
}

function at(values: Obj, dotted: string): unknown {
  return dotted.split('.').reduce((v: Obj, key) => (v === undefined || v === null ? undefined : v[key]), values);
}

const kind = (v: unknown) => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v);

test('Helm: every value jetway sets is one the argo-cd chart has, of the same shape', () => {
  const paths = setPaths(helmValues);
  assert.deepEqual(paths.sort(), [
    'configs.cm',
    'configs.cmp.create',
    'configs.cmp.plugins',
    'extraObjects',
    'repoServer.automountServiceAccountToken',
    'repoServer.extraContainers',
    'repoServer.podAnnotations',
    'repoServer.volumes',
  ]);
  for (const p of paths) {
    assert.notEqual(at(chartValues, p), undefined, `the chart has ${p}`);
    assert.equal(kind(at(helmValues, p)), kind(at(chartValues, p)), `${p} has the chart's shape`);
  }
  // the chart mounts the token into every container by default; jetway turns that off and mounts its own
  assert.equal(chartValues.repoServer.automountServiceAccountToken, true);
  assert.equal(helmValues.repoServer.automountServiceAccountToken, false);
  // the chart names Argo CD's container after repoServer.name
  assert.equal(helmValues.repoServer.podAnnotations['kubectl.kubernetes.io/default-container'], chartValues.repoServer.name);
  assert.equal(chartValues.repoServer.name, 'repo-server');
});

test('Helm: the same containers, volumes, plugin and RBAC as deploy/, under the names the chart generates', () => {
  // configs.cmp.plugins.jetway becomes the key jetway.yaml of the ConfigMap argocd-cmp-cm (templates/argocd-configs/argocd-cmp-cm.yaml)
  assert.equal(helmValues.configs.cmp.create, true);
  assert.deepEqual(Object.keys(helmValues.configs.cmp.plugins), ['jetway']);
  assert.deepEqual(helmValues.configs.cmp.plugins.jetway, pluginSpec, 'the spec of the repository plugin.yaml');

  const asChart = (c: Obj) => ({
    ...c,
    volumeMounts: c.volumeMounts.map((m: Obj) => (m.name === 'jetway-plugin' ? { ...m, subPath: 'jetway.yaml' } : m)),
  });
  assert.deepEqual(helmValues.repoServer.extraContainers, patchPod.containers.map(asChart));
  assert.deepEqual(
    helmValues.repoServer.volumes,
    patchPod.volumes.map((v: Obj) => (v.name === 'jetway-plugin' ? { name: v.name, configMap: { name: 'argocd-cmp-cm' } } : v)),
  );
  // the chart passes extraContainers through tpl: nothing in them may look like a template
  assert.doesNotMatch(JSON.stringify(helmValues.repoServer.extraContainers), /\{\{/);
  // every mount names a volume of the pod: jetway's, or the chart's var-files, plugins (templates/argocd-repo-server/deployment.yaml)
  const volumes = new Set([...helmValues.repoServer.volumes.map((v: Obj) => v.name), 'var-files', 'plugins']);
  for (const c of helmValues.repoServer.extraContainers) {
    for (const m of mounts(c).values()) assert.ok(volumes.has(m.name), `${c.name} mounts ${m.name}, a volume of the pod`);
  }

  // RBAC: deploy/rbac.yaml's ClusterRoles as they are; the bindings' subject is the ServiceAccount the chart makes
  const objects: Obj[] = helmValues.extraObjects;
  assert.deepEqual(
    objects.filter((o) => o.kind === 'ClusterRole'),
    rbac.filter((o) => o.kind === 'ClusterRole'),
  );
  const bindings = objects.filter((o) => o.kind === 'ClusterRoleBinding');
  assert.deepEqual(
    bindings.map((b) => b.metadata.name),
    ['jetway-lookup', 'jetway-refresh'],
  );
  for (const binding of bindings) {
    const written = find(rbac, 'ClusterRoleBinding', binding.metadata.name);
    assert.deepEqual(binding.roleRef, written.roleRef);
    // `<fullname>-repo-server` (or repoServer.serviceAccount.name) in the release's namespace, from the chart's own helpers
    assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: '{{ include "argo-cd.repoServer.serviceAccountName" . }}', namespace: '{{ include "argo-cd.namespace" . }}' }]);
  }
  // the AppProject Role and its binding, in the release's namespace
  const helmNamespace = '{{ include "argo-cd.namespace" . }}';
  assert.deepEqual(find(objects, 'Role', 'jetway-appprojects'), {
    ...find(rbac, 'Role', 'jetway-appprojects'),
    metadata: { ...find(rbac, 'Role', 'jetway-appprojects').metadata, namespace: helmNamespace },
  });
  const roleBinding = find(objects, 'RoleBinding', 'jetway-appprojects');
  assert.deepEqual(roleBinding.roleRef, find(rbac, 'RoleBinding', 'jetway-appprojects').roleRef);
  assert.deepEqual(roleBinding.subjects, [{ kind: 'ServiceAccount', name: '{{ include "argo-cd.repoServer.serviceAccountName" . }}', namespace: helmNamespace }]);
  assert.equal(objects.filter((o) => o.kind !== 'CustomResourceDefinition').length, rbac.length, 'RBAC and CRDs only');
});

test('Helm: the CRDs and the FlightStatus health check, as deploy/ ships them', () => {
  assert.deepEqual(Object.keys(healthData), [healthKey], 'deploy/flight-status has the one check, under the key Argo CD reads');
  // the chart writes configs.cm's keys into argocd-cm as they are (templates/argocd-configs/argocd-cm.yaml, the
  // argo-cd.config.cm helper: no tpl), and makes argocd-cm by default
  assert.deepEqual(Object.keys(helmValues.configs.cm), [healthKey]);
  assert.equal(helmValues.configs.cm[healthKey], healthScript, 'the Lua of deploy/flight-status, byte for byte');
  assert.equal(chartValues.configs.cm.create, true);
  // the CRDs as extraObjects, kept on uninstall as the chart keeps its own (crds.keep); the chart passes extraObjects
  // through tpl (templates/extra-manifests.yaml), so nothing in them may look like a template
  assert.equal(chartValues.crds.keep, true);
  const crds = helmValues.extraObjects.filter((o: Obj) => o.kind === 'CustomResourceDefinition');
  assert.deepEqual(
    crds.map((c: Obj) => c.metadata.name),
    shippedCrds.map((c) => c.metadata.name),
  );
  crds.forEach((crd: Obj, i: number) => {
    const { annotations, ...metadata } = crd.metadata;
    assert.deepEqual(annotations, { 'helm.sh/resource-policy': 'keep' });
    assert.deepEqual({ ...crd, metadata }, shippedCrds[i], `${crd.metadata.name} as deploy/ ships it`);
  });
  assert.doesNotMatch(JSON.stringify(crds), /\{\{/);
});

// ---- the Argo CD Operator ----

/**
 * `spec.repo` of the ArgoCD CRD, argoproj.io/v1beta1 (argoproj-labs/argocd-operator, config/crd/bases/argoproj.io_argocds.yaml
 * at cf5d1c0): the CRD is not available offline, so its field names are listed here.
 */
const operatorRepoFields = [
  'annotations',
  'autotls',
  'enabled',
  'env',
  'execTimeout',
  'extraRepoCommandArgs',
  'image',
  'initContainers',
  'labels',
  'logFormat',
  'logLevel',
  'metrics',
  'mountsatoken',
  'remote',
  'replicas',
  'resources',
  'serviceaccount',
  'sidecarContainers',
  'systemCATrust',
  'verifytls',
  'version',
  'volumeMounts',
  'volumes',
];
/** Fields of the same CRD's `spec` (v1beta1) that jetway's document may use: `repo` and `resourceHealthChecks` (a CRD of
 * that commit also has `extraConfig`, a raw argocd-cm map, which jetway does not use; v1alpha1's resourceCustomizations
 * is gone from v1beta1). */
const operatorSpecFields = ['repo', 'resourceHealthChecks'];
/** `spec.resourceHealthChecks[]` of the same CRD (v1beta1). */
const operatorHealthCheckFields = ['check', 'group', 'kind'];

test('Operator: the ArgoCD fields are CRD fields and carry the same containers and volumes as deploy/', () => {
  const cr = loadDoc('deploy/operator/argocd.yaml');
  assert.equal(cr.apiVersion, 'argoproj.io/v1beta1');
  assert.equal(cr.kind, 'ArgoCD');
  assert.deepEqual(Object.keys(cr.spec).sort(), ['repo', 'resourceHealthChecks']);
  for (const field of Object.keys(cr.spec.repo)) assert.ok(operatorRepoFields.includes(field), `spec.repo.${field} is a field of the ArgoCD CRD`);
  assert.deepEqual(cr.spec.repo.sidecarContainers, patchPod.containers);
  assert.deepEqual(cr.spec.repo.volumes, patchPod.volumes);
  // the operator's repo-server container is argocd-repo-server (controllers/argocd/repo_server.go); it keeps the token off
  assert.equal(cr.spec.repo.annotations['kubectl.kubernetes.io/default-container'], 'argocd-repo-server');
  assert.equal(cr.spec.repo.mountsatoken, undefined, "the operator default (no token in Argo CD's container) is kept");
  // every mount names a volume: jetway's, or the operator's var-files and plugins
  const volumes = new Set([...cr.spec.repo.volumes.map((v: Obj) => v.name), 'var-files', 'plugins']);
  for (const c of cr.spec.repo.sidecarContainers) {
    for (const m of mounts(c).values()) assert.ok(volumes.has(m.name), `${c.name} mounts ${m.name}, a volume of the pod`);
  }

  // the ServiceAccount, RBAC and ConfigMap the fields name are what deploy/operator/kustomization.yaml installs
  const account = loadDoc('deploy/operator/serviceaccount.yaml');
  assert.equal(cr.spec.repo.serviceaccount, account.metadata.name);
  const kustomization = loadDoc('deploy/operator/kustomization.yaml');
  assert.deepEqual(
    kustomization.resources.filter((r: string) => r.startsWith('https://')).map((r: string) => r.replace(/^.*\/v[0-9.]+\//, '')),
    ['deploy/operator/serviceaccount.yaml', 'deploy/rbac.yaml', 'deploy/runrecord-crd.yaml', 'deploy/flight-status/flightstatus-crd.yaml'],
  );
  const [generator] = kustomization.configMapGenerator;
  assert.equal(generator.name, cr.spec.repo.volumes.find((v: Obj) => v.name === 'jetway-plugin').configMap.name);
  assert.deepEqual(generator.files, ['plugin.yaml']);
  assert.equal(generator.options.disableNameSuffixHash, true, 'the ArgoCD resource names the ConfigMap literally');
});

test('Operator: resourceHealthChecks carries the FlightStatus check byte for byte, under the key the operator writes', () => {
  const cr = loadDoc('deploy/operator/argocd.yaml');
  for (const field of Object.keys(cr.spec)) assert.ok(operatorSpecFields.includes(field), `spec.${field} is a field of the ArgoCD CRD`);
  assert.equal(cr.spec.resourceHealthChecks.length, 1);
  const [check] = cr.spec.resourceHealthChecks;
  for (const field of Object.keys(check)) assert.ok(operatorHealthCheckFields.includes(field), `resourceHealthChecks[].${field} is a CRD field`);
  // getResourceHealthChecks (controllers/argocd/configmap.go): argocd-cm key resource.customizations.health.<group>_<kind>
  assert.equal(`resource.customizations.health.${check.group}_${check.kind}`, healthKey);
  assert.equal(check.check, healthScript, 'the Lua of deploy/flight-status, byte for byte');
});

test('Operator: the kustomization renders in any namespace, with the RBAC bound there', { skip: skipRender }, () => {
  // deploy/operator/kustomization.yaml with its remote resources replaced by the same files of this checkout
  const kustomization = loadDoc('deploy/operator/kustomization.yaml');
  const objects = build(
    { ...kustomization, namespace: 'gitops', resources: ['argocd.yaml', 'serviceaccount.yaml', 'rbac.yaml', 'runrecord-crd.yaml', 'flightstatus-crd.yaml'] },
    {
      'argocd.yaml': readFileSync(repoPath('deploy/operator/argocd.yaml'), 'utf8'),
      'serviceaccount.yaml': readFileSync(repoPath('deploy/operator/serviceaccount.yaml'), 'utf8'),
      'rbac.yaml': readFileSync(repoPath('deploy/rbac.yaml'), 'utf8'),
      'runrecord-crd.yaml': readFileSync(repoPath('deploy/runrecord-crd.yaml'), 'utf8'),
      'flightstatus-crd.yaml': readFileSync(repoPath('deploy/flight-status/flightstatus-crd.yaml'), 'utf8'),
      'plugin.yaml': readFileSync(repoPath('plugin.yaml'), 'utf8'),
    },
  );
  checkRbac(objects, false, 'gitops');
  assert.equal(find(objects, 'ArgoCD', 'argocd').metadata.namespace, 'gitops');
  for (const crd of shippedCrds) assert.deepEqual(find(objects, 'CustomResourceDefinition', crd.metadata.name), crd, 'cluster-scoped, as shipped');
  const configMap = find(objects, 'ConfigMap', 'jetway-plugin');
  assert.equal(configMap.metadata.namespace, 'gitops');
  assert.equal(configMap.data['plugin.yaml'], readFileSync(repoPath('plugin.yaml'), 'utf8'));
});
