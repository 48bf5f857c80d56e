// `jetway render` end to end as a subprocess: the examples against successive offline cluster states and against
// the fake API server, and every bad argument ending in one clear stderr line, a non-zero exit and empty stdout.
// (../shared/yoke-compat.md "The access policy for lookups": objects are readable when owned through the
// instance.atc.yoke.cd annotations, or through a resource matcher.)

import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import yaml from 'js-yaml';
import { readFileSync, writeFileSync } from 'node:fs';
import { startApiServer, type FakeApiServer } from '../support/apiserver.js';
import { application, startHubAndRemote } from '../support/apiserver/clusters.js';
import { jetway, scratchDir, type CliRun } from '../support/cli.js';
import { repoPath } from '../support/paths.js';
import type { KubeObject } from '../../src/cluster/types.js';

const scratch = scratchDir('jetway-render-');
type Run = CliRun;

/** `jetway render ...args` from the repository root (module paths are confined to the working directory). */
function render(args: string[], cwd = repoPath('')): Promise<Run> {
  return jetway(['render', ...args], { cwd });
}

function succeeded(run: Run): KubeObject[] {
  assert.equal(run.exitCode, 0, `render failed: ${run.stderr}`);
  // --output json is one object per line; yaml is a document stream
  if (run.stdout.startsWith('{'))
    return run.stdout
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as KubeObject);
  return (yaml.loadAll(run.stdout) as KubeObject[]).filter((o) => o !== null);
}

/** A failure as a user sees it: non-zero, nothing on stdout, and jetway's one line first on stderr. */
function failed(run: Run, pattern: RegExp, oneLine = true): string {
  assert.notEqual(run.exitCode, 0, `render should have failed; stdout: ${run.stdout}`);
  assert.equal(run.stdout, '', 'nothing on stdout');
  const lines = run.stderr.trimEnd().split('\n');
  assert.match(lines[0]!, /^jetway: render failed: /);
  if (oneLine) assert.equal(lines.length, 1, `one stderr line, got:\n${run.stderr}`);
  assert.match(run.stderr, pattern);
  return run.stderr;
}

const summary = (objects: KubeObject[]) => objects.map((o) => `${o.kind}/${o.metadata?.name}`);
/** render takes the flight's identity object (the input, re-emitted with a status) out of the manifests and reports its status on stderr. */
const statusOf = (run: Run) => /^jetway: flight status: (.*)$/m.exec(run.stderr)?.[1];
const healthOf = (run: Run) => /^jetway: app health: (.*)$/m.exec(run.stderr)?.[1];

const owned = (release: string, namespace: string) => ({ 'instance.atc.yoke.cd/release': release, 'instance.atc.yoke.cd/namespace': namespace });

function job(name: string, condition?: { type: string; message?: string }, ownedBy = owned('demo', 'ci')): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: 'ci', annotations: ownedBy },
    status: condition ? { conditions: [{ type: condition.type, status: 'True', ...(condition.message ? { message: condition.message } : {}) }] } : {},
  };
}

async function stateFile(name: string, objects: KubeObject[]): Promise<string> {
  const path = join(scratch.path, `${name}.yaml`);
  await writeFile(path, objects.map((o) => `---\n${yaml.dump(o)}`).join(''));
  return path;
}

const pipelineArgs = ['--wasm', 'examples/pipeline/pipeline.wasm.gz', '--release', 'demo', '--namespace', 'ci', '--input-file', 'examples/pipeline/input.json'];

