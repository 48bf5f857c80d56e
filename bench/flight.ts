// The benchmark's subject: the 17 MB Go flight, compiled once, and the spec every run uses.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { OfflineCluster } from '../src/cluster/offline.js';
import type { RunSpec } from '../src/flight/runner.js';
import { createHostImports } from '../src/wasi/guest.js';
import { State } from '../src/wasi/states.js';
import { flightEnv } from '../src/wasi/run.js';
import { Capture, FlightWasi } from '../src/wasi/shim.js';
import { idleBetweenRequestsMs, median, sleep } from './report.js';

export const root = new URL('../../', import.meta.url).pathname;
export const cli = join(root, 'dist/src/cli/main.js');
export const bigPath = join(root, 'test/flights/wasm/big.wasm.gz');
export const big = gunzipSync(readFileSync(bigPath));
export const emptyCluster = new OfflineCluster([], 'demo');
export const spec: RunSpec = { input: new Uint8Array(), release: 'demo', namespace: 'demo', args: [], env: {}, timeoutMs: 30_000, maxMemoryMib: undefined, clusterAccess: true, resourceMatchers: [] };

/**
 * Runs (and requests) discarded before timing, so V8 has optimized the flight's code and jetway's JavaScript around it
 * (the WASI shim, the bridge, the HTTP path) as a long-lived service has. Measured here: pooled runs reach their steady
 * state after about 20 (median 4.4 ms over the first 20, 3.2 ms after).
 */
export const warmUpRuns = 40;

// Why: the yardstick: nothing can serve a request faster than `_start` of a ready instance. Each instance is
// made, then left idle as long as a pooled worker's is between requests, so both are timed in the same conditions.
export async function startOfReadyInstance(module: WebAssembly.Module, samples: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < warmUpRuns + samples; i++) {
    const wasi = new FlightWasi();
    const host = createHostImports(
      () => instance,
      () => ({ state: State.NotFound, body: 'not found' }),
    );
    const instance = new WebAssembly.Instance(module, { wasi_snapshot_preview1: wasi.wasi.wasiImport, host });
    wasi.bind(instance);
    wasi.configure({
      argv: ['demo'],
      env: flightEnv({ env: {}, release: 'demo', namespace: 'demo' }),
      stdin: new Uint8Array(),
      stdout: new Capture('stdout', 1 << 26, 1 << 26),
      stderr: new Capture('stderr', 1 << 20, 1 << 26),
    });
    await sleep(idleBetweenRequestsMs);
    const started = performance.now();
    wasi.wasi.start(instance as Parameters<typeof wasi.wasi.start>[0]);
    if (i >= warmUpRuns) times.push(performance.now() - started);
  }
  return median(times);
}
