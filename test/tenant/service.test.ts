// Tenant attacks on the shared service (issue 11 item 4): an app author, through their repository and parameters,
// tries to wedge or starve the one `jetway serve` every team's Applications use. Each runs through Argo CD's
// cmp-server imitation and a real `jetway serve` process; the proof is always another app's run succeeding in the
// service, and the service's own metrics showing its workers back.

import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { execa } from 'execa';
import { startApiServer, type FakeApiServer } from '../support/apiserver.js';
import { CmdError, CmpServer, buildRequestEnv, readPluginConfig, type Application, type PluginConfig } from '../support/cmp-server.js';
import { repoPath } from '../support/paths.js';
import { metric, startServe, type ServeProcess } from '../support/serve.js';
import { watModule } from '../support/wat.js';

let api: FakeApiServer;
let dir: string;
let repoDir: string;
let plugin: PluginConfig;
const cluster = { kubeVersion: '1.31', apiVersions: ['v1'] };

before(async () => {
  api = await startApiServer();
  dir = await mkdtemp(join(tmpdir(), 'jetway-tenant-service-'));
  // the sidecar image has `jetway` on PATH; here a shim runs the built CLI
  await mkdir(join(dir, 'bin'));
  await writeFile(join(dir, 'bin/jetway'), `#!/bin/sh\nexec "${process.execPath}" "${repoPath('dist/src/cli/main.js')}" "$@"\n`);
  await chmod(join(dir, 'bin/jetway'), 0o755);
  await symlink(repoPath('bin/jetway-generate'), join(dir, 'bin/jetway-generate')); // plugin.yaml's command
  repoDir = join(dir, 'repo');
  // start-spin: the wasm `start` function never returns; spin: `_start` never returns; yaml: a well-behaved flight
  for (const name of ['start-spin', 'spin', 'yaml-stages']) {
    await mkdir(join(repoDir, name), { recursive: true });
    await writeFile(join(repoDir, name, 'flight.wasm'), await watModule(name));
  }
  plugin = await readPluginConfig(repoPath('plugin.yaml'));
});

after(async () => {
  await api.close();
  await rm(dir, { recursive: true, force: true });
});

/** Argo CD's plugin sidecar in front of `serve`; `deadlineMs` is Argo CD's deadline for one manifest request. */
function sidecar(serve: ServeProcess, deadlineMs = 60_000): CmpServer {
  return new CmpServer({ plugin, baseEnv: sidecarEnv(serve), deadlineMs, killGraceMs: 500 });
}

/** The plugin sidecar's own environment. */
function sidecarEnv(serve: ServeProcess): Record<string, string> {
  return { PATH: `${join(dir, 'bin')}:${process.env['PATH'] ?? ''}`, HOME: dir, JETWAY_SOCKET: serve.socket, JETWAY_CACHE_DIR: join(dir, 'cache') };
}

/** An Application of one team, running the repository's `flight` folder with `timeout`. */
function app(name: string, flight: string, timeout?: string): Application {
  const parameters = [{ name: 'wasm', string: 'flight.wasm' }, ...(timeout ? [{ name: 'timeout', string: timeout }] : [])];
  return { name, project: 'default', destinationNamespace: name, revision: 'a'.repeat(40), source: { repoURL: 'https://git.example/apps.git', path: flight, plugin: { name: 'jetway', parameters } } };
}

function generate(cmp: CmpServer, application: Application) {
  return cmp.generate({ repoDir, appPath: application.source.path, env: buildRequestEnv(application, cluster) });
}

/**
 * `jetway generate` started as the cmp-server starts it (same environment, own process group), for the tests that kill
 * it themselves once the service shows the run, as Argo CD does at its deadline, instead of betting on a deadline.
 */
function startGenerate(serve: ServeProcess, application: Application) {
  const env: Record<string, string> = { ...sidecarEnv(serve) };
  for (const entry of buildRequestEnv(application, cluster)) env[entry.slice(0, entry.indexOf('='))] = entry.slice(entry.indexOf('=') + 1);
  return execa('jetway', ['generate'], { cwd: join(repoDir, application.source.path), env, extendEnv: false, reject: false, detached: true });
}

