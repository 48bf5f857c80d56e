// `jetway serve` as the process Argo CD's repo-server pod runs: generate hands it the run, it records what the flight
// looked up, a real change hard-refreshes the Application, `jetway status` shows the record, /metrics counts it all,
// and SIGTERM shuts it down cleanly. When it is gone, generate runs the flight itself and the sync is unaffected.

import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, request } from 'node:http';
import { after, before, test } from 'node:test';
import { execa } from 'execa';
import yaml from 'js-yaml';
import type { KubeObject } from '../../src/cluster/types.js';
import type { FlightRunner, ModuleBytes, RunSpec } from '../../src/flight/runner.js';
import type { RecordView } from '../../src/refresher/records.js';
import { fetchRecords, reportFallback, serviceRunner } from '../../src/service/client.js';
import { startApiServer, type FakeApiServer } from '../support/apiserver.js';
import { repoPath } from '../support/paths.js';
import { installRunRecords, metric, startServe } from '../support/serve.js';
import { installArgoProjects } from '../support/sidecar.js';
import { application, hardRefreshes, until } from '../refresher/support.js';

const main = repoPath('dist/src/cli/main.js');
let api: FakeApiServer;
let cache: string;

before(async () => {
  api = await startApiServer({ namespaces: ['argocd', 'demo'] });
  installRunRecords(api);
  installArgoProjects(api);
  // the Application deploys in-cluster to demo: serve resolves the lookups there (the plugin container has no credentials)
  api.put(
    application('argocd', 'pipeline', {
      project: 'default',
      destination: { server: 'https://kubernetes.default.svc', namespace: 'demo' },
      source: { repoURL: 'https://example.com/repo', plugin: { name: 'jetway' } },
    }),
  );
  cache = await mkdtemp(join(tmpdir(), 'jetway-serve-cache-'));
});
after(async () => {
  await api.close();
  await rm(cache, { recursive: true, force: true });
});

/** `jetway generate` for the pipeline example as Argo CD's cmp-server starts it, with JETWAY_SOCKET pointing at `socket`. */
function generate(socket: string) {
  return execa(process.execPath, [main, 'generate'], {
    cwd: repoPath('examples/pipeline'),
    reject: false,
    extendEnv: false,
    env: {
      ARGOCD_APP_NAME: 'pipeline',
      ARGOCD_APP_NAMESPACE: 'demo',
      ARGOCD_APP_SOURCE_PATH: 'examples/pipeline',
      ARGOCD_APP_PARAMETERS: JSON.stringify([
        { name: 'wasm', string: 'pipeline.wasm.gz' },
        { name: 'clusterAccess', string: 'true' },
        { name: 'inputFiles', array: ['input.json'] },
      ]),
      JETWAY_SOCKET: socket,
      JETWAY_CACHE_DIR: cache,
      PATH: process.env['PATH'] ?? '',
    },
  });
}

const jobNames = (stdout: string) => (yaml.loadAll(stdout) as KubeObject[]).filter((o) => o?.kind === 'Job').map((o) => o.metadata?.name);

