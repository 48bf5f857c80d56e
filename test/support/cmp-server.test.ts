// Proves the cmp-server imitation behaves like Argo CD's sidecar and repo-server, using a tiny node plugin.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  CmdError,
  CmpServer,
  ManifestGenerationError,
  RepoServerImitation,
  buildRequestEnv,
  parsePluginConfig,
  splitManifestStream,
  toManifests,
  type Application,
  type PluginConfig,
} from './cmp-server.js';

// The fake plugin: its behaviour is the content of $CONTROL/mode, so it can change without changing the cache key.
const PLUGIN = String.raw`
import { readFileSync, writeFileSync, readdirSync, statSync } from 'node:fs';
import { spawn } from 'node:child_process';
import path from 'node:path';
const control = process.env.CONTROL;
const mode = readFileSync(path.join(control, 'mode'), 'utf8').trim();
const cm = (name, data) => JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data });
function modes(dir, prefix = '') {
  const out = {};
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    out[prefix + e.name] = (statSync(p).mode & 0o777).toString(8);
    if (e.isDirectory()) Object.assign(out, modes(p, prefix + e.name + '/'));
  }
  return out;
}
if (process.argv[2] === 'init') { writeFileSync(path.join(control, 'init-ran'), process.cwd()); process.stdout.write('init noise'); process.exit(0); }
switch (mode) {
  case 'report': {
    const root = path.resolve(process.cwd(), '../..');
    process.stdout.write(cm('report', { env: JSON.stringify(process.env), cwd: process.cwd(), root, modes: JSON.stringify(modes(root)) }) + '\n');
    break;
  }
  case 'fail': process.stderr.write('  boom: bad values\n'); process.exit(3);
  case 'hang': {
    // sh ignores TERM within a millisecond of starting, and sleep inherits that (a Node grandchild would need far
    // longer to boot and install a handler, and under load the deadline could strike first)
    const child = spawn('sh', ['-c', "trap '' TERM; exec sleep 1000"], { stdio: 'inherit' });
    writeFileSync(path.join(control, 'child'), String(child.pid));
    setInterval(() => {}, 1000);
    break;
  }
  case 'fork': {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    writeFileSync(path.join(control, 'child'), String(child.pid));
    process.stdout.write(cm('forked', {}));
    process.exit(0);
  }
  default: process.stdout.write(readFileSync(path.join(control, 'stdout'), 'utf8'));
}
`;

let dir: string;
let control: string;
let repo: string;
let plugin: PluginConfig;
const REV = '0123456789abcdef0123456789abcdef01234567';
const baseEnv = () => ({ PATH: process.env.PATH ?? '', HOME: '/home/argocd', CONTROL: control, ARGOCD_APP_NAME: 'stale' });
const cluster = { kubeVersion: 'v1.31.2+k3s1', apiVersions: ['v1', 'apps/v1', 'apps/v1/Deployment'] };

before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cmp-server-test-'));
  control = path.join(dir, 'control');
  repo = path.join(dir, 'repo');
  await fs.mkdir(control);
  await fs.mkdir(path.join(repo, 'apps/guestbook'), { recursive: true, mode: 0o700 });
  await fs.writeFile(path.join(repo, 'README.md'), 'root file\n', { mode: 0o600 });
  await fs.writeFile(path.join(repo, 'apps/guestbook/run.sh'), '#!/bin/sh\n', { mode: 0o755 });
  await fs.chmod(path.join(repo, 'apps'), 0o700);
  const script = path.join(dir, 'plugin.mjs');
  await fs.writeFile(script, PLUGIN);
  plugin = parsePluginConfig(`
apiVersion: argoproj.io/v1alpha1
kind: ConfigManagementPlugin
metadata: {name: jetway}
spec:
  version: v1.0
  init: {command: [${JSON.stringify(process.execPath)}], args: [${JSON.stringify(script)}, init]}
  generate: {command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(script)}], args: [generate]}
  lockRepo: true
  somethingNew: {x: 1}
`);
});
after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

