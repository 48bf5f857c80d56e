// Generate done by `jetway serve` (POST /v1/generate), as Argo CD reaches it: the launcher bin/jetway-generate run in a
// copy of the repository under `<TMPDIR>/_cmp_server/<uuid>/<path>`, relaying the service's answer over curl. The
// output must equal what generate produces in-process; failures keep the one-line contract and exit 1; the service
// declines (and the launcher runs generate itself) whenever it cannot or must not read the request's directory.

import assert from 'node:assert/strict';
import { chmod, cp, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { execa } from 'execa';
import { generateInService } from '../../src/service/client.js';
import { startApiServer, type FakeApiServer } from '../support/apiserver.js';
import { repoPath } from '../support/paths.js';
import { startServe, type ServeProcess } from '../support/serve.js';
import { application, until } from '../refresher/support.js';
import { makeCrd } from '../support/apiserver/discovery.js';
import { watModule } from '../support/wat.js';

let api: FakeApiServer;
let dir: string;
let sources: string;
let bin: string;
let serve: ServeProcess;
let kubeconfig: string;

const parameters = JSON.stringify([
  { name: 'clusterAccess', string: 'true' },
  { name: 'inputFiles', array: ['input.json'] },
  { name: 'wasm', string: 'pipeline.wasm.gz' },
]);

/** The serve container's and the plugin container's shared JETWAY_* policy; the credentials (JETWAY_KUBECONFIG) are serve's alone. */
const policy = () => ({ JETWAY_MAX_MEMORY_MIB: '512' });

before(async () => {
  api = await startApiServer({ namespaces: ['argocd', 'demo'] });
  kubeconfig = api.kubeconfig();
  dir = await mkdtemp(join(tmpdir(), 'jetway-generate-svc-'));
  sources = join(dir, '_cmp_server');
  bin = join(dir, 'bin');
  await mkdir(bin);
  // the sidecar image has both commands on PATH
  await writeFile(join(bin, 'jetway'), `#!/bin/sh\nexec "${process.execPath}" "${repoPath('dist/src/cli/main.js')}" "$@"\n`);
  await chmod(join(bin, 'jetway'), 0o755);
  await symlink(repoPath('bin/jetway-generate'), join(bin, 'jetway-generate'));
  // records are stored only for an Application that exists; its destination is where the lookups go (in-cluster here)
  api.put(
    application('argocd', 'pipeline', {
      project: 'default',
      destination: { server: 'https://kubernetes.default.svc', namespace: 'demo' },
      source: { repoURL: 'https://example.com/repo', plugin: { name: 'jetway' } },
    }),
  );
  api.put(makeCrd({ group: 'argoproj.io', kind: 'AppProject', plural: 'appprojects', singular: 'appproject', versions: ['v1alpha1'] }));
  api.put({ apiVersion: 'argoproj.io/v1alpha1', kind: 'AppProject', metadata: { name: 'default', namespace: 'argocd' }, spec: { destinations: [{ namespace: '*', server: '*' }] } });
  serve = await startServe(api, [], join(dir, 'jetway.sock'), { ...policy(), JETWAY_KUBECONFIG: kubeconfig, JETWAY_SOURCES_DIR: sources, JETWAY_CACHE_DIR: join(dir, 'serve-cache') });
});

after(async () => {
  await serve.stop();
  await api.close();
  await rm(dir, { recursive: true, force: true });
});

/** A fresh copy of examples/pipeline as the cmp-server makes one: `<sources>/<uuid>/<path>`; returns the app directory. */
async function checkout(uuid: string, path = 'apps/pipeline'): Promise<string> {
  const app = join(sources, uuid, path);
  await mkdir(app, { recursive: true });
  await cp(repoPath('examples/pipeline'), app, { recursive: true });
  return app;
}

/** The plugin container's environment for one request. */
function pluginEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: `${bin}:${process.env['PATH'] ?? ''}`,
    ARGOCD_APP_NAME: 'pipeline',
    ARGOCD_APP_NAMESPACE: 'demo',
    ARGOCD_APP_SOURCE_PATH: 'apps/pipeline',
    ARGOCD_APP_PARAMETERS: parameters,
    JETWAY_SOCKET: serve.socket,
    JETWAY_CACHE_DIR: join(dir, 'plugin-cache'),
    ...policy(),
    ...extra,
  };
}

