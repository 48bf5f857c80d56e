// `npm run bench`: every speed figure measured side by side in one run, printed as a markdown table.

import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { execa } from 'execa';
import { OfflineCluster } from '../src/cluster/offline.js';
import { runCompiled, type RunSpec } from '../src/flight/render.js';
import { State } from '../src/host/states.js';
import { compileFlight, sha256 } from '../src/module/compile.js';
import { serviceRunner } from '../src/service/client.js';
import { createMetrics } from '../src/service/metrics.js';
import { startService } from '../src/service/server.js';
import { createHostImports } from '../src/host/guest.js';
import { Capture, FlightWasi } from '../src/wasi/shim.js';
import { FlightWorker } from '../src/wasi/flight-worker.js';
import { flightEnv, runFlight } from '../src/wasi/run.js';
import { watModule } from '../test/support/wat.js';
import { startApiServer } from '../test/support/apiserver.js';
import { KubeCluster, loadKubeConfig } from '../src/cluster/kube.js';

const root = new URL('../../', import.meta.url).pathname;
const rows: Array<[string, string, string]> = [];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function timeIt(times: number, fn: () => Promise<unknown> | unknown): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < times; i++) {
    const started = performance.now();
    await fn();
    samples.push(performance.now() - started);
  }
  return median(samples);
}

function row(what: string, ms: number, note = ''): number {
  rows.push([what, `${ms.toFixed(1)} ms`, note]);
  process.stderr.write(`${what}: ${ms.toFixed(1)} ms ${note}\n`);
  return ms;
}

const big = gunzipSync(readFileSync(join(root, 'test/flights/wasm/big.wasm.gz')));
const emptyState = join(mkdtempSync(join(tmpdir(), 'jetway-bench-')), 'empty.yaml');
writeFileSync(emptyState, '');
const cluster = new OfflineCluster([], 'demo');
const spec: RunSpec = { input: new Uint8Array(), release: 'demo', namespace: 'demo', args: [], env: {}, timeoutMs: 30_000, maxMemoryMib: undefined, clusterAccess: true, resourceMatchers: [] };

// --- issue 3: compile, first run, warm run of a several-MB Go flight
const compileMs = row(`compile ${(big.length / 1e6).toFixed(1)} MB Go flight (WebAssembly.compile)`, await timeIt(3, () => WebAssembly.compile(big)));
const compiled = (await compileFlight(big, undefined)).module;
const fresh = await compileFlight(big, undefined);
let started = performance.now();
await runCompiled(fresh.module, spec, cluster);
row('first run after compile (fresh worker)', performance.now() - started);
row('warm run: compiled module, fresh worker each run (median of 10)', await timeIt(10, () => runCompiled(compiled, spec, cluster)));
const worker = new FlightWorker();
await runCompiled(compiled, spec, cluster, worker);
await new Promise((r) => setTimeout(r, 200));
const pooledMs = row('warm run: pooled worker, instance prepared while idle (median of 20)', await timeIt(20, async () => {
  await runCompiled(compiled, spec, cluster, worker);
  await new Promise((r) => setTimeout(r, 100)); // idle time in which the next instance is prepared
}) - 100);

// the physical limit: `_start` of an already-instantiated module, in this thread
const limitSamples: number[] = [];
for (let i = 0; i < 20; i++) {
  const wasi = new FlightWasi();
  let instance: WebAssembly.Instance | undefined;
  const host = createHostImports(() => instance!, () => ({ state: State.NotFound, body: 'not found' }));
  instance = new WebAssembly.Instance(compiled, { wasi_snapshot_preview1: wasi.wasi.wasiImport, host });
  wasi.bind(instance);
  wasi.configure({ argv: ['demo'], env: flightEnv({ env: {}, release: 'demo', namespace: 'demo' }), stdin: new Uint8Array(), stdout: new Capture(1 << 26, 'abort'), stderr: new Capture(1 << 20, 'truncate') });
  const t = performance.now();
  wasi.wasi.start(instance as Parameters<typeof wasi.wasi.start>[0]);
  limitSamples.push(performance.now() - t);
}
const limitMs = row('physical limit: _start of an already-instantiated module (median of 20)', median(limitSamples));
const instantiateMs = row('new WebAssembly.Instance alone (median of 10)', await timeIt(10, () => new WebAssembly.Instance(compiled, { wasi_snapshot_preview1: new FlightWasi().wasi.wasiImport, host: createHostImports(() => { throw new Error('unused'); }, () => ({ state: 0, body: '' })) })));

// --- jetway render end to end against a bare script that only instantiates and runs
const cli = join(root, 'dist/src/cli/main.js');
const bigPath = join(root, 'test/flights/wasm/big.wasm.gz');
const renderMs = row('jetway render end to end, new process (median of 5)', await timeIt(5, () => execa(process.execPath, [cli, 'render', '--wasm', bigPath, '--release', 'demo', '--namespace', 'demo', '--cluster-state', emptyState])));
const bareMs = row('bare script: compile + instantiate + run, new process (median of 5)', await timeIt(5, () => execa(process.execPath, [join(root, 'dist/bench/bare-run.js'), bigPath])));