describe('the pipeline example against successive offline cluster states', () => {
  test('job one, then two, then three, then done; a failed job two stops the pipeline', async () => {
    const complete = { type: 'Complete' };
    const states: Array<[string, KubeObject[]]> = [
      ['empty', []],
      ['one-running', [job('demo-one')]],
      ['one-done', [job('demo-one', complete)]],
      ['two-done', [job('demo-one', complete), job('demo-two', complete)]],
      ['all-done', [job('demo-one', complete), job('demo-two', complete), job('demo-three', complete)]],
      ['two-failed', [job('demo-one', complete), job('demo-two', { type: 'Failed', message: 'Job has reached the specified backoff limit' })]],
      ['two-not-ours', [job('demo-one', complete), job('demo-two', complete, owned('someone-else', 'ci'))]],
    ];
    const runs = await Promise.all(states.map(async ([name, objects]) => render([...pipelineArgs, '--cluster-state', await stateFile(`pipeline-${name}`, objects)])));
    const [empty, oneRunning, oneDone, twoDone, allDone, twoFailed, notOurs] = runs as [Run, Run, Run, Run, Run, Run, Run];

    const step = (run: Run) => ({ resources: summary(succeeded(run)), status: statusOf(run) });
    assert.deepEqual(step(empty), { resources: ['Job/demo-one'], status: 'waiting for job one to complete' });
    assert.deepEqual(step(oneRunning), { resources: ['Job/demo-one'], status: 'waiting for job one to complete' });
    assert.deepEqual(step(oneDone), { resources: ['Job/demo-one', 'Job/demo-two'], status: 'waiting for job two to complete' });
    assert.deepEqual(step(twoDone), { resources: ['Job/demo-one', 'Job/demo-two', 'Job/demo-three'], status: 'waiting for job three to complete' });
    assert.deepEqual(step(allDone), { resources: ['Job/demo-one', 'Job/demo-two', 'Job/demo-three'], status: 'all jobs have completed' });
    assert.deepEqual(step(twoFailed), {
      resources: ['Job/demo-one', 'Job/demo-two'],
      status: 'job two failed: Job has reached the specified backoff limit',
    });
    // the health the Argo CD dashboard would show for each run
    assert.deepEqual([empty, oneDone, allDone, twoFailed].map(healthOf), [
      'Progressing (waiting for job one to complete)',
      'Progressing (waiting for job two to complete)',
      'Healthy (all jobs have completed)',
      'Degraded (job two failed: Job has reached the specified backoff limit)',
    ]);
    // the emitted Job carries the ownership that makes it readable on the next run, in the destination namespace
    const emittedJob = succeeded(oneDone).find((o) => o.metadata?.name === 'demo-two')!;
    assert.equal(emittedJob.metadata?.namespace, undefined);
    assert.equal(emittedJob.metadata?.annotations?.['instance.atc.yoke.cd/release'], 'demo');
    assert.equal(emittedJob.metadata?.annotations?.['instance.atc.yoke.cd/namespace'], 'ci');
    assert.deepEqual((emittedJob['spec'] as { backoffLimit: number }).backoffLimit, 0);
    // a Job owned by another release is not the pipeline's to read: the lookup is Forbidden and render fails
    failed(notOurs, /cannot access resource outside of target release ownership/, false);
  });
});

describe('the app example against successive offline cluster states', () => {
  const appArgs = ['--wasm', 'examples/app/app.wasm.gz', '--release', 'shop', '--namespace', 'prod', '--input-file', 'examples/app/input.json'];
  // created by "another controller": no ownership annotations
  const secret: KubeObject = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'shop-db-conn', namespace: 'prod' }, data: { url: 'cG9zdGdyZXM6Ly8=' } };
  const deployment = (conditions: unknown[]): KubeObject => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'shop', namespace: 'prod', annotations: owned('shop', 'prod') },
    status: { conditions },
  });

  test('waits for the Secret, needs a matcher to read it, then emits the Deployment and reports ready once Available', async () => {
    const matcher = ['--resource-matcher', 'Secret:shop-db-conn'];
    const [noSecret, noMatcher, waiting, progressing, ready] = await Promise.all([
      render([...appArgs, '--cluster-state', await stateFile('app-empty', [])]),
      render([...appArgs, '--cluster-state', await stateFile('app-secret', [secret])]),
      render([...appArgs, ...matcher, '--cluster-state', await stateFile('app-secret-2', [secret])]),
      render([...appArgs, ...matcher, '--cluster-state', await stateFile('app-progressing', [secret, deployment([{ type: 'Progressing', status: 'True' }])])]),
      render([...appArgs, ...matcher, '--cluster-state', await stateFile('app-ready', [secret, deployment([{ type: 'Available', status: 'True' }])])]),
    ]);

    assert.deepEqual(summary(succeeded(noSecret)), ['Database/shop-db']);
    assert.equal(statusOf(noSecret), 'waiting for connection secret shop-db-conn');

    failed(noMatcher, /cannot access resource outside of target release ownership/, false);

    const second = succeeded(waiting);
    assert.deepEqual(summary(second), ['Database/shop-db', 'Deployment/shop']);
    assert.equal(statusOf(waiting), 'waiting for Deployment shop to become available');
    const spec = second.find((o) => o.kind === 'Deployment')!['spec'] as { replicas: number; template: { spec: { containers: Array<{ envFrom: unknown }> } } };
    assert.equal(spec.replicas, 2);
    assert.deepEqual(spec.template.spec.containers[0]!.envFrom, [{ secretRef: { name: 'shop-db-conn' } }]);

    assert.deepEqual(summary(succeeded(progressing)), ['Database/shop-db', 'Deployment/shop']);
    assert.equal(statusOf(progressing), 'waiting for Deployment shop to become available');
    assert.deepEqual(summary(succeeded(ready)), ['Database/shop-db', 'Deployment/shop']);
    assert.equal(statusOf(ready), 'ready');
  });
});

