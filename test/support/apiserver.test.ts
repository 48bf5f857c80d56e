// Proves the fake API server behaves like a real one, as seen through @kubernetes/client-node 1.4.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  ApiException,
  ApisApi,
  ApiextensionsV1Api,
  BatchV1Api,
  CoreApi,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  VersionApi,
  Watch,
  makeInformer,
  setHeaderOptions,
  type V1ConfigMap,
  type V1Job,
} from '@kubernetes/client-node';
import { startApiServer, makeCrd, type FakeApiServer } from './apiserver.js';

let api: FakeApiServer;
let kc: KubeConfig;
const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

before(async () => {
  api = await startApiServer();
  kc = new KubeConfig();
  kc.loadFromFile(api.kubeconfig());
});
after(async () => {
  await api.close();
});

// The Status body of a failed client-node call (1.4 keeps it as a JSON string on ApiException.body).
async function statusOf(p: Promise<unknown>): Promise<{ code: number; body: Record<string, any> | undefined }> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof ApiException, `expected ApiException, got ${String(e)}`);
    const b = (e as ApiException<unknown>).body;
    return { code: (e as ApiException<unknown>).code, body: typeof b === 'string' && b ? JSON.parse(b) : undefined };
  }
  assert.fail('call succeeded');
}

// A raw GET through the kubeconfig's TLS and auth, for what the typed clients cannot express.
async function rawGet(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const https = await import('node:https');
  // applyToHTTPSOptions mutates its argument (ca, agent, Authorization) and returns nothing.
  const opts: import('node:https').RequestOptions = { headers: { ...headers } };
  await kc.applyToHTTPSOptions(opts);
  const u = new URL(kc.getCurrentCluster()!.server + path);
  return new Promise((resolve, reject) => {
    const req = https.request({ ...opts, hostname: u.hostname, port: u.port, path: u.pathname + u.search, method: 'GET' }, (res) => {
      let data = '';
      res.on('data', (c) => (data += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data ? JSON.parse(data) : undefined }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('discovery: /version, /api, /apis with preferredVersion, resource lists with subresources', async () => {
  const v = await kc.makeApiClient(VersionApi).getCode();
  assert.equal(v.gitVersion, 'v1.31.2');
  const core = await kc.makeApiClient(CoreApi).getAPIVersions();
  assert.deepEqual(core.versions, ['v1']);
  const groups = await kc.makeApiClient(ApisApi).getAPIVersions();
  const names = groups.groups.map((g) => g.name);
  for (const g of ['apps', 'batch', 'apiextensions.k8s.io', 'rbac.authorization.k8s.io', 'argoproj.io']) assert.ok(names.includes(g), g);
  assert.equal(groups.groups.find((g) => g.name === 'argoproj.io')?.preferredVersion?.groupVersion, 'argoproj.io/v1alpha1');
  const v1 = await kc.makeApiClient(CoreV1Api).getAPIResources();
  const secrets = v1.resources.find((r) => r.name === 'secrets');
  assert.equal(secrets?.kind, 'Secret');
  assert.equal(secrets?.namespaced, true);
  assert.equal(v1.resources.find((r) => r.name === 'namespaces')?.namespaced, false);
  assert.deepEqual(v1.resources.find((r) => r.name === 'configmaps')?.shortNames, ['cm']);
  const batch = await kc.makeApiClient(BatchV1Api).getAPIResources();
  assert.equal(batch.groupVersion, 'batch/v1');
  assert.deepEqual(batch.resources.find((r) => r.name === 'jobs/status')?.verbs, ['get', 'patch', 'update']);
  const argo = await rawGet('/apis/argoproj.io/v1alpha1');
  assert.equal(argo.body.resources[0].name, 'applications');
  assert.equal(argo.body.resources.length, 1, 'Argo CD Application has no status subresource');
  const missing = await rawGet('/apis/nope.example.com/v1');
  assert.equal(missing.status, 404);
  assert.equal(missing.body.message, 'the server could not find the requested resource');
});

test('create, get, 409 AlreadyExists, 404 NotFound with real messages', async () => {
  const core = kc.makeApiClient(CoreV1Api);
  const created = await core.createNamespacedSecret({ namespace: 'default', body: { metadata: { name: 'creds' }, stringData: { a: 'b' } } });
  assert.equal(created.data?.a, Buffer.from('b').toString('base64'));
  assert.equal(created.type, 'Opaque');
  assert.ok(created.metadata?.uid && created.metadata.resourceVersion && created.metadata.creationTimestamp);
  const got = await core.readNamespacedSecret({ namespace: 'default', name: 'creds' });
  assert.equal(got.metadata?.resourceVersion, created.metadata?.resourceVersion);
  const dup = await statusOf(core.createNamespacedSecret({ namespace: 'default', body: { metadata: { name: 'creds' } } }));
  assert.equal(dup.code, 409);
  assert.equal(dup.body?.reason, 'AlreadyExists');
  assert.equal(dup.body?.message, 'secrets "creds" already exists');
  const nf = await statusOf(core.readNamespacedSecret({ namespace: 'default', name: 'foo' }));
  assert.equal(nf.code, 404);
  assert.deepEqual(nf.body, {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: 'secrets "foo" not found',
    reason: 'NotFound',
    details: { name: 'foo', kind: 'secrets' },
    code: 404,
  });
  const job = await statusOf(kc.makeApiClient(BatchV1Api).readNamespacedJob({ namespace: 'default', name: 'x' }));
  assert.equal(job.body?.message, 'jobs.batch "x" not found');
  const noNs = await statusOf(core.createNamespacedConfigMap({ namespace: 'ghost', body: { metadata: { name: 'c' } } }));
  assert.equal(noNs.body?.message, 'namespaces "ghost" not found');
});

test('merge patch, json patch, stale PUT conflict, no-op update keeps the resourceVersion', async () => {
  const core = kc.makeApiClient(CoreV1Api);
  const cm = await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'p', labels: { a: '1' } }, data: { x: '1', y: '2' } } });
  const patched = await core.patchNamespacedConfigMap({ namespace: 'default', name: 'p', body: { data: { y: null, z: '3' } } }, merge);
  assert.deepEqual(patched.data, { x: '1', z: '3' });
  assert.ok(Number(patched.metadata?.resourceVersion) > Number(cm.metadata?.resourceVersion));
  const jp = await core.patchNamespacedConfigMap(
    { namespace: 'default', name: 'p', body: [{ op: 'replace', path: '/data/x', value: '9' }] },
    setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
  );
  assert.equal(jp.data?.x, '9');
  // No-op: same patch again, and a PUT of the object as read.
  const again = await core.patchNamespacedConfigMap({ namespace: 'default', name: 'p', body: { data: { z: '3' } } }, merge);
  assert.equal(again.metadata?.resourceVersion, jp.metadata?.resourceVersion);
  const rvBefore = api.resourceVersion;
  const same = await core.replaceNamespacedConfigMap({ namespace: 'default', name: 'p', body: again });
  assert.equal(same.metadata?.resourceVersion, again.metadata?.resourceVersion);
  assert.equal(api.resourceVersion, rvBefore);
  // Stale resourceVersion.
  const stale: V1ConfigMap = { ...cm, data: { q: '1' } };
  const c = await statusOf(core.replaceNamespacedConfigMap({ namespace: 'default', name: 'p', body: stale }));
  assert.equal(c.code, 409);
  assert.equal(c.body?.reason, 'Conflict');
  assert.equal(c.body?.message, 'Operation cannot be fulfilled on configmaps "p": the object has been modified; please apply your changes to the latest version and try again');
  // Without the content-type option, client-node sends application/json-patch+json and the server rejects an object body.
  const wrong = await statusOf(core.patchNamespacedConfigMap({ namespace: 'default', name: 'p', body: { data: { x: '2' } } }));
  assert.equal(wrong.code, 400);
});

test('401 with an unknown token, 403 with the real message for a limited token', async () => {
  const bad = new KubeConfig();
  bad.loadFromFile(api.kubeconfig('nope'));
  const u = await statusOf(bad.makeApiClient(CoreV1Api).readNamespacedSecret({ namespace: 'default', name: 'creds' }));
  assert.equal(u.code, 401);
  assert.equal(u.body, undefined, 'client-node 1.4 drops the 401 body');
  const raw = api.requests.at(-1)!;
  assert.equal(raw.status, 401);
  api.addToken('reader', [{ verbs: ['get', 'list', 'watch'], apiGroups: [''], resources: ['configmaps'], namespaces: ['default'] }]);
  const limited = new KubeConfig();
  limited.loadFromFile(api.kubeconfig('reader'));
  const core = limited.makeApiClient(CoreV1Api);
  await core.listNamespacedConfigMap({ namespace: 'default' });
  const f = await statusOf(core.readNamespacedSecret({ namespace: 'default', name: 'x' }));
  assert.equal(f.code, 403);
  assert.equal(f.body?.reason, 'Forbidden');
  assert.equal(f.body?.message, 'secrets "x" is forbidden: User "system:serviceaccount:jetway:jetway" cannot get resource "secrets" in API group "" in the namespace "default"');
  const all = await statusOf(core.listConfigMapForAllNamespaces());
  assert.equal(all.body?.message, 'configmaps is forbidden: User "system:serviceaccount:jetway:jetway" cannot list resource "configmaps" in API group "" at the cluster scope');
  const st = await statusOf(limited.makeApiClient(BatchV1Api).patchNamespacedJobStatus({ namespace: 'ns1', name: 'j', body: {} }, merge));
  assert.equal(st.body?.message, 'jobs.batch "j" is forbidden: User "system:serviceaccount:jetway:jetway" cannot patch resource "jobs/status" in API group "batch" in the namespace "ns1"');
  assert.equal((await kc.makeApiClient(ApisApi).getAPIVersions()).kind, 'APIGroupList');
});

test('in-cluster config: loadFromCluster(prefix) with KUBERNETES_SERVICE_HOST/PORT', async () => {
  const saved = { h: process.env.KUBERNETES_SERVICE_HOST, p: process.env.KUBERNETES_SERVICE_PORT };
  try {
    Object.assign(process.env, api.inClusterEnv());
    const ic = new KubeConfig();
    ic.loadFromCluster(api.serviceAccountDir(api.adminToken, 'argocd'));
    assert.equal(ic.getContextObject(ic.getCurrentContext())?.namespace, 'argocd');
    const ns = await ic.makeApiClient(CoreV1Api).readNamespace({ name: 'default' });
    assert.equal(ns.metadata?.labels?.['kubernetes.io/metadata.name'], 'default');
  } finally {
    for (const [k, v] of [
      ['KUBERNETES_SERVICE_HOST', saved.h],
      ['KUBERNETES_SERVICE_PORT', saved.p],
    ] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
});

// Collects watch events until `until` says stop.
function collect(path: string, query: Record<string, string | number | boolean | undefined>, until: (evs: { type: string; obj: any }[]) => boolean) {
  const evs: { type: string; obj: any }[] = [];
  let ctl: AbortController | undefined;
  const done = new Promise<{ events: typeof evs; err: unknown }>((resolve) => {
    void new Watch(kc)
      .watch(
        path,
        query,
        (type, obj) => {
          evs.push({ type, obj });
          if (until(evs)) {
            ctl?.abort();
            resolve({ events: evs, err: null });
          }
        },
        (err) => resolve({ events: evs, err }),
      )
      .then((c) => (ctl = c));
  });
  return done;
}

test('watch: ADDED/MODIFIED/DELETED, resume from a resourceVersion, 410 after compactHistory', async () => {
  api.ns('w');
  const path = '/api/v1/namespaces/w/configmaps';
  const live = collect(path, { allowWatchBookmarks: true }, (e) => e.some((x) => x.type === 'DELETED'));
  await api.waitForWatches(1);
  api.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'w' }, data: { v: '1' } });
  const startRv = api.resourceVersion;
  api.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'w' }, data: { v: '2' } });
  api.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'w' }, data: { v: '2' } }); // no-op: no event
  api.sendBookmarks();
  api.remove('v1', 'ConfigMap', 'w', 'a');
  const { events } = await live;
  assert.deepEqual(
    events.map((e) => e.type),
    ['ADDED', 'MODIFIED', 'BOOKMARK', 'DELETED'],
  );
  assert.equal(events[1]!.obj.data.v, '2');
  assert.equal(events[0]!.obj.kind, 'ConfigMap');
  // Resume after the ADDED: replay MODIFIED and DELETED from the log.
  const resumed = await collect(path, { resourceVersion: String(startRv) }, (e) => e.length === 2);
  assert.deepEqual(
    resumed.events.map((e) => e.type),
    ['MODIFIED', 'DELETED'],
  );
  // Expired.
  api.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b', namespace: 'w' } });
  api.compactHistory();
  const gone = await collect(path, { resourceVersion: String(startRv) }, () => false);
  assert.equal(gone.events.length, 1);
  assert.equal(gone.events[0]!.type, 'ERROR');
  assert.equal(gone.events[0]!.obj.code, 410);
  assert.equal(gone.events[0]!.obj.reason, 'Expired');
  assert.match(gone.events[0]!.obj.message, /^too old resource version: \d+ \(\d+\)$/);
  assert.equal(gone.err, null, 'the stream ends after the ERROR event');
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(api.openWatches, 0);
});

