// The socket service in-process, with generate's real client: an overloaded pool is answered so that generate runs
// the flight itself (never as the flight's failure), and a run whose client disconnected is cancelled.

import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Cluster, KubeObject } from '../../src/cluster/types.js';
import type { ModuleBytes, RunOutcome, RunSpec } from '../../src/flight/runner.js';
import { sha256 } from '../../src/module/digest.js';
import { serviceRunner } from '../../src/service/client.js';
import { createMetrics, type Metrics } from '../../src/service/metrics.js';
import { modulePath, type RunRequestBody } from '../../src/service/protocol.js';
import { startService } from '../../src/service/server.js';
import { watModule } from '../support/wat.js';

/** A cluster whose every GET hangs: a flight looking something up holds its worker until cancelled or timed out. */
function hangingCluster() {
  let reached!: () => void;
  const lookedUp = new Promise<void>((r) => (reached = r));
  const cluster: Cluster = {
    restMapping: async (group, kind) => ({ Group: group, Version: 'v1', Kind: kind, Resource: 'jobs', Namespaced: true }),
    refreshDiscovery: async () => undefined,
    get: () => {
      reached();
      return new Promise<KubeObject>(() => undefined);
    },
  };
  return { cluster, lookedUp };
}

async function service(cluster: Cluster, queueTimeoutMs: number) {
  const metrics = createMetrics();
  const logs: string[] = [];
  const socket = join(mkdtempSync(join(tmpdir(), 'jetway-service-')), 'jetway.sock');
  const svc = await startService({
    socket,
    listen: undefined,
    workers: 1,
    maxTimeoutMs: 60_000,
    queueTimeoutMs,
    targets: async () => ({ cluster, server: 'https://kubernetes.default.svc' }),
    metrics,
    log: (_level, message) => logs.push(message),
    sink: { record: async () => undefined, records: () => [] },
  });
  return { socket, metrics, logs, svc };
}

const runs = async (metrics: Metrics, outcome: string) => (await metrics.runs.get()).values.find((v) => v.labels.outcome === outcome)?.value ?? 0;

const spec = (release: string): RunSpec => ({
  input: new Uint8Array(),
  release,
  namespace: 'demo',
  args: [],
  env: {},
  timeoutMs: 50_000,
  maxMemoryMib: undefined,
  clusterAccess: true,
  resourceMatchers: [],
});

/** POST /v1/run by hand, so the test can hang up on it as a killed generate does. */
function rawRun(socket: string, module: ModuleBytes, release: string): http.ClientRequest {
  const s = spec(release);
  const body: RunRequestBody = {
    digest: module.digest,
    input: '',
    release,
    namespace: s.namespace,
    args: [],
    env: {},
    timeoutMs: s.timeoutMs ?? null,
    maxMemoryMib: null,
    clusterAccess: true,
    resourceMatchers: [],
    lookupCeiling: null,
  };
  const req = http.request({ socketPath: socket, method: 'POST', path: '/v1/run', headers: { 'Content-Type': 'application/json' } });
  req.on('error', () => undefined);
  req.end(JSON.stringify(body));
  return req;
}

async function upload(socket: string, module: ModuleBytes): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const req = http.request({ socketPath: socket, method: 'PUT', path: modulePath(module.digest) }, (res) => res.resume().on('end', resolve));
    req.on('error', reject);
    req.end(module.bytes);
  });
}

test('a run that gets no worker in time is answered overloaded, and generate runs the flight itself', async () => {
  const { cluster, lookedUp } = hangingCluster();
  const { socket, metrics, svc } = await service(cluster, 100);
  const bytes = await watModule('lookup-loop');
  const module = { bytes, digest: sha256(bytes) };
  try {
    await upload(socket, module);
    const holder = rawRun(socket, module, 'team-a');
    await lookedUp; // team-a's flight holds the only worker
    const fellBack: string[] = [];
    const fallback = async (_m: ModuleBytes, s: RunSpec): Promise<RunOutcome> => {
      fellBack.push(s.release);
      return { stdout: new TextEncoder().encode('{"kind":"ConfigMap"}'), stderr: '', refs: [], durationMs: 1 };
    };
    const outcome = await serviceRunner(socket, fallback)(module, spec('team-b'));
    assert.deepEqual(fellBack, ['team-b'], 'generate ran the flight itself');
    assert.equal(Buffer.from(outcome.stdout).toString(), '{"kind":"ConfigMap"}');
    assert.equal(await runs(metrics, 'overloaded'), 1);
    assert.equal(await runs(metrics, 'failed'), 0, 'not counted as the flight failing');
    holder.destroy();
  } finally {
    await svc.close();
  }
});

test("a run whose client hangs up is cancelled, and its worker is free for the next app's run", async () => {
  const { cluster, lookedUp } = hangingCluster();
  const { socket, metrics, logs, svc } = await service(cluster, 30_000);
  const bytes = await watModule('lookup-loop');
  const yaml = await watModule('yaml-stages');
  const module = { bytes, digest: sha256(bytes) };
  try {
    await upload(socket, module);
    const killed = rawRun(socket, module, 'team-a');
    await lookedUp;
    killed.destroy();
    const outcome = await serviceRunner(socket, () => Promise.reject(new Error('the service must run it')))({ bytes: yaml, digest: sha256(yaml) }, { ...spec('team-b'), clusterAccess: false });
    assert.match(Buffer.from(outcome.stdout).toString(), /kind: ConfigMap/);
    assert.equal(await runs(metrics, 'cancelled'), 1);
    assert.ok(logs.includes('run cancelled: the generate that asked for it has gone'));
  } finally {
    await svc.close();
  }
});
