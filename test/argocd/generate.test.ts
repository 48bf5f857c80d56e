// jetway generate through the imitation of Argo CD's cmp-server (../shared/argocd-contract.md): what Argo CD would apply.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, readdir, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { sha256 } from '../../src/module/digest.js';
import { startApiServer, type FakeApiServer } from './../support/apiserver.js';
import { CmpServer, RepoServerImitation, readPluginConfig, type Application } from '../support/cmp-server.js';
import { flightPath } from '../support/flights.js';
import { startHttpServer } from '../support/http-server.js';
import { repoPath } from '../support/paths.js';
import { startServe, type ServeProcess } from '../support/serve.js';
import { ensureApplication, installArgoProjects } from '../support/sidecar.js';
import { pushArtifact, startRegistry } from '../support/registry.js';
import { gzip } from '../support/tiny-module.js';
import { watModule } from '../support/wat.js';

let api: FakeApiServer;
let repo: RepoServerImitation;
let cmp: CmpServer;
let cacheDir: string;
/** jetway serve beside the plugin: the only holder of cluster credentials, so lookups and refs go through it (issue 14). */
let serve: ServeProcess;
/** The YAML-printing WAT flight (a Namespace and ConfigMap from-yaml), also served over http(s) and OCI. */
let yamlFlight: Uint8Array;
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
  await symlink(repoPath('bin/jetway-generate'), join(bin, 'jetway-generate'));
  const source = join(dir, 'repo');
  await mkdir(join(source, 'pipeline'), { recursive: true });
  await mkdir(join(source, 'yaml'), { recursive: true });
  await copyFile(repoPath('examples/pipeline/pipeline.wasm.gz'), join(source, 'pipeline/pipeline.wasm.gz'));
  await writeFile(join(source, 'pipeline/input.yaml'), 'apiVersion: examples.jetway.dev/v1\nkind: Pipeline\nmetadata:\n  name: placeholder\n');
  yamlFlight = await watModule('yaml-stages');
  await writeFile(join(source, 'yaml/flight.wasm'), yamlFlight);
  for (const name of ['versioncheck', 'memory']) {
    await mkdir(join(source, name));
    await copyFile(repoPath(flightPath(name)), join(source, name, `${name}.wasm.gz`));
  }
  await mkdir(join(source, 'gosrc'), { recursive: true });
  await writeFile(join(source, 'gosrc/go.mod'), 'module example.com/built\n\ngo 1.24\n');
  await writeFile(join(source, 'gosrc/main.go'), 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"built"}}`) }\n');
  cacheDir = join(dir, 'cache');
  installArgoProjects(api);
  const socket = join(dir, 'jetway.sock');
  serve = await startServe(api, [], socket, { POD_NAMESPACE: 'argocd', JETWAY_GO: go, JETWAY_SOURCES_DIR: join(dir, '_cmp_server'), JETWAY_CACHE_DIR: cacheDir });
  cmp = new CmpServer({
    plugin: await readPluginConfig(repoPath('plugin.yaml')),
    baseEnv: { PATH: `${bin}:${process.env['PATH'] ?? ''}`, HOME: dir, JETWAY_SOCKET: socket, JETWAY_CACHE_DIR: cacheDir, JETWAY_GO: go },
    tmpDir: dir,
    deadlineMs: 30_000,
    killGraceMs: 500,
  });
  repo = new RepoServerImitation({ plugins: [cmp], repositories: { [repoURL]: source } });
});

after(async () => {
  await cmp.settle();
  await serve.stop();
  await api.close();
});

/** An Application (in `namespace`, else Argo CD's) deploying in-cluster to team-a, also put on the API server, where serve resolves its destination. */
function app(name: string, path: string, parameters: NonNullable<Application['source']['plugin']>['parameters'], namespace?: string): Application {
  const application: Application = {
    name,
    ...(namespace !== undefined ? { namespace } : {}),
    project: 'default',
    destinationNamespace: 'team-a',
    revision: 'a'.repeat(40),
    source: { repoURL, path, targetRevision: 'HEAD', plugin: { name: 'jetway', parameters } },
  };
  ensureApplication(api, application);
  return application;
}

type Manifest = { kind: string; metadata: { name: string; labels: Record<string, string>; annotations: Record<string, string> }; data?: Record<string, string> };

/** kind/name of each manifest, in order. */
const kindNames = (manifests: readonly Record<string, unknown>[]): string[] => (manifests as unknown as Manifest[]).map((o) => `${o.kind}/${o.metadata.name}`);

test('a repo-local module that prints YAML renders, with the Namespace in wave 0 and yoke ownership on everything', async () => {
  const { manifests } = await repo.generate(app('yaml-app', 'yaml', [{ name: 'wasm', string: 'flight.wasm' }]));
  const objects = manifests as unknown as Manifest[];
  assert.deepEqual(
    objects.map((o) => [o.kind, o.metadata.annotations['argocd.argoproj.io/sync-wave']]),
    [
      ['Namespace', '0'],
      ['ConfigMap', '1'],
    ],
  );
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
  assert.deepEqual(kindNames(manifests), ['Job/pipe-one']);
  // the lookup went to the destination namespace, through the real client
  assert.ok(api.requests.some((r) => r.path === '/apis/batch/v1/namespaces/team-a/jobs/pipe-one'));
});

test('the pipeline for an Application outside the Argo CD namespace names its Jobs `<namespace>.<name>-…`: the release Argo CD gives it, `team-a_build`, holds a `_`, which no object name may', async () => {
  const owner = { 'instance.atc.yoke.cd/release': 'team-a_build', 'instance.atc.yoke.cd/namespace': 'team-a' };
  api.put({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'team-a.build-one', namespace: 'team-a', annotations: owner },
    spec: {},
    status: { conditions: [{ type: 'Complete', status: 'True' }] },
  });
  const { manifests } = await repo.generate(
    app(
      'build',
      'pipeline',
      [
        { name: 'clusterAccess', string: 'true' },
        { name: 'wasm', string: 'pipeline.wasm.gz' },
      ],
      'team-a',
    ),
  );
  assert.deepEqual(kindNames(manifests), ['Job/team-a.build-one', 'Job/team-a.build-two', 'Pipeline/team-a.build']);
  for (const o of manifests as unknown as Manifest[]) {
    assert.match(o.metadata.name, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, 'a valid object name (DNS-1123 subdomain)');
    assert.equal(o.metadata.annotations['instance.atc.yoke.cd/release'], 'team-a_build', 'ownership names the release as Argo CD gave it');
  }
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
    repo.generate(
      app('bad', 'yaml', [
        { name: 'timeout', string: 'soon' },
        { name: 'wasm', string: 'flight.wasm' },
      ]),
    ),
    /failed exit status 1: jetway: generate for Application bad failed: parameter timeout: got "soon", expected a Go duration/,
  );
  await assert.rejects(
    repo.generate(
      app('typo', 'yaml', [
        { name: 'clusterAcces', string: 'true' },
        { name: 'wasm', string: 'flight.wasm' },
      ]),
    ),
    /parameter clusterAcces: got/,
  );
});

test('a flight that fails (no cluster access for a lookup) fails the generate instead of emitting nothing', async () => {
  await assert.rejects(repo.generate(app('noaccess', 'pipeline', [{ name: 'wasm', string: 'pipeline.wasm.gz' }])), /flight exited with code 1[\s\S]*access to the cluster has not been granted/);
});

test('build: true compiles the Go source of the commit once; a hard refresh of the same commit does not rebuild', { skip: existsSync(go) ? false : `no Go toolchain at ${go}` }, async () => {
  const application = app('built', 'gosrc', [{ name: 'build', string: 'true' }]);
  const { manifests } = await repo.generate(application);
  assert.deepEqual(kindNames(manifests), ['ConfigMap/built']);
  const builds = await readdir(join(cacheDir, 'builds'));
  assert.equal(builds.length, 1);
  // a build writes a new file and renames it into place, so the same inode means no rebuild (a cache hit only touches its time, for the LRU bound)
  const built = (await stat(join(cacheDir, 'builds', builds[0]!))).ino;
  await repo.generate(application, { refresh: 'hard' });
  assert.deepEqual(await readdir(join(cacheDir, 'builds')), builds);
  assert.equal((await stat(join(cacheDir, 'builds', builds[0]!))).ino, built);
});

test('args reach the flight after the release name, in order (versioncheck takes its minimum from the first)', async () => {
  const { manifests } = await repo.generate(
    app('argsapp', 'versioncheck', [
      { name: 'args', array: ['v0.1.0', 'v999.0.0'] },
      { name: 'wasm', string: 'versioncheck.wasm.gz' },
    ]),
  );
  const objects = manifests as unknown as Manifest[];
  // the name comes from the release (YOKE_RELEASE/argv[0]); without the args the minimum would be v999.999.999 and the flight would fail
  assert.deepEqual(kindNames(manifests), ['ConfigMap/argsapp-versioncheck']);
  assert.deepEqual(objects[0]!.data, { minimum: 'v0.1.0', yokeVersion: 'v0.20.27' });
});

test('refs fill {{ .name }} in an http wasm URL from a Secret in the destination namespace; a failed download does not show the Secret value', async () => {
  const secret = (token: string) => api.put({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'flight-source', namespace: 'team-a' }, data: { token: Buffer.from(token).toString('base64') } });
  secret('s3cr3t');
  const server = await startHttpServer((request, response) => {
    if (request.url !== '/flights/flight.wasm?token=s3cr3t') response.statusCode = 404;
    response.end(request.url === '/flights/flight.wasm?token=s3cr3t' ? yamlFlight : 'no such flight');
  });
  const parameters = [
    { name: 'refs', map: { token: JSON.stringify({ secret: 'flight-source', key: 'token' }) } },
    { name: 'wasm', string: `${server.url}/flights/flight.wasm?token={{ .token }}` },
  ];
  try {
    const { manifests } = await repo.generate(app('refapp', 'yaml', parameters));
    assert.deepEqual(kindNames(manifests), ['Namespace/yaml-ns', 'ConfigMap/from-yaml']);
    assert.deepEqual(server.requests, ['/flights/flight.wasm?token=s3cr3t']);
    assert.ok(api.requests.some((r) => r.method === 'GET' && r.path === '/api/v1/namespaces/team-a/secrets/flight-source'));
    // a token the server refuses: the ComparisonError names the templated URL, never the value from the Secret
    secret('revoked-token');
    await assert.rejects(repo.generate(app('refapp-revoked', 'yaml', parameters)), (error: Error) => {
      assert.match(
        error.message,
        /failed exit status 1: jetway: generate for Application refapp-revoked failed: cannot download module http:\/\/[\d.:]+\/flights\/flight\.wasm\?token=\{\{ \.token \}\}: the server answered 404/,
      );
      assert.doesNotMatch(error.message, /revoked-token/);
      return true;
    });
    assert.equal(server.requests.at(-1), '/flights/flight.wasm?token=revoked-token');
  } finally {
    await server.close();
  }
});

test("checksum: the module's sha256 renders; a wrong one fails naming the checksum, with no manifests", async () => {
  const right = sha256(yamlFlight);
  const { manifests } = await repo.generate(
    app('sum-ok', 'yaml', [
      { name: 'checksum', string: right },
      { name: 'wasm', string: 'flight.wasm' },
    ]),
  );
  assert.deepEqual(kindNames(manifests), ['Namespace/yaml-ns', 'ConfigMap/from-yaml']);
  const wrong = 'f'.repeat(64);
  await assert.rejects(
    repo.generate(
      app('sum-bad', 'yaml', [
        { name: 'checksum', string: wrong },
        { name: 'wasm', string: 'flight.wasm' },
      ]),
    ),
    { message: new RegExp(`failed exit status 1: jetway: generate for Application sum-bad failed: module flight\\.wasm has sha256 ${right}, expected ${wrong} \\(checksum\\)`) },
  );
});

test('maxMemoryMib: a flight allocating beyond the cap fails saying so; a Go flight within it renders', async () => {
  await assert.rejects(
    repo.generate(
      app('mem-over', 'memory', [
        { name: 'args', array: ['-mb', '20'] },
        { name: 'maxMemoryMib', string: '10' },
        { name: 'wasm', string: 'memory.wasm.gz' },
      ]),
    ),
    /failed exit status 1: jetway: generate for Application mem-over failed: flight ran out of memory under maxMemoryMib 10: raise maxMemoryMib[\s\S]*cannot allocate 20971520-byte block/,
  );
  // the memory flight prints an empty list when it survives, which jetway refuses (it would prune the app): a Go flight that renders shows the same cap lets normal runs through
  const { manifests } = await repo.generate(
    app('mem-ok', 'versioncheck', [
      { name: 'args', array: ['v0.1.0'] },
      { name: 'maxMemoryMib', string: '10' },
      { name: 'wasm', string: 'versioncheck.wasm.gz' },
    ]),
  );
  assert.deepEqual(kindNames(manifests), ['ConfigMap/mem-ok-versioncheck']);
});

test(
  'insecure: "true" pulls oci:// over plain HTTP from a real registry; without it the pull fails pointing at the parameter',
  { skip: existsSync('/usr/bin/docker-registry') ? false : 'no /usr/bin/docker-registry' },
  async () => {
    const registry = await startRegistry();
    try {
      await pushArtifact(registry.host, 'flights/yaml', 'v1', gzip(yamlFlight));
      const wasm = { name: 'wasm', string: `oci://${registry.host}/flights/yaml:v1` };
      const { manifests } = await repo.generate(app('oci-plain', 'yaml', [{ name: 'insecure', string: 'true' }, wasm]));
      assert.deepEqual(kindNames(manifests), ['Namespace/yaml-ns', 'ConfigMap/from-yaml']);
      // the module pulled over HTTP is in the cache, but an Application that did not opt in must not get it
      await assert.rejects(
        repo.generate(app('oci-tls', 'yaml', [wasm])),
        /failed exit status 1: jetway: generate for Application oci-tls failed: cannot reach registry 127\.0\.0\.1:\d+ .*set the insecure parameter\)/,
      );
    } finally {
      await registry.stop();
    }
  },
);