// Sets what the fake plugin does next.
async function setMode(mode: string, stdout = ''): Promise<void> {
  await fs.writeFile(path.join(control, 'mode'), mode);
  await fs.writeFile(path.join(control, 'stdout'), stdout);
}

// An Application in a non-default namespace with every plugin feature in use.
function app(overrides: Partial<Application> = {}): Application {
  return {
    name: 'guestbook',
    namespace: 'team-a',
    project: 'default',
    destinationNamespace: 'web',
    revision: REV,
    source: {
      repoURL: 'https://git.example/repo.git',
      path: 'apps/guestbook',
      targetRevision: 'main',
      plugin: {
        name: 'jetway-v1.0',
        env: [
          { name: 'RELEASE', value: '$ARGOCD_APP_NAME-${ARGOCD_APP_REVISION_SHORT}' },
          { name: 'EMPTY', value: '' },
          { name: 'LITERAL', value: 'cost $$5 $UNKNOWN ${} x$' },
          { name: 'CHAIN', value: '$ARGOCD_ENV_RELEASE/$KUBE_VERSION' },
        ],
        parameters: [
          { name: 'replicas', string: '3' },
          { name: 'values-files', array: ['a.yaml', 'b.yaml'] },
          { name: 'labels', map: { team: 'core', 'image.tag': 'v1' } },
          { name: 'html', string: '<b>&' },
        ],
      },
    },
    ...overrides,
  };
}

// A repo-server with one fresh sidecar.
function repoServer(opts: { now?: () => number } = {}): { server: RepoServerImitation; cmp: CmpServer } {
  const cmp = new CmpServer({ plugin, baseEnv: baseEnv(), tmpDir: dir });
  const server = new RepoServerImitation({
    plugins: [cmp],
    repositories: { 'https://git.example/repo.git': repo },
    cluster,
    ...opts,
  });
  return { server, cmp };
}

// The ConfigMap the fake plugin's report mode emits.
async function report(application: Application): Promise<{ env: Record<string, string>; cwd: string; root: string; modes: Record<string, string> }> {
  await setMode('report');
  const { manifests } = await repoServer().server.generate(application);
  const data = manifests[0]?.data as Record<string, string>;
  return { env: JSON.parse(data.env!), cwd: data.cwd!, root: data.root!, modes: JSON.parse(data.modes!) };
}

// Whether a process still runs (zombies count as gone).
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

test('plugin.yaml: unknown keys ignored, kind/name/generate required, <name>-<version> selection', async () => {
  assert.equal(plugin.name, 'jetway');
  assert.equal(plugin.version, 'v1.0');
  assert.deepEqual(plugin.generate.args, ['generate']);
  assert.throws(() => parsePluginConfig('kind: ConfigManagementPlugin\nspec: {generate: {command: [x]}}'), {
    message: 'invalid plugin configuration file. metadata.name should be non-empty',
  });
  assert.throws(() => parsePluginConfig('kind: Plugin\nmetadata: {name: a}\nspec: {generate: {command: [x]}}'), {
    message: 'invalid plugin configuration file. kind should be ConfigManagementPlugin, found Plugin',
  });
  assert.throws(() => parsePluginConfig('kind: ConfigManagementPlugin\nmetadata: {name: a}\nspec: {generate: {args: [x]}}'), {
    message: 'invalid plugin configuration file. spec.generate command should be non-empty',
  });
  await setMode('json', '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"}}');
  const { server } = repoServer();
  const base = app();
  await assert.rejects(server.generate({ ...base, source: { ...base.source, plugin: { name: 'jetway' } } }), {
    message: 'CMP processing failed for application "team-a_guestbook": could not find cmp-server plugin with name "jetway" supporting the given repository',
  });
});