test('generate runs through jetway serve, which refreshes the Application when what the flight waited for appears', async () => {
  const serve = await startServe(api, ['--debounce', '100ms', '--min-interval', '200ms']);
  try {
    assert.equal((await fetch(`${serve.opsUrl}/healthz`)).status, 200);
    assert.equal((await fetch(`${serve.opsUrl}/readyz`)).status, 200, 'ready at once: readiness never waits for refresher work');
    await until('the only replica leads', () => serve.logs.some((l) => /^became the leader/.test(String(l['msg']))), 10_000);

    const first = await generate(serve.socket);
    assert.equal(first.exitCode, 0, first.stderr);
    assert.deepEqual(jobNames(first.stdout), ['pipeline-one']);
    const second = await generate(serve.socket);
    assert.equal(second.stdout, first.stdout);
    // both runs happened in the service: the module was uploaded once, then served warm, from an instance prepared while idle
    assert.equal(await metric(serve.opsUrl, 'jetway_runs_total', 'outcome="ok",instance_origin="fresh"'), 1);
    assert.equal(await metric(serve.opsUrl, 'jetway_runs_total', 'outcome="ok",instance_origin="prepared"'), 1);
    assert.equal(await metric(serve.opsUrl, 'jetway_module_cache_total', 'result="miss"'), 1);
    assert.equal(await metric(serve.opsUrl, 'jetway_module_cache_total', 'result="hit"'), 2);
    // the record went to the cluster (a RunRecord owned by the Application), and from there to the leading refresher
    const stored = api.get('jetway.dev/v1alpha1', 'RunRecord', 'argocd', 'pipeline')!;
    assert.equal((stored.metadata!['ownerReferences'] as Array<{ kind: string; name: string }>)[0]!.name, 'pipeline');
    await until('the leader watches what the flight looked up', () => api.openWatches === 2); // RunRecords + the Jobs
    assert.equal(await metric(serve.opsUrl, 'jetway_watches_open'), 1);
    // lookup states by yoke's names: each run looked for job one, which does not exist yet
    assert.equal(await metric(serve.opsUrl, 'jetway_lookups_total', 'call="k8s_lookup",state="NotFound"'), 2);
    assert.equal(await metric(serve.opsUrl, 'jetway_leader'), 1);
    assert.equal(await metric(serve.opsUrl, 'jetway_generate_fallbacks_total', 'reason="unreachable"'), 0);

    const status = await execa(process.execPath, [main, 'status', 'pipeline', '--kubeconfig', api.kubeconfig(), '--socket', join(tmpdir(), 'no-jetway-here.sock')]);
    assert.match(status.stdout, /^pipeline: ok \(waiting\)/);
    assert.match(status.stdout, /status: waiting for job one to complete/);
    assert.match(status.stdout, /ref demo\/Job\.batch:pipeline-one \(missing, not found\)/);
    // the stored record alone from a laptop (no socket answers): no planned refresh; beside the leading serve, its next
    // re-check of the waiting app, as the leader plans it
    assert.doesNotMatch(status.stdout, /next refresh/);
    const planned = ((await fetchRecords(serve.socket)) as RecordView[]).find((r) => r.app === 'pipeline')?.nextRefreshAt;
    assert.ok(planned, 'the leader plans a re-check of a waiting app');
    const beside = await execa(process.execPath, [main, 'status', 'pipeline', '--kubeconfig', api.kubeconfig(), '--socket', serve.socket]);
    assert.match(beside.stdout, new RegExp(`^  next refresh: ${planned.replace(/[.]/g, '\\.')}$`, 'm'));
    assert.equal(beside.stderr, '');
    // beside a follower (it answers with no apps): the stored record, and a line saying who knows the planned refreshes
    const followerDir = await mkdtemp(join(tmpdir(), 'jetway-follower-'));
    const follower = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('[]'));
    await new Promise<void>((resolve) => follower.listen(join(followerDir, 'jetway.sock'), resolve));
    try {
      const besideFollower = await execa(process.execPath, [main, 'status', 'pipeline', '--kubeconfig', api.kubeconfig(), '--socket', join(followerDir, 'jetway.sock')]);
      assert.match(besideFollower.stdout, /^pipeline: ok \(waiting\)/);
      assert.doesNotMatch(besideFollower.stdout, /next refresh/);
      assert.match(besideFollower.stderr, /does not lead, and only the leader \(the holder of the Lease jetway-refresher/);
    } finally {
      follower.close();
      await rm(followerDir, { recursive: true, force: true });
    }

    assert.equal(hardRefreshes(api, 'argocd', 'pipeline').length, 0, 'no start-up refresh');
    // Argo CD applies job one as generated (with jetway's ownership annotations), and it completes
    const jobOne = (yaml.loadAll(first.stdout) as KubeObject[]).find((o) => o?.metadata?.name === 'pipeline-one')!;
    api.put({ ...jobOne, metadata: { ...jobOne.metadata, namespace: 'demo' }, status: { succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] } });
    await until('the Application is hard-refreshed', () => hardRefreshes(api, 'argocd', 'pipeline').length > 0, 2_000);
    assert.equal(await metric(serve.opsUrl, 'jetway_refreshes_total'), 1);

    const third = await generate(serve.socket);
    assert.deepEqual(jobNames(third.stdout), ['pipeline-one', 'pipeline-two']);

    assert.equal(await serve.stop(), 0);
    assert.equal(existsSync(serve.socket), false, 'the socket is removed on SIGTERM');
    assert.ok(serve.logs.some((l) => l['msg'] === 'shutting down' && l['signal'] === 'SIGTERM'));
  } finally {
    serve.process.kill('SIGKILL');
    api.remove('batch/v1', 'Job', 'demo', 'pipeline-one');
  }
});

test('a malformed timing flag stops jetway serve with one line naming it', async () => {
  await assert.rejects(startServe(api, ['--debounce', '2 seconds']), /jetway: serve failed: --debounce "2 seconds": expected a non-negative Go duration/);
});

test('with jetway serve killed, a generate whose flight looks things up fails in one line naming the service, never with empty output', async () => {
  const serve = await startServe(api);
  const warm = await generate(serve.socket);
  assert.deepEqual(jobNames(warm.stdout), ['pipeline-one']);
  serve.process.kill('SIGKILL');
  await serve.process;
  assert.equal(existsSync(serve.socket), true, 'a killed service leaves its socket file behind');
  // the plugin container holds no cluster credentials (issue 14): without the service there is nothing to look up with
  const cold = await generate(serve.socket);
  assert.equal(cold.exitCode, 1);
  assert.equal(cold.stdout, '');
  assert.match(cold.stderr, /^jetway: generate for Application pipeline failed: lookups need jetway serve .*: check the jetway-serve container beside the plugin \(deploy\/\), then refresh the app$/);
});

