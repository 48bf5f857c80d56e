// yoke's own test flights (../shared/yoke-compat.md, "yoke's own test flights"), run through the real client
// (KubeCluster over a kubeconfig) against the fake API server, with yoke's messages.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startApiServer, type FakeApiServer } from '../support/apiserver.js';
import { compiledRunner, flightModule, goFlight, kubeCluster } from '../support/flights.js';
import type { KubeCluster } from '../../src/cluster/kube.js';
import type { KubeObject } from '../../src/cluster/types.js';
import { renderFlight, type RenderResult, type RunSpec } from '../../src/flight/runner.js';
import { createAccessHost } from '../../src/host/policy.js';
import { runFlight, yokeVersion, type FlightInvocation } from '../../src/wasi/run.js';
import { flightFailure, testSettings } from '../support/flight-run.js';

let api: FakeApiServer;
let cluster: KubeCluster;

before(async () => {
  api = await startApiServer();
  cluster = kubeCluster(api);
});

after(async () => {
  cluster.close();
  await api.close();
});

const text = (s: string) => new TextEncoder().encode(s);

type RenderOptions = Partial<RunSpec> & { cluster?: KubeCluster | undefined };

/** The real pipeline (renderFlight: run under the access policy, then parse stages) with cluster access granted unless cluster: undefined. */
async function render(flight: string, options: RenderOptions = {}): Promise<RenderResult> {
  const target = 'cluster' in options ? options.cluster : cluster;
  const spec: RunSpec = {
    ...testSettings,
    namespace: 'default',
    clusterAccess: target !== undefined,
    resourceMatchers: [],
    ...options,
  };
  return renderFlight(await flightModule(flight), spec, compiledRunner(target));
}

/** runFlight for flights whose stdout is not resources; the host answers as jetway's policy would without access. */
async function run(flight: string, overrides: Partial<FlightInvocation> = {}) {
  const access = createAccessHost({ cluster: undefined, release: overrides.release ?? 'foo', namespace: overrides.namespace ?? 'bar', matchers: [] });
  return runFlight({
    ...testSettings,
    module: (await goFlight(flight, overrides.maxMemoryMib)).module,
    host: (call) => access.handle(call),
    ...overrides,
  });
}

function only(result: RenderResult): KubeObject {
  assert.equal(result.stages.length, 1, 'one stage');
  assert.equal(result.stages[0]!.length, 1, 'one resource');
  return result.stages[0]![0]!;
}

function secret(name: string, password: string, owner?: { release: string; namespace: string }): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name,
      namespace: 'default',
      ...(owner ? { annotations: { 'instance.atc.yoke.cd/release': owner.release, 'instance.atc.yoke.cd/namespace': owner.namespace } } : {}),
    },
    data: { password: Buffer.from(password).toString('base64') },
  };
}

// --- echo: ../shared/yoke-compat.md "The module" (argv, env) and the echo case ---

test('echo: args without argv[0], exactly the user env plus the four yoke variables, stdin as given', async () => {
  const out = await run('echo', { release: 'foo', namespace: 'bar', args: ['a', 'r', 'g'], env: { FOO: 'BAR' }, input: text('banana hamock') });
  const printed = JSON.parse(new TextDecoder().decode(out.stdout)) as unknown;
  assert.deepEqual(printed, {
    args: ['a', 'r', 'g'],
    env: { FOO: 'BAR', NAMESPACE: 'bar', YOKE_NAMESPACE: 'bar', YOKE_RELEASE: 'foo', YOKE_VERSION: yokeVersion },
    input: 'banana hamock',
  });
  // flights compare YOKE_VERSION like a yoke release
  assert.match(yokeVersion, /^v0\.\d+\.\d+$/);
});

test('echo: the yoke variables win over a user env that sets them', async () => {
  const out = await run('echo', { env: { YOKE_RELEASE: 'evil', NAMESPACE: 'evil', YOKE_VERSION: 'v0.0.1' } });
  const printed = JSON.parse(new TextDecoder().decode(out.stdout)) as { env: Record<string, string> };
  assert.deepEqual(printed.env, { NAMESPACE: 'bar', YOKE_NAMESPACE: 'bar', YOKE_RELEASE: 'foo', YOKE_VERSION: yokeVersion });
});

test('echo: non-ASCII arguments, env and input arrive intact (UTF-8 byte lengths in args_sizes_get)', async () => {
  const out = await run('echo', { args: ['héllo', '日本', 'x'], env: { GRÜSS: 'grüß dich' }, input: text('naïve ☃') });
  const printed = JSON.parse(new TextDecoder().decode(out.stdout)) as { args: string[]; env: Record<string, string>; input: string };
  assert.deepEqual(printed.args, ['héllo', '日本', 'x']);
  assert.equal(printed.env['GRÜSS'], 'grüß dich');
  assert.equal(printed.input, 'naïve ☃');
});

// --- base: the lookup policy (../shared/yoke-compat.md "The access policy for lookups") ---

test("base: without cluster access the flight fails with yoke's not-granted message", async () => {
  const error = await flightFailure(render('base', { cluster: undefined }));
  assert.equal(error.kind, 'exit');
  assert.match(error.stderr, /access to the cluster has not been granted for this flight invocation/);
});