test('informer (makeInformer) lists, watches, and relists after a 410', async () => {
  api.ns('inf');
  const core = kc.makeApiClient(CoreV1Api);
  api.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'one', namespace: 'inf', labels: { app: 'x' } } });
  const inf = makeInformer(kc, '/api/v1/namespaces/inf/configmaps', () => core.listNamespacedConfigMap({ namespace: 'inf', labelSelector: 'app=x' }), 'app=x');
  const seen: string[] = [];
  inf.on('add', (o) => seen.push(`add:${o.metadata?.name}`));
  inf.on('update', (o) => seen.push(`update:${o.metadata?.name}`));
  inf.on('delete', (o) => seen.push(`delete:${o.metadata?.name}`));
  await inf.start();
  await api.waitForWatches(1);
  api.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'two', namespace: 'inf', labels: { app: 'x' } } });
  api.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'other', namespace: 'inf', labels: { app: 'y' } } });
  // Moving out of the selector is a DELETED for the watcher.
  api.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'one', namespace: 'inf', labels: { app: 'z' } } });
  await waitFor(() => seen.length >= 3);
  assert.deepEqual(seen, ['add:one', 'add:two', 'delete:one']);
  // Server-side close; while the informer reconnects (delayed), a change lands and history is compacted:
  // it resumes from its old rv, gets the 410 ERROR event, and relists.
  const listsBefore = api.requests.filter((r) => r.path === '/api/v1/namespaces/inf/configmaps' && !r.watch).length;
  const delayed = api.fail({ watch: true, pathPrefix: '/api/v1/namespaces/inf/' }, { delayMs: 100 });
  api.closeWatches();
  await waitFor(() => delayed.hits === 1);
  api.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'three', namespace: 'inf', labels: { app: 'x' } } });
  api.compactHistory();
  await waitFor(() => seen.includes('add:three'));
  const lists = api.requests.filter((r) => r.path === '/api/v1/namespaces/inf/configmaps' && !r.watch).length;
  assert.equal(lists, listsBefore + 1, 'informer relisted');
  await inf.stop();
});

