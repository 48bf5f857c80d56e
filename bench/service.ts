// Issue 5's speed figures: a warm request through `jetway serve` against the physical limit, and generate cold against through the service.

import { execa } from 'execa';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256 } from '../src/module/digest.js';
import { fetchRecords, serviceRunner } from '../src/service/client.js';
import { serviceV8Flags } from '../src/service/tuning.js';
import { startApiServer } from '../test/support/apiserver.js';
import { putApplications } from './applications.js';
import { startServe } from '../test/support/serve.js';
import { big, bigPath, cli, root, spec, warmUpRuns } from './flight.js';
import { idleBetweenRequestsMs, median, type Report, sleep, timeIt } from './report.js';
import type { RuntimeFigures } from './runtime.js';

/** yokecd's warm request for a 16.5 MB yoke-SDK flight on this machine class, as the issue quotes it. */
const yokecdWarmMs = 27;

/** The physical limit and one bare lookup, measured in a process with the service's V8 flags, so ratios compare like with like. */
async function serviceLimits(kubeconfig: string): Promise<{ limitMs: number; lookupMs: number }> {
  const { stdout } = await execa(process.execPath, [...serviceV8Flags, join(root, 'dist/bench/start-limit.js'), kubeconfig]);
  return JSON.parse(stdout) as { limitMs: number; lookupMs: number };
}

// Why: the request path generate takes on every sync once the service is warm, against a real `jetway serve` process.
export async function benchService(report: Report, runtime: RuntimeFigures): Promise<void> {
  report.section('jetway serve: warm request path and generate (a real `jetway serve` process)');
  const dir = mkdtempSync(join(tmpdir(), 'jetway-bench-svc-'));
  const api = await startApiServer();
  putApplications(api, ['demo'], 'demo');
  const serve = await startServe(api);
  try {
    const runner = serviceRunner(serve.socket, () => Promise.reject(new Error('the service must answer in the benchmark')));
    const module = { bytes: big, digest: sha256(big) };
    for (let i = 0; i < warmUpRuns; i++) {
      await runner(module, spec);
      await sleep(idleBetweenRequestsMs);
    }
    const inService: number[] = [];
    const warmMs = report.ms(
      `warm request through \`jetway serve\` (unix socket, pooled prepared worker; median of 30 after ${warmUpRuns} warm-up requests)`,
      await timeIt(30, async () => inService.push((await runner(module, spec)).durationMs), idleBetweenRequestsMs),
    );
    report.ms('… of which the run in the service: prepared worker, `_start`, one lookup over HTTPS to the API server (median)', median(inService));
    const socketMs = report.ms(
      '… a bare request over the same socket after the same idle pause (`GET /v1/records`, median of 30)',
      await timeIt(30, () => fetchRecords(serve.socket), idleBetweenRequestsMs),
      'waking two idle processes on this VM',
    );
    const { limitMs, lookupMs } = await serviceLimits(api.kubeconfig());
    report.ms(`physical limit under the service's V8 flags (${serviceV8Flags.join(' ')}): \`_start\` of a ready instance, its lookup answered in-thread`, limitMs);
    report.ms("the flight's one lookup alone: GET Job demo-one from another process to the same API server, after the same idle pause (median of 30)", lookupMs, 'a 404, as the flight sees it');
    report.value('warm request / physical limit, same V8 flags', `${(warmMs / limitMs).toFixed(2)}×`, 'goal ≤ 1.2×');
    const floorMs = limitMs + lookupMs + socketMs;
    report.value(
      'warm request / (limit + the lookup + a bare socket request)',
      `${(warmMs / floorMs).toFixed(2)}×`,
      `${floorMs.toFixed(1)} ms: what any service answering over a socket, with a flight that makes this lookup, pays`,
    );
    report.value('warm request / physical limit under default V8 flags', `${(warmMs / runtime.limitMs).toFixed(2)}×`);
    report.value(
      'warm request / yokecd warm request',
      `${(warmMs / yokecdWarmMs).toFixed(2)}×`,
      `yokecd: ${yokecdWarmMs} ms as quoted in issue 5 (not measured here: no Go yoke runtime on this machine)`,
    );

    const appDir = mkdtempSync(join(tmpdir(), 'jetway-bench-app-'));
    writeFileSync(join(appDir, 'flight.wasm.gz'), readFileSync(bigPath));
    const argoEnv = {
      ARGOCD_APP_NAME: 'demo',
      ARGOCD_APP_NAMESPACE: 'demo',
      ARGOCD_APP_PARAMETERS: JSON.stringify([
        { name: 'clusterAccess', string: 'true' },
        { name: 'wasm', string: 'flight.wasm.gz' },
      ]),
      JETWAY_CACHE_DIR: join(dir, 'cache'),
      PATH: process.env['PATH'] ?? '',
    };
    // the in-process generate (service down) reads no cluster any more (issue 14): the generate section measures it without lookups
    report.ms(
      '`jetway generate` when the service does not do the whole generate (no JETWAY_SOURCES_DIR): it loads the module and hands the run to `jetway serve` (new process, median of 5)',
      await timeIt(5, () => execa(process.execPath, [cli, 'generate'], { cwd: appDir, env: { ...argoEnv, JETWAY_SOCKET: serve.socket }, extendEnv: false })),
    );
  } finally {
    await serve.stop();
    await api.close();
  }
}