describe('against the fake API server (--kubeconfig, --cluster-access)', () => {
  let api: FakeApiServer;
  let kubeconfig: string;

  before(async () => {
    api = await startApiServer();
    api.ns('ci');
    api.put(job('demo-one', { type: 'Complete' }));
    kubeconfig = api.kubeconfig();
  });

  after(async () => {
    await api.close();
  });

  test('the pipeline reads its Jobs from the live cluster, in the release namespace', async () => {
    const run = await render([...pipelineArgs, '--kubeconfig', kubeconfig, '--cluster-access', '--output', 'json']);
    assert.deepEqual(summary(succeeded(run)), ['Job/demo-one', 'Job/demo-two']);
    assert.equal(statusOf(run), 'waiting for job two to complete');
    const gets = api.requests.filter((r) => r.path.includes('/jobs/')).map((r) => r.path);
    assert.deepEqual(gets, ['/apis/batch/v1/namespaces/ci/jobs/demo-one', '/apis/batch/v1/namespaces/ci/jobs/demo-two']);
  });

  test('without --cluster-access the flight is told access is not granted and render fails with its stderr', async () => {
    const before = api.requests.length;
    const run = await render([...pipelineArgs, '--kubeconfig', kubeconfig]);
    failed(run, /access to the cluster has not been granted for this flight invocation/, false);
    assert.match(run.stderr, /--- flight stderr ---/);
    assert.equal(api.requests.length, before, 'no request reached the server');
  });

  test('an API server answering 500 during a lookup fails the render: nothing is emitted', async () => {
    const fault = api.fail({ method: 'GET', pathPrefix: '/apis/batch/v1/namespaces/ci/jobs/', times: Infinity }, { status: 500, message: 'etcdserver: request timed out' });
    try {
      const run = await render([...pipelineArgs, '--kubeconfig', kubeconfig, '--cluster-access']);
      failed(run, /500/, false);
      assert.match(run.stderr, /etcdserver: request timed out/);
      assert.doesNotMatch(run.stderr, /not found/i, 'a server error is never NotFound');
      assert.ok(fault.hits >= 2, 'retried before giving up');
    } finally {
      fault.cancel();
    }
  });
});

describe('bad arguments: one clear stderr line, non-zero exit, empty stdout', { concurrency: true }, () => {
  const wasm = ['--wasm', 'test/flights/wasm/name.wasm.gz'];

  test('bad --timeout', async () => {
    failed(await render([...wasm, '--timeout', 'soon']), /parameter --timeout: got "soon", expected a Go duration/);
    failed(await render([...wasm, '--timeout', '0s']), /parameter --timeout: got "0s"/);
  });

  test('bad --max-memory-mib', async () => {
    failed(await render([...wasm, '--max-memory-mib', '5000']), /parameter --max-memory-mib: got "5000"/);
    failed(await render([...wasm, '--max-memory-mib', '-1']), /parameter --max-memory-mib: got "-1"/);
  });

  test('bad --resource-matcher', async () => {
    failed(await render([...wasm, '--resource-matcher', 'a/b/c']), /parameter --resource-matcher: got "a\/b\/c"/);
    failed(await render([...wasm, '--resource-matcher', 'Secret:']), /parameter --resource-matcher: got "Secret:"/);
  });

  test('missing module file', async () => {
    failed(await render(['--wasm', 'no/such/flight.wasm.gz']), /module file no\/such\/flight\.wasm\.gz not found/);
    const absolute = join(scratch.path, 'no-such-flight.wasm');
    const stderr = failed(await render(['--wasm', absolute]), /module file /);
    assert.equal(stderr.trimEnd(), `jetway: render failed: module file ${absolute} not found (looked for ${absolute})`);
  });

  test('a file that is not wasm', async () => {
    const cwd = await mkdtemp(join(scratch.path, 'notwasm-'));
    await writeFile(join(cwd, 'flight.wasm'), 'this is not a module\n');
    failed(await render(['--wasm', 'flight.wasm'], cwd), /flight\.wasm is not WebAssembly/);
  });

  test('both --input and --input-file', async () => {
    failed(await render([...wasm, '--input', '{}', '--input-file', 'examples/app/input.json']), /either --input or --input-file, not both/);
  });

  test('a missing --input-file', async () => {
    failed(await render([...wasm, '--input-file', join(scratch.path, 'nope.json')]), /cannot read --input-file .*nope\.json: no such file/);
  });

  test("a failing flight: its stderr is shown after jetway's line", async () => {
    const run = await render(['--wasm', 'test/flights/wasm/versioncheck.wasm.gz', '--arg', 'v9.0.0']);
    failed(run, /flight exited with code 1/, false);
    const [, marker, ...flight] = run.stderr.trimEnd().split('\n');
    assert.equal(marker, '--- flight stderr ---');
    assert.deepEqual(flight, ['failed to meet min version requirement for yoke', 'YOKE_VERSION "v0.20.27" is lower than "v9.0.0"']);
  });

  test('a flight printing something that is not resources', async () => {
    // echo prints an object without kind
    failed(await render(['--wasm', 'test/flights/wasm/echo.wasm.gz']), /input must be resource, list of resources, or list of list of resources/);
  });
});