test('generate reports a run it did in-process to jetway serve, which counts it by reason', async () => {
  const serve = await startServe(api);
  try {
    await reportFallback(serve.socket, 'timeout');
    assert.equal(await metric(serve.opsUrl, 'jetway_generate_fallbacks_total', 'reason="timeout"'), 1);
    assert.equal(await metric(serve.opsUrl, 'jetway_generate_fallbacks_total', 'reason="error"'), 0);
    // a reason the service does not know is refused, not counted under a made-up label
    const refused = await new Promise<number>((resolve, reject) => {
      const req = request({ socketPath: serve.socket, method: 'POST', path: '/v1/fallbacks' }, (res) => resolve(res.statusCode ?? 0));
      req.on('error', reject);
      req.end(JSON.stringify({ reason: 'bored' }));
    });
    assert.equal(refused, 400);
    assert.doesNotMatch(await (await fetch(`${serve.opsUrl}/metrics`)).text(), /bored/);
  } finally {
    await serve.stop();
  }
});

test('generate tells why it ran in-process: no service, or a service that answered with an error', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'jetway-fallback-'));
  const broken = createServer((_req, res) => res.writeHead(500).end('internal error'));
  await new Promise<void>((resolve) => broken.listen(join(dir, 'broken.sock'), resolve));
  try {
    const reasons: string[] = [];
    const inProcess: FlightRunner = async () => ({ stdout: new Uint8Array(), stderr: '', refs: [], durationMs: 0 });
    const module: ModuleBytes = { digest: 'a'.repeat(64), bytes: new Uint8Array([0]) };
    const spec = { input: new Uint8Array(), release: 'r', namespace: 'n', args: [], env: {}, clusterAccess: false, resourceMatchers: [] } as unknown as RunSpec;
    await serviceRunner(join(dir, 'missing.sock'), inProcess, (reason) => reasons.push(reason))(module, spec);
    await serviceRunner(join(dir, 'broken.sock'), inProcess, (reason) => reasons.push(reason))(module, spec);
    assert.deepEqual(reasons, ['unreachable', 'error']);
  } finally {
    broken.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('jetway serve takes JETWAY_SOCKET, JETWAY_KUBECONFIG and JETWAY_CACHE_* from its container (deploy/ sets them) and keeps the shared module cache under its bound', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'jetway-serve-env-'));
  const modules = join(dir, 'cache', 'sha256');
  await mkdir(modules, { recursive: true });
  // three 1 KB modules, oldest first; the bound keeps two
  for (const [i, name] of ['old', 'mid', 'new'].entries()) {
    const file = join(modules, `${name}.wasm`);
    await writeFile(file, Buffer.alloc(1000));
    await utimes(file, new Date(1_000_000 + i * 1000), new Date(1_000_000 + i * 1000));
  }
  const env = { JETWAY_SOCKET: join(dir, 'env.sock'), JETWAY_KUBECONFIG: api.kubeconfig(), JETWAY_CACHE_DIR: join(dir, 'cache'), JETWAY_CACHE_MAX_BYTES: '2500' };
  // no --kubeconfig and no --socket: KUBECONFIG points nowhere, so listening at all shows JETWAY_KUBECONFIG was used
  const serve = await startServe(api, [], undefined, env);
  try {
    assert.equal(serve.socket, env.JETWAY_SOCKET);
    assert.ok(existsSync(env.JETWAY_SOCKET));
    await until('the oldest module is evicted', () => !existsSync(join(modules, 'old.wasm')), 5_000);
    assert.deepEqual((await readdir(modules)).sort(), ['mid.wasm', 'new.wasm']);
  } finally {
    await serve.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

test('jetway serve given a file that is not a kubeconfig says so in one line', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'jetway-serve-kc-'));
  await writeFile(join(dir, 'kubeconfig'), '');
  try {
    const result = await execa(process.execPath, [main, 'serve', '--kubeconfig', join(dir, 'kubeconfig'), '--socket', join(dir, 's.sock'), '--listen', '127.0.0.1:0'], { reject: false });
    assert.equal(result.exitCode, 1);
    // the failure is the last line (a start-up log line may come before it)
    assert.match(
      result.stderr.trimEnd().split('\n').at(-1)!,
      /^jetway: serve failed: kubeconfig \S+kubeconfig is not a usable kubeconfig \(a YAML map with clusters, users and contexts\): it is empty or not a YAML map$/,
    );
    assert.doesNotMatch(result.stderr, /Cannot read properties of undefined/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