test('metadata-only GET and LIST return PartialObjectMetadata(List)', async () => {
  api.put({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'meta', namespace: 'default', labels: { k: 'v' } }, data: { s: 'c2VjcmV0' } });
  const one = await rawGet('/api/v1/namespaces/default/secrets/meta', { Accept: 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1' });
  assert.equal(one.body.kind, 'PartialObjectMetadata');
  assert.equal(one.body.apiVersion, 'meta.k8s.io/v1');
  assert.equal(one.body.metadata.labels.k, 'v');
  assert.equal(one.body.data, undefined);
  const list = await rawGet('/api/v1/namespaces/default/secrets?labelSelector=k%3Dv', { Accept: 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json' });
  assert.equal(list.body.kind, 'PartialObjectMetadataList');
  assert.equal(list.body.items.length, 1);
  assert.equal(list.body.items[0].kind, 'PartialObjectMetadata');
  assert.equal(list.body.items[0].data, undefined);
  const plain = await rawGet('/api/v1/namespaces/default/secrets?fieldSelector=metadata.name%3Dmeta');
  assert.equal(plain.body.kind, 'SecretList');
  assert.equal(plain.body.items.length, 1);
  assert.equal(plain.body.items[0].kind, undefined, 'built-in list items carry no kind');
  const bad = await rawGet('/api/v1/namespaces/default/secrets', { Accept: 'application/vnd.kubernetes.protobuf' });
  assert.equal(bad.status, 406);
});

test('CRD registration appears in discovery; custom objects; deleting the CRD unregisters', async () => {
  const ext = kc.makeApiClient(ApiextensionsV1Api);
  const crd = makeCrd({ group: 'yoke.cd', kind: 'Flight', plural: 'flights', versions: ['v1alpha1', 'v1'], status: true });
  await ext.createCustomResourceDefinition({ body: crd as any });
  const groups = await kc.makeApiClient(ApisApi).getAPIVersions();
  const g = groups.groups.find((x) => x.name === 'yoke.cd');
  assert.equal(g?.preferredVersion?.version, 'v1');
  const res = await rawGet('/apis/yoke.cd/v1');
  assert.deepEqual(
    res.body.resources.map((r: any) => r.name),
    ['flights', 'flights/status'],
  );
  const co = kc.makeApiClient(CustomObjectsApi);
  const body = { apiVersion: 'yoke.cd/v1', kind: 'Flight', metadata: { name: 'f' }, spec: { a: 1 }, status: { ready: true } };
  const made: any = await co.createNamespacedCustomObject({ group: 'yoke.cd', version: 'v1', namespace: 'default', plural: 'flights', body });
  assert.equal(made.status, undefined, 'status is dropped on create with a status subresource');
  assert.equal(made.metadata.generation, 1);
  const old: any = await co.getNamespacedCustomObject({ group: 'yoke.cd', version: 'v1alpha1', namespace: 'default', plural: 'flights', name: 'f' });
  assert.equal(old.apiVersion, 'yoke.cd/v1alpha1');
  const smp = await statusOf(
    co.patchNamespacedCustomObject(
      { group: 'yoke.cd', version: 'v1', namespace: 'default', plural: 'flights', name: 'f', body: { spec: { a: 2 } } },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    ),
  );
  assert.equal(smp.code, 415);
  const p: any = await co.patchNamespacedCustomObject({ group: 'yoke.cd', version: 'v1', namespace: 'default', plural: 'flights', name: 'f', body: { spec: { a: 2 } } }, merge);
  assert.equal(p.metadata.generation, 2);
  await ext.deleteCustomResourceDefinition({ name: 'flights.yoke.cd' });
  assert.equal((await rawGet('/apis/yoke.cd/v1')).status, 404);
  assert.equal(
    api.list('apiextensions.k8s.io/v1', 'CustomResourceDefinition').some((c) => c.metadata?.name === 'flights.yoke.cd'),
    false,
  );
  // The Argo CD Application CRD is there by default; its status is written through the main resource.
  api.put({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: { name: 'app', namespace: 'default' }, spec: {} });
  const app: any = await co.patchNamespacedCustomObject(
    {
      group: 'argoproj.io',
      version: 'v1alpha1',
      namespace: 'default',
      plural: 'applications',
      name: 'app',
      body: { metadata: { annotations: { 'argocd.argoproj.io/refresh': 'hard' } } },
    },
    merge,
  );
  assert.equal(app.metadata.annotations['argocd.argoproj.io/refresh'], 'hard');
});

test('status subresource: main writes ignore .status, /status writes change only .status', async () => {
  const batch = kc.makeApiClient(BatchV1Api);
  const job: V1Job = { metadata: { name: 'j' }, spec: { template: { spec: { containers: [{ name: 'c', image: 'i' }], restartPolicy: 'Never' } } }, status: { active: 5 } };
  const made = await batch.createNamespacedJob({ namespace: 'default', body: job });
  assert.equal(made.status, undefined);
  assert.equal(made.metadata?.generation, 1);
  const s1 = await batch.patchNamespacedJobStatus({ namespace: 'default', name: 'j', body: { status: { succeeded: 1 }, spec: { parallelism: 9 }, metadata: { labels: { l: '1' } } } }, merge);
  assert.equal(s1.status?.succeeded, 1);
  assert.equal(s1.spec?.parallelism, undefined);
  assert.equal(s1.metadata?.labels, undefined);
  assert.equal(s1.metadata?.generation, 1);
  const m1 = await batch.patchNamespacedJob({ namespace: 'default', name: 'j', body: { status: { succeeded: 0, failed: 3 }, metadata: { labels: { l: '1' } } } }, merge);
  assert.deepEqual({ ...m1.status }, { succeeded: 1 });
  assert.equal(m1.metadata?.labels?.l, '1');
  assert.equal(m1.metadata?.generation, 1, 'metadata changes do not bump generation');
  const m2 = await batch.patchNamespacedJob({ namespace: 'default', name: 'j', body: { spec: { parallelism: 2 } } }, merge);
  assert.equal(m2.metadata?.generation, 2);
  const read = await batch.readNamespacedJobStatus({ namespace: 'default', name: 'j' });
  assert.equal(read.status?.succeeded, 1);
  // A test control write (a controller) sets status directly.
  api.setStatus('batch/v1', 'Job', 'default', 'j', { succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] });
  const after = await batch.readNamespacedJob({ namespace: 'default', name: 'j' });
  assert.equal(after.status?.conditions?.[0]?.type, 'Complete');
});

test('fault injection: 429 with Retry-After, hangs, and the request log', async () => {
  const core = kc.makeApiClient(CoreV1Api);
  api.clearRequests();
  const h = api.fail({ method: 'GET', pathPrefix: '/api/v1/namespaces/default/configmaps' }, { status: 429, retryAfter: 2 });
  const r = await statusOf(core.listNamespacedConfigMap({ namespace: 'default' }));
  assert.equal(r.code, 429);
  assert.equal(r.body?.reason, 'TooManyRequests');
  assert.equal(r.body?.details?.retryAfterSeconds, 2);
  assert.equal(h.hits, 1);
  await core.listNamespacedConfigMap({ namespace: 'default' });
  api.fail({ pathPrefix: '/api/v1/namespaces/default/secrets' }, { hang: true });
  const ctl = new AbortController();
  const hung = rawGetWithSignal('/api/v1/namespaces/default/secrets', ctl.signal);
  await new Promise((res) => setTimeout(res, 100));
  ctl.abort();
  await assert.rejects(hung);
  assert.deepEqual(
    api.requests.map((x) => [x.method, x.path, x.status]),
    [
      ['GET', '/api/v1/namespaces/default/configmaps', 429],
      ['GET', '/api/v1/namespaces/default/configmaps', 200],
      ['GET', '/api/v1/namespaces/default/secrets', undefined],
    ],
  );
  assert.equal(api.requests[0]!.token, api.adminToken);
});

// A GET that can be aborted, for hang faults.
async function rawGetWithSignal(path: string, signal: AbortSignal): Promise<void> {
  const https = await import('node:https');
  const opts: import('node:https').RequestOptions = { headers: {} };
  await kc.applyToHTTPSOptions(opts);
  const u = new URL(kc.getCurrentCluster()!.server + path);
  return new Promise((resolve, reject) => {
    const req = https.request({ ...opts, hostname: u.hostname, port: u.port, path: u.pathname, signal }, (res) => {
      res.resume();
      res.on('end', () => resolve());
    });
    req.on('error', reject);
    req.end();
  });
}

// Polls a condition (watch delivery is asynchronous).
async function waitFor(cond: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

test("a Job's pod template and selector are immutable: an update changing them is 422 Invalid, field is immutable", async () => {
  const batch = kc.makeApiClient(BatchV1Api);
  const job: V1Job = {
    metadata: { name: 'immutable', namespace: 'default' },
    spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox:1.36' }] } } },
  };
  await batch.createNamespacedJob({ namespace: 'default', body: job });
  const patch = { spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox:1.37' }] } } } };
  const { code, body } = await statusOf(batch.patchNamespacedJob({ name: 'immutable', namespace: 'default', body: patch }, merge));
  assert.equal(code, 422);
  assert.equal(body?.reason, 'Invalid');
  assert.match(body?.message, /^Job\.batch "immutable" is invalid: spec\.template: Invalid value: .*: field is immutable$/);
  assert.equal(body?.details?.causes?.[0]?.field, 'spec.template');
  // other fields stay mutable, and the refused update changed nothing
  await batch.patchNamespacedJob({ name: 'immutable', namespace: 'default', body: { spec: { ttlSecondsAfterFinished: 60 } } }, merge);
  const stored = await batch.readNamespacedJob({ name: 'immutable', namespace: 'default' });
  assert.equal(stored.spec?.template.spec?.containers[0]?.image, 'busybox:1.36');
  assert.equal(stored.spec?.ttlSecondsAfterFinished, 60);
});

test('foreground deletion: the object stays marked with the foregroundDeletion finalizer until it is removed', async () => {
  const core = kc.makeApiClient(CoreV1Api);
  await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'foreground' }, data: { a: '1' } } });
  await core.deleteNamespacedConfigMap({ name: 'foreground', namespace: 'default', propagationPolicy: 'Foreground' });
  const marked = await core.readNamespacedConfigMap({ name: 'foreground', namespace: 'default' });
  assert.ok(marked.metadata?.deletionTimestamp, 'marked for deletion');
  assert.deepEqual(marked.metadata?.finalizers, ['foregroundDeletion']);
  // the garbage collector's part: removing its finalizer deletes the object
  await core.patchNamespacedConfigMap({ name: 'foreground', namespace: 'default', body: { metadata: { finalizers: [] } } }, merge);
  const { code } = await statusOf(core.readNamespacedConfigMap({ name: 'foreground', namespace: 'default' }));
  assert.equal(code, 404);
});