// --- per-lookup cost of the host bridge against calling the handler directly
const loop = (await compileFlight(await watModule('lookup-loop'), undefined)).module;
const job = { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'demo-one', namespace: 'demo', annotations: { 'instance.atc.yoke.cd/release': 'demo', 'instance.atc.yoke.cd/namespace': 'demo' } }, status: { succeeded: 1 } };
const offline = new OfflineCluster([job], 'demo');
const loopRun = await timeIt(5, () => runCompiled(loop, spec, offline));
const emptyRun = await timeIt(5, () => runFlight({ module: loop, input: new Uint8Array(), release: 'demo', namespace: 'demo', args: [], env: {}, timeoutMs: 30_000, maxMemoryMib: undefined, host: async () => ({ state: 0, body: '' }) }));
const mapping = (await offline.restMapping('batch', 'Job', 'v1'))!;
const direct = await timeIt(5, async () => {
  for (let i = 0; i < 1000; i++) await offline.get(mapping, 'demo', 'demo-one');
});
row('1000 lookups through the bridge (policy + offline cluster), per lookup', loopRun / 1000, `(${loopRun.toFixed(0)} ms per 1000)`);
row('1000 empty host calls through the bridge, per call', emptyRun / 1000);
row('1000 direct cluster.get calls in the parent, per call', direct / 1000);

// --- issue 5: the warm service against a cold in-process generate
const dir = mkdtempSync(join(tmpdir(), 'jetway-bench-svc-'));
const socket = join(dir, 'jetway.sock');
const api = await startApiServer();
const kubeconfig = api.kubeconfig();
const kube = new KubeCluster(loadKubeConfig({ kubeconfig }));
const service = await startService({ socket, listen: undefined, workers: 2, cluster: kube, sink: { record() {}, records: () => [], ready: () => true }, metrics: createMetrics(), log: () => undefined });
const runner = serviceRunner(socket, () => Promise.reject(new Error('the service must answer in the benchmark')));
const module = { bytes: big, digest: sha256(big) };
await runner(module, spec);
await runner(module, spec);
await new Promise((r) => setTimeout(r, 300));
const warmServiceMs = row('warm request through jetway serve (socket, pooled prepared worker; median of 20)', await timeIt(20, async () => {
  await runner(module, spec);
  await new Promise((r) => setTimeout(r, 100));
}) - 100);
const appDir = mkdtempSync(join(tmpdir(), 'jetway-bench-app-'));
writeFileSync(join(appDir, 'flight.wasm.gz'), readFileSync(bigPath));
const argoEnv = {
  ARGOCD_APP_NAME: 'demo',
  ARGOCD_APP_NAMESPACE: 'demo',
  ARGOCD_APP_PARAMETERS: JSON.stringify([{ name: 'clusterAccess', string: 'true' }, { name: 'wasm', string: 'flight.wasm.gz' }]),
  JETWAY_CACHE_DIR: join(dir, 'cache'),
  JETWAY_KUBECONFIG: kubeconfig,
  PATH: process.env['PATH'] ?? '',
};
const coldGenerate = row('cold generate, in-process (new process, median of 5)', await timeIt(5, () => execa(process.execPath, [cli, 'generate'], { cwd: appDir, env: argoEnv, extendEnv: false })));
const warmGenerate = row('generate handing the run to jetway serve (new process, median of 5)', await timeIt(5, () => execa(process.execPath, [cli, 'generate'], { cwd: appDir, env: { ...argoEnv, JETWAY_SOCKET: socket }, extendEnv: false })));
await service.close();
await worker.terminate();
kube.close();
await api.close();

const out = [
  `# jetway benchmark`,
  '',
  `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}. Flight: test/flights/big (${(big.length / 1e6).toFixed(1)} MB, the pipeline logic). All figures from this one run.`,
  '',
  '| measurement | time | note |',
  '| --- | --- | --- |',
  ...rows.map(([a, b, c]) => `| ${a} | ${b} | ${c} |`),
  '',
  '| ratio | value |',
  '| --- | --- |',
  `| jetway render / bare script | ${(renderMs / bareMs).toFixed(2)}× |`,
  `| pooled warm run / physical limit (_start) | ${(pooledMs / limitMs).toFixed(2)}× |`,
  `| warm service request / physical limit (_start) | ${(warmServiceMs / limitMs).toFixed(2)}× |`,
  `| cold generate / generate through the service | ${(coldGenerate / warmGenerate).toFixed(2)}× |`,
  `| instantiate / compile | ${(instantiateMs / compileMs).toFixed(2)}× |`,
  '',
];
process.stdout.write(out.join('\n'));
