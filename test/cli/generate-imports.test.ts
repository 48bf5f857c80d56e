// `jetway generate` in the plugin container when the service does not answer is a new Node process per manifest
// request, so what it imports is what it costs: importing @kubernetes/client-node took most of a second of CPU (issue
// 15's fallback at 2.4× a bare compile-and-run script). A flight without cluster access needs no cluster connection, and
// generate never serves metrics; this checks the modules the process really loads (bench/generate.ts measures the time).

import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { execa } from 'execa';
import { flightPath } from '../support/flights.js';
import { repoPath } from '../support/paths.js';

// Why a loader hook: it sees every module the process resolves, dynamic imports included, as they happen.
const hooks = `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(process.env.JETWAY_TEST_LOADED, resolved.url + '\\n');
  return resolved;
}`;
const register = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hooks)}`)});`;

test('an in-process generate of a flight without cluster access loads neither the Kubernetes client nor the metrics library', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'jetway-generate-imports-'));
  try {
    await copyFile(repoPath(flightPath('name')), join(dir, 'flight.wasm.gz'));
    const loaded = join(dir, 'loaded.txt');
    const result = await execa(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(register)}`, repoPath('dist/src/cli/main.js'), 'generate'], {
      cwd: dir,
      env: {
        ARGOCD_APP_NAME: 'imports',
        ARGOCD_APP_NAMESPACE: 'demo',
        ARGOCD_APP_PARAMETERS: JSON.stringify([{ name: 'wasm', string: 'flight.wasm.gz' }]),
        JETWAY_SOCKET: join(dir, 'no-service.sock'), // the service is down: generate runs the flight itself
        JETWAY_CACHE_DIR: join(dir, 'cache'),
        JETWAY_TEST_LOADED: loaded,
      },
      extendEnv: false,
      reject: false,
    });
    assert.equal(result.exitCode, 0, result.stderr);
    assert.match(result.stdout, /kind: ConfigMap\n/);
    const urls = (await readFile(loaded, 'utf8')).trim().split('\n');
    // the hook saw the in-process path (not only the relay), so the check below is about that path
    assert.ok(
      urls.some((url) => url.endsWith('/dist/src/wasi/flight-worker.js')),
      `generate's run modules were not among those loaded:\n${urls.join('\n')}`,
    );
    assert.deepEqual(
      urls.filter((url) => /\/node_modules\/(@kubernetes\/client-node|prom-client)\//.test(url)),
      [],
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