test('env: exactly the sidecar env plus Argo CD variables, empty values kept, ARGOCD_ENV_ expanded, parameters as Go marshals them', async () => {
  const { env } = await report(app());
  assert.deepEqual(env, {
    PATH: process.env.PATH ?? '',
    HOME: '/home/argocd',
    CONTROL: control,
    ARGOCD_APP_NAME: 'team-a_guestbook',
    ARGOCD_APP_NAMESPACE: 'web',
    ARGOCD_APP_PROJECT_NAME: 'default',
    ARGOCD_APP_REVISION: REV,
    ARGOCD_APP_REVISION_SHORT: '0123456',
    ARGOCD_APP_REVISION_SHORT_8: '01234567',
    ARGOCD_APP_SOURCE_REPO_URL: 'https://git.example/repo.git',
    ARGOCD_APP_SOURCE_PATH: 'apps/guestbook',
    ARGOCD_APP_SOURCE_TARGET_REVISION: 'main',
    KUBE_VERSION: '1.31.2',
    KUBE_API_VERSIONS: 'v1,apps/v1,apps/v1/Deployment',
    ARGOCD_ENV_RELEASE: 'team-a_guestbook-0123456',
    ARGOCD_ENV_EMPTY: '',
    ARGOCD_ENV_LITERAL: 'cost $5   x$',
    ARGOCD_ENV_CHAIN: '/1.31.2',
    ARGOCD_APP_PARAMETERS:
      '[{"name":"replicas","string":"3"},{"array":["a.yaml","b.yaml"],"name":"values-files"},' +
      '{"map":{"image.tag":"v1","team":"core"},"name":"labels"},{"name":"html","string":"\\u003cb\\u003e\\u0026"}]',
    PARAM_REPLICAS: '3',
    PARAM_VALUES_FILES_0: 'a.yaml',
    PARAM_VALUES_FILES_1: 'b.yaml',
    PARAM_LABELS_TEAM: 'core',
    PARAM_LABELS_IMAGE_TAG: 'v1',
    PARAM_HTML: '<b>&',
  });
});

test('env: ARGOCD_APP_PARAMETERS is null without parameters and absent without a plugin block; empty values set', async () => {
  const base = app({ namespace: 'argocd', destinationNamespace: undefined });
  const { env: named } = await report({ ...base, source: { ...base.source, targetRevision: undefined, plugin: { name: 'jetway-v1.0' } } });
  assert.equal(named.ARGOCD_APP_PARAMETERS, 'null');
  assert.equal(named.ARGOCD_APP_NAME, 'guestbook');
  assert.equal(named.ARGOCD_APP_NAMESPACE, '');
  assert.equal(named.ARGOCD_APP_SOURCE_TARGET_REVISION, '');
  const { env: bare } = await report({ ...base, source: { repoURL: base.source.repoURL, path: base.source.path } });
  assert.equal('ARGOCD_APP_PARAMETERS' in bare, false);
  assert.equal(
    Object.keys(bare).some((k) => k.startsWith('ARGOCD_ENV_') || k.startsWith('PARAM_')),
    false,
  );
  assert.equal(buildRequestEnv({ ...base, source: { repoURL: base.source.repoURL, path: base.source.path } }, cluster).length, 11);
});

test('cwd: a fresh copy of the whole repository under <tmp>/_cmp_server/<uuid>/<path>, files 0644, removed afterwards', async () => {
  const first = await report(app());
  const second = await report(app());
  assert.match(first.cwd, new RegExp(`^${dir}/_cmp_server/[0-9a-f-]{36}/apps/guestbook$`));
  assert.notEqual(first.cwd, second.cwd);
  assert.deepEqual(first.modes, { apps: '755', 'apps/guestbook': '755', 'apps/guestbook/run.sh': '644', 'README.md': '644' });
  await assert.rejects(fs.stat(first.root), { code: 'ENOENT' });
  assert.equal(await fs.readFile(path.join(control, 'init-ran'), 'utf8'), second.cwd);
});

