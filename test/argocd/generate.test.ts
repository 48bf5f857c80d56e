// jetway generate through the imitation of Argo CD's cmp-server (argocd-contract.md): what Argo CD would apply.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, readdir, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startApiServer, type FakeApiServer } from './../support/apiserver.js';
import { CmpServer, RepoServerImitation, readPluginConfig, type Application } from '../support/cmp-server.js';
import { repoPath } from '../support/paths.js';
import { watModule } from '../support/wat.js';

let api: FakeApiServer;
let repo: RepoServerImitation;
let cmp: CmpServer;
let cacheDir: string;
const go = process.env['GO'] ?? '/usr/lib/go-1.24/bin/go';
const repoURL = 'https://git.example/apps.git';

before(async () => {
  api = await startApiServer();
  const dir = await mkdtemp(join(tmpdir(), 'jetway-generate-'));
  const bin = join(dir, 'bin');
  await mkdir(bin);
  // the sidecar image has `jetway` on PATH; here a shim runs the built CLI
  await writeFile(join(bin, 'jetway'), `#!/bin/sh\nexec "${process.execPath}" "${repoPath('dist/src/cli/main.js')}" "$@"\n`);
  await chmod(join(bin, 'jetway'), 0o755);
  const source = join(dir, 'repo');
  await mkdir(join(source, 'pipeline'), { recursive: true });
  await mkdir(join(source, 'yaml'), { recursive: true });
  await copyFile(repoPath('examples/pipeline/pipeline.wasm.gz'), join(source, 'pipeline/pipeline.wasm.gz'));
  await writeFile(join(source, 'pipeline/input.yaml'), 'apiVersion: examples.jetway.dev/v1\nkind: Pipeline\nmetadata:\n  name: placeholder\n');
  await writeFile(join(source, 'yaml/flight.wasm'), await watModule('yaml-stages'));
  await mkdir(join(source, 'gosrc'), { recursive: true });
  await writeFile(join(source, 'gosrc/go.mod'), 'module example.com/built\n\ngo 1.24\n');
  await writeFile(join(source, 'gosrc/main.go'), 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"built"}}`) }\n');
  cacheDir = join(dir, 'cache');
  cmp = new CmpServer({
    plugin: await readPluginConfig(repoPath('plugin.yaml')),
    baseEnv: { PATH: `${bin}:${process.env['PATH'] ?? ''}`, HOME: dir, JETWAY_KUBECONFIG: api.kubeconfig(), JETWAY_CACHE_DIR: join(dir, 'cache'), JETWAY_GO: go },
    deadlineMs: 30_000,
    killGraceMs: 500,
  });
  repo = new RepoServerImitation({ plugins: [cmp], repositories: { [repoURL]: source } });
});

after(async () => {
  await cmp.settle();
  await api.close();
});

function app(name: string, path: string, parameters: NonNullable<Application['source']['plugin']>['parameters']): Application {
  return { name, project: 'default', destinationNamespace: 'team-a', revision: 'a'.repeat(40), source: { repoURL, path, targetRevision: 'HEAD', plugin: { name: 'jetway', parameters } } };
}

type Manifest = { kind: string; metadata: { name: string; labels: Record<string, string>; annotations: Record<string, string> } };

test('a repo-local module that prints YAML renders, with the Namespace in wave 0 and yoke ownership on everything', async () => {
  const { manifests } = await repo.generate(app('yaml-app', 'yaml', [{ name: 'wasm', string: 'flight.wasm' }]));
  const objects = manifests as unknown as Manifest[];
  assert.deepEqual(objects.map((o) => [o.kind, o.metadata.annotations['argocd.argoproj.io/sync-wave']]), [['Namespace', '0'], ['ConfigMap', '1']]);
  for (const o of objects) {
    assert.equal(o.metadata.labels['app.kubernetes.io/managed-by'], 'jetway');
    assert.equal(o.metadata.annotations['instance.atc.yoke.cd/release'], 'yaml-app');
    assert.equal(o.metadata.annotations['instance.atc.yoke.cd/namespace'], 'team-a');
  }
});

test('the pipeline with an input map over input files renders job one and drops its own identity object', async () => {
  const { manifests } = await repo.generate(
    app('pipe', 'pipeline', [
      { name: 'clusterAccess', string: 'true' },
      { name: 'input', map: { 'metadata.name': 'pipe' } },
      { name: 'inputFiles', array: ['input.yaml'] },
      { name: 'wasm', string: 'pipeline.wasm.gz' },
    ]),
  );
  const objects = manifests as unknown as Manifest[];
  assert.deepEqual(objects.map((o) => `${o.kind}/${o.metadata.name}`), ['Job/pipe-one']);
  // the lookup went to the destination namespace, through the real client
  assert.ok(api.requests.some((r) => r.path === '/apis/batch/v1/namespaces/team-a/jobs/pipe-one'));
});

test('a normal refresh is served from the cache; a hard refresh runs generate again', async () => {
  const application = app('cached', 'yaml', [{ name: 'wasm', string: 'flight.wasm' }]);
  await repo.generate(application);
  const runs = cmp.generateRuns;
  assert.equal((await repo.generate(application)).cached, true);
  assert.equal(cmp.generateRuns, runs);
  await repo.generate(application, { refresh: 'hard' });
  assert.equal(cmp.generateRuns, runs + 1);
});

test('a wrong parameter fails the generate with Argo CD error text naming it, and never yields manifests', async () => {
  await assert.rejects(
    repo.generate(app('bad', 'yaml', [{ name: 'timeout', string: 'soon' }, { name: 'wasm', string: 'flight.wasm' }])),
    /failed exit status 1: jetway: generate for Application bad failed: parameter timeout: got "soon", expected a Go duration/,
  );
  await assert.rejects(repo.generate(app('typo', 'yaml', [{ name: 'clusterAcces', string: 'true' }, { name: 'wasm', string: 'flight.wasm' }])), /parameter clusterAcces: got/);
});

test('a flight that fails (no cluster access for a lookup) fails the generate instead of emitting nothing', async () => {
  await assert.rejects(
    repo.generate(app('noaccess', 'pipeline', [{ name: 'wasm', string: 'pipeline.wasm.gz' }])),
    /flight exited with code 1[\s\S]*access to the cluster has not been granted/,
  );
});

test('build: true compiles the Go source of the commit once; a hard refresh of the same commit does not rebuild', { skip: existsSync(go) ? false : `no Go toolchain at ${go}` }, async () => {
  const application = app('built', 'gosrc', [{ name: 'build', string: 'true' }]);
  const { manifests } = await repo.generate(application);
  assert.deepEqual((manifests as unknown as Manifest[]).map((o) => `${o.kind}/${o.metadata.name}`), ['ConfigMap/built']);
  const builds = await readdir(join(cacheDir, 'builds'));
  assert.equal(builds.length, 1);
  const builtAt = (await stat(join(cacheDir, 'builds', builds[0]!))).mtimeMs;
  await repo.generate(application, { refresh: 'hard' });
  assert.deepEqual(await readdir(join(cacheDir, 'builds')), builds);
  assert.equal((await stat(join(cacheDir, 'builds', builds[0]!))).mtimeMs, builtAt);
});