/** Polls the service until `check` holds (no fixed sleep), failing with `what` after `timeoutMs`. */
async function until(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const idleWorkers = (serve: ServeProcess) => metric(serve.opsUrl, 'jetway_workers', 'state="idle"');

/** Another team's well-behaved app renders, and the service (not generate's in-process fallback) ran it. */
async function anotherTeamRendersInTheService(cmp: CmpServer, serve: ServeProcess, name: string): Promise<void> {
  const okBefore = (await metric(serve.opsUrl, 'jetway_runs_total', 'outcome="ok",instance_origin="fresh"')) || 0;
  const { documents } = await generate(cmp, app(name, 'yaml-stages'));
  assert.deepEqual(documents.map((d) => (d as { kind: string }).kind), ['Namespace', 'ConfigMap']);
  assert.equal(await metric(serve.opsUrl, 'jetway_runs_total', 'outcome="ok",instance_origin="fresh"'), okBefore + 1, 'the other team ran in the service');
}

test("an app author's module never returns from its start function", async () => {
  const serve = await startServe(api, ['--workers', '2']);
  try {
    const cmp = sidecar(serve);
    await assert.rejects(generate(cmp, app('team-a', 'start-spin', '2s')), (e: CmdError) => {
      assert.match(e.message, /jetway: generate for Application team-a failed: flight timed out after 2s/);
      return true;
    });
    await anotherTeamRendersInTheService(cmp, serve, 'team-b');
    // no worker stays wedged instantiating it: both are idle again, nothing burns a core
    await until('both workers are idle', async () => (await idleWorkers(serve)) === 2);
  } finally {
    await serve.stop();
  }
});

test('an app author disables the timeout', async () => {
  // the admin's ceiling on the serve container: a run that asks for no deadline gets it
  const serve = await startServe(api, ['--workers', '2'], undefined, { JETWAY_MAX_TIMEOUT: '2s' });
  try {
    const cmp = sidecar(serve, 20_000);
    await assert.rejects(generate(cmp, app('team-a', 'spin', '-1s')), (e: CmdError) => {
      assert.match(e.message, /flight timed out after 2s, the admin ceiling JETWAY_MAX_TIMEOUT for flights with no timeout/);
      return true;
    });
    await until('both workers are idle', async () => (await idleWorkers(serve)) === 2);
    await anotherTeamRendersInTheService(cmp, serve, 'team-b');
  } finally {
    await serve.stop();
  }
});

test('a killed generate keeps its run going', async () => {
  const serve = await startServe(api, ['--workers', '2']);
  try {
    const killed = startGenerate(serve, app('team-a', 'spin', '40s'));
    await until('the service has the run', async () => (await metric(serve.opsUrl, 'jetway_module_cache_total', 'result="hit"')) === 1);
    // Argo CD's deadline SIGTERMs generate long before the flight's own 40 s timeout
    killed.kill('SIGTERM');
    assert.equal((await killed).signal, 'SIGTERM');
    await until('serve cancels the run', async () => (await metric(serve.opsUrl, 'jetway_runs_total', 'outcome="cancelled",instance_origin="unknown"')) === 1);
    await until('both workers are idle', async () => (await idleWorkers(serve)) === 2);
    assert.ok(serve.logs.some((l) => l['msg'] === 'run cancelled: the generate that asked for it has gone' && l['app'] === 'team-a'));
  } finally {
    await serve.stop();
  }
});

test('one app floods the service with runs', async () => {
  const serve = await startServe(api, ['--workers', '2']);
  try {
    // three generates of one app whose flight spins for 40 s
    const flood = [1, 2, 3].map(() => startGenerate(serve, app('team-a', 'spin', '40s')));
    await until('the service has the three runs', async () => (await metric(serve.opsUrl, 'jetway_module_cache_total', 'result="hit"')) === 3);
    await anotherTeamRendersInTheService(sidecar(serve), serve, 'team-b');
    // the flood held its share (half the workers) and waited for more
    assert.equal(await metric(serve.opsUrl, 'jetway_workers', 'state="running"'), 1);
    assert.equal(await metric(serve.opsUrl, 'jetway_runs_waiting'), 2);
    // Argo CD's deadline ends the flood (before serve's 10 s queue limit would send it back to generate)
    for (const generate of flood) generate.kill('SIGTERM');
    await Promise.all(flood);
    await until('every flooding run is cancelled', async () => (await metric(serve.opsUrl, 'jetway_runs_total', 'outcome="cancelled",instance_origin="unknown"')) === 3);
  } finally {
    await serve.stop();
  }
});