test('stdout: YAML streams (empty/null docs skipped, Lists flattened, YAML 1.1 booleans) and concatenated JSON', async () => {
  const yamlOut = [
    '---',
    '# only a comment',
    '---',
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata: {name: a}',
    'data: {flag: yes}',
    '---',
    'null',
    '---',
    'apiVersion: v1',
    'kind: List',
    'items:',
    '- {apiVersion: v1, kind: Secret, metadata: {name: b}}',
    '---',
    'apiVersion: v1',
    'kind: ConfigMapList',
    'items: null',
  ].join('\n');
  await setMode('yaml', yamlOut);
  const { server } = repoServer();
  const got = await server.generate(app());
  assert.deepEqual(got.manifests, [
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' }, data: { flag: true } },
    { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'b' } },
  ]);
  const json = '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"}}\n{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"b"}}null {"kind":"X"}';
  assert.deepEqual(
    toManifests(splitManifestStream(json)).map((m) => m.kind),
    ['ConfigMap', 'ConfigMap', 'X'],
  );
  // One JSON object followed by YAML: the decoder falls back to YAML after the first object.
  assert.deepEqual(splitManifestStream('{"kind":"A"}\n---\nkind: B\n'), [{ kind: 'A' }, { kind: 'B' }]);
  assert.throws(() => splitManifestStream('--- {a: 1}\n'), { message: 'failed to unmarshal manifest: invalid Yaml document separator: {a: 1}' });
});

test("stdout: a top-level JSON array and kind-less objects are rejected with Argo CD's messages", async () => {
  const prefix =
    'CMP processing failed for application "team-a_guestbook": failed to convert CMP manifests to unstructured objects: ' +
    'failed to unmarshal manifest: error unmarshaling JSON: while decoding JSON: ';
  await setMode('json', '[{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"}}]\n');
  await assert.rejects(repoServer().server.generate(app()), {
    message: prefix + 'json: cannot unmarshal array into Go value of type map[string]interface {}',
  });
  await setMode('json', '{"metadata":{"name":"a<b"},"apiVersion":"v1"}');
  await assert.rejects(repoServer().server.generate(app()), {
    message: prefix + `Object 'Kind' is missing in '{"apiVersion":"v1","metadata":{"name":"a\\u003cb"}}'`,
  });
});

test('a non-zero exit fails with `<argv>` failed exit status N: <stderr>', async () => {
  await setMode('fail');
  const quoted = { ...plugin, init: { command: [], args: [] }, generate: { ...plugin.generate, args: ['generate', 'two words', ''] } };
  const cmp = new CmpServer({ plugin: quoted, baseEnv: baseEnv(), tmpDir: dir });
  const argv = `${plugin.generate.command.join(' ')} generate "two words" ""`;
  await assert.rejects(cmp.generate({ repoDir: repo, appPath: 'apps/guestbook', env: [] }), (e: unknown) => {
    assert.ok(e instanceof CmdError);
    assert.equal(e.message, `\`${argv}\` failed exit status 3: boom: bad values`);
    return true;
  });
  await assert.rejects(repoServer().server.generate(app()), {
    message:
      'CMP processing failed for application "team-a_guestbook": error generating manifests in cmp: rpc error: code = Unknown desc = ' +
      `error generating manifests: \`${plugin.generate.command.join(' ')} generate\` failed exit status 3: boom: bad values`,
  });
});