describe('render --application: the destination cluster from the kubeconfig context named like it (issue 14 item 5)', () => {
  let clusters: Awaited<ReturnType<typeof startHubAndRemote>>;
  let kubeconfig: string;
  let dir: string;

  /** One kubeconfig with two contexts, `hub` (current) and `remote`, each the fake API server of that name. */
  function mergedKubeconfig(): string {
    const entries = (['hub', 'remote'] as const).map((name) => {
      const kc = yaml.load(readFileSync(clusters[name].kubeconfig(), 'utf8')) as { clusters: Array<{ cluster: unknown }>; users: Array<{ user: unknown }> };
      return { name, cluster: kc.clusters[0]!.cluster, user: kc.users[0]!.user };
    });
    const file = join(dir, 'kubeconfig.yaml');
    writeFileSync(
      file,
      yaml.dump({
        apiVersion: 'v1',
        kind: 'Config',
        'current-context': 'hub',
        clusters: entries.map((e) => ({ name: e.name, cluster: e.cluster })),
        users: entries.map((e) => ({ name: e.name, user: e.user })),
        contexts: entries.map((e) => ({ name: e.name, context: { cluster: e.name, user: e.name } })),
      }),
    );
    return file;
  }

  before(async () => {
    clusters = await startHubAndRemote();
    dir = await mkdtemp(join(scratch.path, 'app-'));
    for (const api of [clusters.hub, clusters.remote]) {
      api.ns('team');
      api.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'team' }, data: { cluster: api === clusters.hub ? 'hub' : 'remote' } });
    }
    kubeconfig = mergedKubeconfig();
  });
  after(() => clusters.close());

  async function renderApp(destination: Record<string, string>): Promise<Run> {
    const file = join(dir, `app-${Object.values(destination).join('-').replace(/\W+/g, '-')}.yaml`);
    await writeFile(file, yaml.dump(application('lookup-app', { ...destination, namespace: 'team' })));
    return render([
      '--wasm',
      'test/flights/wasm/lookup.wasm.gz',
      '--application',
      file,
      '--kubeconfig',
      kubeconfig,
      '--cluster-access',
      '--resource-matcher',
      'team/ConfigMap:settings',
      '--input',
      JSON.stringify({ Name: 'settings', Namespace: 'team', Kind: 'ConfigMap', ApiVersion: 'v1' }),
    ]);
  }

  test('a destination by name reads the context of that name, not the current one; release and namespace come from the Application', async () => {
    const [object] = succeeded(await renderApp({ name: 'remote' }));
    assert.equal((object!['data'] as Record<string, string>)['cluster'], 'remote');
    assert.equal(object!.metadata?.annotations?.['instance.atc.yoke.cd/release'], 'lookup-app');
    assert.equal(object!.metadata?.annotations?.['instance.atc.yoke.cd/namespace'], 'team');
  });

  test('a destination with no context named like it fails in one line naming the Application and what to do', async () => {
    const run = await renderApp({ server: 'https://prod.example.com' });
    assert.equal(run.exitCode, 1);
    assert.equal(run.stdout, '');
    assert.match(
      run.stderr,
      /^jetway: render failed: Application argocd\/lookup-app: no kubeconfig context named "https:\/\/prod\.example\.com" \(its spec\.destination\.server\); name a context after the cluster, or pass --context \(contexts: hub, remote\)$/,
    );
  });
});