/** Runs a command as Argo CD does: in the app directory, only the given environment. */
function run(command: string[], cwd: string, env: Record<string, string>) {
  return execa(command[0]!, command.slice(1), { cwd, env, extendEnv: false, reject: false, stripFinalNewline: false });
}

const declines = () => serve.logs.filter((l) => l['msg'] === 'generate left to the plugin container').map((l) => String(l['reason']));

test("the launcher relays the service's generate: the same manifests as generate in-process, and the service records the run", async () => {
  const app = await checkout('a1');
  const relayed = await run(['jetway-generate'], app, pluginEnv({ ARGOCD_ENV_GREETING: 'two\nlines' }));
  assert.equal(relayed.exitCode, 0, relayed.stderr);
  // generate in the plugin container (a copy outside the sources, so the service declines the whole generate): the
  // flight's lookups still go through the service (POST /v1/run), the only holder of credentials
  const outside = join(dir, 'outside-a1');
  await cp(repoPath('examples/pipeline'), outside, { recursive: true });
  const local = await run(['jetway', 'generate'], outside, pluginEnv({ ARGOCD_APP_SOURCE_PATH: '' }));
  assert.equal(local.exitCode, 0, local.stderr);
  assert.equal(relayed.stdout, local.stdout);
  // `jetway generate` itself offers the same request first (the path of an unchanged yokecd-era plugin.yaml)
  const node = await run(['jetway', 'generate'], app, pluginEnv());
  assert.equal(node.stdout, local.stdout);
  assert.match(relayed.stdout, /kind: Job\n/);
  assert.ok(
    declines().every((r) => r.includes('not inside')),
    'only the copy outside the sources was declined',
  );
  // the service stored the run's record in the cluster, where `jetway status` reads it
  await until('the run record is stored', () => api.get('jetway.dev/v1alpha1', 'RunRecord', 'argocd', 'pipeline') !== undefined, 10_000);
  const status = await execa(process.execPath, [repoPath('dist/src/cli/main.js'), 'status', 'pipeline', '--kubeconfig', kubeconfig], { reject: false });
  assert.match(status.stdout, /^pipeline: ok/);
});

test("a failing generate in the service exits 1 with jetway's one line, as in-process", async () => {
  const app = await checkout('a2');
  const declined = declines().length;
  const env = pluginEnv({ ARGOCD_APP_PARAMETERS: JSON.stringify([{ name: 'wasm', string: 'missing.wasm' }]) });
  const relayed = await run(['jetway-generate'], app, env);
  assert.equal(relayed.exitCode, 1);
  assert.equal(relayed.stdout, '');
  assert.equal(relayed.stderr, 'jetway: generate for Application pipeline failed: module file missing.wasm not found in the repository (looked for apps/pipeline/missing.wasm)\n');
  assert.equal(declines().length, declined, 'the service ran it');
  const local = await run(['jetway', 'generate'], app, { ...env, JETWAY_SOCKET: '' });
  assert.equal(local.stderr, relayed.stderr);
});

