// Issue 3's figures: compile, first and warm runs of a large Go flight, the render command against a bare script, the host bridge.

import { execa } from 'execa';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OfflineCluster } from '../src/cluster/offline.js';
import { runCompiled } from '../src/flight/runner.js';
import { createHostImports } from '../src/wasi/guest.js';
import { compileFlight } from '../src/module/compile.js';
import { FlightWorker } from '../src/wasi/flight-worker.js';
import { runFlight } from '../src/wasi/run.js';
import { FlightWasi } from '../src/wasi/shim.js';
import { watModule } from '../test/support/wat.js';
import { big, bigPath, cli, emptyCluster, root, spec, startOfReadyInstance, warmUpRuns } from './flight.js';
import { idleBetweenRequestsMs, type Report, timeIt } from './report.js';

/** What later sections compare against. */
export interface RuntimeFigures {
  limitMs: number;
}

// Why: the run a user pays for on every generate, from cold to the warmest path jetway has.
export async function benchRuntime(report: Report): Promise<RuntimeFigures> {
  report.section(`Flight runtime (${(big.length / 1e6).toFixed(1)} MB Go flight, test/flights/big)`);
  const compileMs = report.ms('compile (WebAssembly.compile, median of 3)', await timeIt(3, () => WebAssembly.compile(big)));
  const compiled = (await compileFlight(big, undefined)).module;
  const fresh = (await compileFlight(big, undefined)).module;
  const started = performance.now();
  await runCompiled(fresh, spec, emptyCluster);
  report.ms('first run after compile (fresh worker)', performance.now() - started);
  report.ms('warm run: compiled module, fresh worker each run (median of 10)', await timeIt(10, () => runCompiled(compiled, spec, emptyCluster)));
  const worker = new FlightWorker();
  let prepared = Promise.resolve();
  const pooledRun = async () => {
    await prepared; // a worker is busy until its instance is ready, as in the service's pool
    await runCompiled(compiled, spec, emptyCluster, worker);
    prepared = worker.prepare(compiled); // as the service does once its answer is out
  };
  await timeIt(warmUpRuns, pooledRun, idleBetweenRequestsMs);
  const pooledMs = report.ms(`warm run: pooled worker, instance prepared while idle (median of 20 after ${warmUpRuns} warm-up runs)`, await timeIt(20, pooledRun, idleBetweenRequestsMs));
  await prepared; // the last run's preparation: terminating under it would reject it with no one listening
  await worker.terminate();
  const limitMs = report.ms('physical limit: `_start` of an already-instantiated module, main thread, after the same idle pause (median of 20)', await startOfReadyInstance(compiled, 20));
  const instantiateMs = report.ms(
    '`new WebAssembly.Instance` alone (median of 10)',
    await timeIt(
      10,
      () =>
        new WebAssembly.Instance(compiled, {
          wasi_snapshot_preview1: new FlightWasi().wasi.wasiImport,
          host: createHostImports(
            () => {
              throw new Error('unused');
            },
            () => ({ state: 0, body: '' }),
          ),
        }),
    ),
  );
  report.value('pooled warm run / physical limit', `${(pooledMs / limitMs).toFixed(2)}×`);
  report.value('instantiate / compile', `${(instantiateMs / compileMs).toFixed(2)}×`);

  const emptyState = join(mkdtempSync(join(tmpdir(), 'jetway-bench-')), 'empty.yaml');
  writeFileSync(emptyState, '');
  const renderMs = report.ms(
    '`jetway render` end to end, new process (median of 5)',
    await timeIt(5, () => execa(process.execPath, [cli, 'render', '--wasm', bigPath, '--release', 'demo', '--namespace', 'demo', '--cluster-state', emptyState])),
  );
  const bareMs = report.ms('bare script: compile + instantiate + run, new process (median of 5)', await timeIt(5, () => execa(process.execPath, [join(root, 'dist/bench/bare-run.js'), bigPath])));
  report.value('`jetway render` / bare script', `${(renderMs / bareMs).toFixed(2)}×`);

  const loop = (await compileFlight(await watModule('lookup-loop'), undefined)).module;
  const job = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'demo-one', namespace: 'demo', annotations: { 'instance.atc.yoke.cd/release': 'demo', 'instance.atc.yoke.cd/namespace': 'demo' } },
    status: { succeeded: 1 },
  };
  const offline = new OfflineCluster([job], 'demo');
  const loopMs = await timeIt(5, () => runCompiled(loop, spec, offline));
  const emptyMs = await timeIt(5, () =>
    runFlight({ module: loop, input: new Uint8Array(), release: 'demo', namespace: 'demo', args: [], env: {}, timeoutMs: 30_000, maxMemoryMib: undefined, host: async () => ({ state: 0, body: '' }) }),
  );
  const mapping = (await offline.restMapping('batch', 'Job', 'v1'))!;
  const directMs = await timeIt(5, async () => {
    for (let i = 0; i < 1000; i++) await offline.get(mapping, 'demo', 'demo-one');
  });
  report.ms('one lookup through the bridge (policy + offline cluster), of 1000', loopMs / 1000, `${loopMs.toFixed(0)} ms per 1000`);
  report.ms('one empty host call through the bridge, of 1000', emptyMs / 1000);
  report.ms('one direct offline `get` in the parent, of 1000', directMs / 1000);
  return { limitMs };
}