test('the deadline kills the whole process group: TERM, then KILL after the grace period', async () => {
  await setMode('hang');
  // the deadline leaves the plugin's own Node start-up (several hundred ms on a loaded machine) time to fork the grandchild
  const cmp = new CmpServer({ plugin, baseEnv: baseEnv(), tmpDir: dir, deadlineMs: 1_500, killGraceMs: 300 });
  const started = Date.now();
  await assert.rejects(cmp.generate({ repoDir: repo, appPath: 'apps/guestbook', env: [] }), (e: unknown) => {
    assert.ok(e instanceof CmdError);
    assert.match(e.message, /^`.* generate` failed signal: (killed|terminated)$/);
    return true;
  });
  // The grandchild ignores SIGTERM and holds stdout open, so the request ends only after SIGKILL.
  assert.ok(Date.now() - started >= 1_750, `ended after ${Date.now() - started} ms`);
  await cmp.settle();
  const child = Number(await fs.readFile(path.join(control, 'child'), 'utf8'));
  assert.equal(alive(child), false);
});

test('leftovers of the group are killed when the request ends', async () => {
  await setMode('fork');
  const cmp = new CmpServer({ plugin, baseEnv: baseEnv(), tmpDir: dir, killGraceMs: 300 });
  const res = await cmp.generate({ repoDir: repo, appPath: 'apps/guestbook', env: [] });
  assert.deepEqual(res.documents, [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'forked' }, data: {} }]);
  await cmp.settle();
  assert.equal(alive(Number(await fs.readFile(path.join(control, 'child'), 'utf8'))), false);
});

test('cache: a normal refresh returns cached output for an unchanged key, a hard refresh re-runs', async () => {
  const cm = (name: string) => `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"${name}"}}`;
  await setMode('json', cm('one'));
  const { server, cmp } = repoServer();
  const first = await server.generate(app());
  assert.equal(first.cached, false);
  await setMode('json', cm('two'));
  const again = await server.generate(app(), { refresh: 'normal' });
  assert.deepEqual([again.cached, again.manifests, cmp.generateRuns], [true, first.manifests, 1]);
  // The project is not part of the key; the plugin env is.
  assert.equal((await server.generate(app({ project: 'other' }))).cached, true);
  const hard = await server.generate(app(), { refresh: 'hard' });
  assert.deepEqual([hard.cached, hard.manifests[0]?.metadata, cmp.generateRuns], [false, { name: 'two' }, 2]);
  const base = app();
  const changed = { ...base, source: { ...base.source, plugin: { ...base.source.plugin, env: [{ name: 'X', value: '1' }] } } };
  assert.equal((await server.generate(changed)).cached, false);
  assert.equal((await server.generate(app({ revision: 'f'.repeat(40) }))).cached, false);
  assert.equal(cmp.generateRuns, 4);
});

test('cache: after 3 consecutive failures generation pauses until a hard refresh (or 60 minutes)', async () => {
  let now = 1_000_000;
  const { server, cmp } = repoServer({ now: () => now });
  await setMode('fail');
  for (let i = 1; i <= 3; i++) {
    await assert.rejects(server.generate(app()), (e: unknown) => e instanceof ManifestGenerationError && !e.cached);
    assert.equal(cmp.generateRuns, i);
  }
  await setMode('json', '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"ok"}}');
  await assert.rejects(server.generate(app()), (e: unknown) => {
    assert.ok(e instanceof ManifestGenerationError && e.cached);
    assert.match(e.message, /^Manifest generation error \(cached\): CMP processing failed for application "team-a_guestbook": .*failed exit status 3: boom: bad values$/);
    return true;
  });
  assert.equal(cmp.generateRuns, 3);
  now += 59 * 60_000;
  await assert.rejects(server.generate(app()), { name: 'ManifestGenerationError' });
  const hard = await server.generate(app(), { refresh: 'hard' });
  assert.deepEqual([hard.cached, cmp.generateRuns], [false, 4]);
  assert.equal((await server.generate(app())).cached, true);

  // Without a hard refresh, the pause ends 60 minutes after the first failure.
  await setMode('fail');
  const other = app({ name: 'other' });
  for (let i = 0; i < 3; i++) await assert.rejects(server.generate(other));
  await setMode('json', '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"ok"}}');
  now += 60 * 60_000;
  assert.equal((await server.generate(other)).cached, false);
});