test('base: a missing Secret (NotFound) gets a fresh random 12-hex password', async () => {
  const first = only(await render('base', { release: 'fresh' }));
  assert.equal(first.kind, 'Secret');
  assert.equal((first.metadata as { name: string }).name, 'fresh-example');
  const password = (first['stringData'] as { password: string }).password;
  assert.match(password, /^[0-9a-f]{12}$/);
  const second = only(await render('base', { release: 'fresh' }));
  assert.notEqual((second['stringData'] as { password: string }).password, password, 'random, not a constant');
});

test('base: an existing Secret the release owns is read and its password reused', async () => {
  api.put(secret('owned-example', 'hunter2', { release: 'owned', namespace: 'default' }));
  const emitted = only(await render('base', { release: 'owned' }));
  assert.deepEqual(emitted['stringData'], { password: 'hunter2' });
});

test('base: a Secret owned by another release is Forbidden, also with matcher default/Configmap', async () => {
  api.put(secret('taken-example', 's3cret', { release: 'other', namespace: 'default' }));
  for (const resourceMatchers of [[], ['default/Configmap']]) {
    const error = await flightFailure(render('base', { release: 'taken', resourceMatchers }));
    assert.equal(error.kind, 'exit');
    assert.match(error.stderr, /cannot access resource outside of target release ownership/, `matchers ${JSON.stringify(resourceMatchers)}`);
  }
});

test('base: the same Secret is readable with matchers default/*,foo/*', async () => {
  api.put(secret('taken-example', 's3cret', { release: 'other', namespace: 'default' }));
  const emitted = only(await render('base', { release: 'taken', resourceMatchers: ['default/*', 'foo/*'] }));
  assert.deepEqual(emitted['stringData'], { password: 's3cret' });
});

// --- restmapping ---

test('restmapping: apps/v1 Deployment maps to deployments, namespaced', async () => {
  const emitted = only(await render('restmapping', { input: text('{"APIVersion":"apps/v1","Kind":"Deployment"}') }));
  assert.equal(emitted.kind, 'ConfigMap');
  assert.equal((emitted.metadata as { name: string }).name, 'test');
  assert.deepEqual(emitted['data'], { resource: 'deployments', namespaced: 'true' });
});

test('restmapping: a cluster-scoped kind reports namespaced "false"', async () => {
  const emitted = only(await render('restmapping', { input: text('{"APIVersion":"rbac.authorization.k8s.io/v1","Kind":"ClusterRole"}') }));
  assert.deepEqual(emitted['data'], { resource: 'clusterroles', namespaced: 'false' });
});

// --- memory: ../shared/yoke-compat.md "maxMemoryMib caps linear memory" ---

test('memory: 2 MiB under maxMemoryMib 10 succeeds', async () => {
  const out = await run('memory', { args: ['-mb', '2'], maxMemoryMib: 10 });
  assert.equal(new TextDecoder().decode(out.stdout).trim(), '[]');
});

test('memory: 10 MiB under maxMemoryMib 10 fails as out of memory', async () => {
  const error = await flightFailure(run('memory', { args: ['-mb', '10'], maxMemoryMib: 10 }));
  assert.equal(error.kind, 'memory');
  assert.match(error.message, /out of memory under maxMemoryMib 10/);
});

// --- halt: ../shared/yoke-compat.md "Default execution timeout" ---

test('halt: a 10 ms timeout stops a flight that never ends, naming the timeout', async () => {
  const started = Date.now();
  const error = await flightFailure(run('halt', { timeoutMs: 10 }));
  assert.equal(error.kind, 'timeout');
  assert.match(error.message, /timed out after 10ms/);
  assert.ok(Date.now() - started < 5000, 'stopped promptly');
});

// --- name: flight.Release() ---

test('name: the ConfigMap is named after the release and carries the input', async () => {
  const emitted = only(await render('name', { release: 'my-release', input: text('{"a":"b"}') }));
  assert.deepEqual(emitted, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'my-release' }, data: { a: 'b' } });
});

// --- versioncheck: YOKE_VERSION should read like a yoke release ---

test("versioncheck: fails with yoke's message when YOKE_VERSION is below the minimum", async () => {
  for (const args of [[], ['v0.21.0'], ['v1']]) {
    const error = await flightFailure(render('versioncheck', { args }));
    assert.equal(error.kind, 'exit');
    assert.match(error.stderr, /failed to meet min version requirement for yoke/, `minimum ${JSON.stringify(args)}`);
  }
});

test('versioncheck: passes when YOKE_VERSION meets the minimum (argument or stdin)', async () => {
  for (const request of [{ args: ['v0.20.0'] }, { args: [yokeVersion] }, { input: text('v0.19') }]) {
    const emitted = only(await render('versioncheck', request));
    assert.equal((emitted['data'] as { yokeVersion: string }).yokeVersion, yokeVersion);
  }
});

// --- yokecd lookup ---

test('lookup (yokecd): an unowned ConfigMap default/test-cm is Forbidden, and readable with matcher ConfigMap', async () => {
  api.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'test-cm', namespace: 'default' }, data: { key: 'value' } });
  const input = text('{"Name":"test-cm","Namespace":"default","Kind":"ConfigMap","ApiVersion":"v1"}');
  const error = await flightFailure(render('lookup', { input }));
  assert.match(error.stderr, /cannot access resource outside of target release ownership/);

  const result = await render('lookup', { input, resourceMatchers: ['ConfigMap'] });
  const live = only(result);
  assert.equal((live.metadata as { name: string }).name, 'test-cm');
  assert.deepEqual(live['data'], { key: 'value' });
  assert.deepEqual(
    result.refs.map((r) => [r.ref, r.access]),
    [['default/ConfigMap:test-cm', 'matched']],
  );
});