test('the service declines what it must not read, and the launcher then generates in the plugin container', async () => {
  const app = await checkout('a3');
  const outside = join(dir, 'outside');
  await cp(repoPath('examples/pipeline'), outside, { recursive: true });
  // a directory outside the sources, a source path claiming the sources root as the repository, a laxer policy
  // (the caller hears why, as the service logs it: generate in the plugin container says it where refs need the service)
  const declinedWhy = async (cwd: string, env: NodeJS.ProcessEnv) => {
    const reply = await generateInService(serve.socket, cwd, env);
    return reply && 'declined' in reply ? reply.declined : undefined;
  };
  assert.match((await declinedWhy(outside, pluginEnv())) ?? '', /^the source directory is not inside /);
  assert.equal(await declinedWhy(app, pluginEnv({ ARGOCD_APP_SOURCE_PATH: 'a3/apps/pipeline' })), "ARGOCD_APP_SOURCE_PATH leads above the request's work directory");
  assert.equal(
    await declinedWhy(app, pluginEnv({ JETWAY_MAX_MEMORY_MIB: '4096' })),
    'JETWAY_MAX_MEMORY_MIB differs between the plugin container and jetway serve: set the same JETWAY_* settings on both',
  );
  // a setting only serve reads (its queue bound) may differ: generate never reads it
  assert.ok(await generateInService(serve.socket, app, pluginEnv({ JETWAY_MAX_QUEUED_RUNS: '7' })).then((reply) => reply && !('declined' in reply)));
  assert.match((await declinedWhy(join(sources, 'a3', 'apps', '..', '..', '..', 'outside'), pluginEnv())) ?? '', /^the source directory is not inside /);
  const reasons = declines();
  assert.ok(
    reasons.some((r) => r.includes('not inside')),
    reasons.join('\n'),
  );
  assert.ok(
    reasons.some((r) => r.includes('ARGOCD_APP_SOURCE_PATH leads above')),
    reasons.join('\n'),
  );
  assert.ok(
    reasons.some((r) => r.includes('JETWAY_MAX_MEMORY_MIB differs')),
    reasons.join('\n'),
  );
  // declined, the launcher still answers, through generate in the plugin container
  const fallback = await run(['jetway-generate'], outside, pluginEnv({ ARGOCD_APP_SOURCE_PATH: '' }));
  assert.equal(fallback.exitCode, 0, fallback.stderr);
  assert.match(fallback.stdout, /kind: Job\n/);
});

test("a symlink in the repository cannot lead the service out of the request's work directory", async () => {
  const app = await checkout('a4');
  const declined = declines().length;
  await writeFile(join(dir, 'secret.yaml'), 'token: hunter2\n');
  await symlink(join(dir, 'secret.yaml'), join(app, 'values.yaml'));
  const env = pluginEnv({
    ARGOCD_APP_PARAMETERS: JSON.stringify([
      { name: 'inputFiles', array: ['values.yaml'] },
      { name: 'wasm', string: 'pipeline.wasm.gz' },
    ]),
  });
  const relayed = await run(['jetway-generate'], app, env);
  assert.equal(relayed.exitCode, 1);
  assert.match(relayed.stderr, /^jetway: generate for Application pipeline failed: parameter inputFiles: got "values.yaml", expected a file inside the repository/);
  assert.doesNotMatch(relayed.stderr + relayed.stdout, /hunter2/);
  assert.equal(declines().length, declined, 'the service ran it');
});

test('with the service gone the launcher generates in the plugin container, which holds no credentials: lookups fail in one line', async () => {
  const app = await checkout('a5');
  await writeFile(join(app, 'flight.wasm'), await watModule('yaml-stages'));
  const gone = pluginEnv({ JETWAY_SOCKET: join(dir, 'no-such.sock') });
  const relayed = await run(['jetway-generate'], app, gone);
  assert.equal(relayed.exitCode, 1);
  assert.equal(relayed.stdout, '');
  assert.match(
    relayed.stderr,
    /^jetway: generate for Application pipeline failed: lookups need jetway serve .*no-such\.sock \(down, or declining: its log says why\): check the jetway-serve container beside the plugin \(deploy\/\), then refresh the app\n$/,
  );
  const stages = await run(['jetway-generate'], app, { ...gone, ARGOCD_APP_PARAMETERS: JSON.stringify([{ name: 'wasm', string: 'flight.wasm' }]) });
  assert.equal(stages.exitCode, 0, stages.stderr);
  assert.notEqual(stages.stdout, '');
});
