// `jetway simulate DIR` end to end as a subprocess: the examples unfold stage by stage against the simulated cluster
// (Jobs complete, Deployments become available), a failed Job or a missing object stops the loop with exit 2 and a
// line saying why, and a failing flight exits 1 with jetway's one line naming the step and nothing more on stdout.

import assert from 'node:assert/strict';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { jetway, scratchDir, type CliRun } from '../support/cli.js';
import { repoPath } from '../support/paths.js';
import { watModule } from '../support/wat.js';

const scratch = scratchDir('jetway-simulate-');
type Run = CliRun;

/** `jetway simulate ...args` from the repository root. */
function simulate(args: string[]): Promise<Run> {
  return jetway(['simulate', ...args], { timeoutMs: 120_000 });
}

/** A flight directory in the temporary folder holding the given files. */
async function flightDir(name: string, files: Record<string, Uint8Array | string>): Promise<string> {
  const path = join(scratch.path, name);
  await mkdir(path);
  await Promise.all(Object.entries(files).map(([file, content]) => writeFile(join(path, file), content)));
  return path;
}

/** The step headers and what each step applied, in order. */
const applied = (run: Run) => run.stdout.split('\n').filter((l) => l.startsWith('  applied '));
const statuses = (run: Run) => [...run.stdout.matchAll(/^step \d+: flight status: (.*)$/gm)].map((m) => m[1]);
const lastLine = (run: Run) => run.stdout.trimEnd().split('\n').at(-1);

/** A failure: exit 1, jetway's line first on stderr. */
function failed(run: Run, firstLine: RegExp): string[] {
  assert.equal(run.exitCode, 1, `should have failed; stdout: ${run.stdout}`);
  const lines = run.stderr.trimEnd().split('\n');
  assert.match(lines[0]!, firstLine);
  return lines;
}

describe('the pipeline example', () => {
  test("jobs one, two and three are applied one step after the other, then it settles with the flight's final status", async () => {
    const run = await simulate(['examples/pipeline']);
    assert.equal(run.exitCode, 0, run.stderr);
    assert.equal(run.stderr, '');
    assert.equal(
      run.stdout,
      [
        'step 1: flight status: waiting for job one to complete',
        '  app health: Progressing (waiting for job one to complete)',
        '  applied stage 1 of 1: Job pipeline-one',
        '  Job pipeline-one: Complete',
        'step 2: flight status: waiting for job two to complete',
        '  app health: Progressing (waiting for job two to complete)',
        '  applied stage 1 of 1: Job pipeline-two',
        '  Job pipeline-two: Complete',
        'step 3: flight status: waiting for job three to complete',
        '  app health: Progressing (waiting for job three to complete)',
        '  applied stage 1 of 1: Job pipeline-three',
        '  Job pipeline-three: Complete',
        'step 4: flight status: all jobs have completed',
        '  app health: Healthy (all jobs have completed)',
        '  nothing left to apply',
        'settled after 4 steps: all jobs have completed',
      ].join('\n'),
    );
  });

  test("the directory's cluster-state.yaml is the starting point: for release demo, job one has already completed", async () => {
    const run = await simulate(['examples/pipeline', '--release', 'demo', '--namespace', 'demo']);
    assert.equal(run.exitCode, 0, run.stderr);
    assert.deepEqual(statuses(run), ['waiting for job two to complete', 'waiting for job three to complete', 'all jobs have completed']);
    // job one is re-applied (the state file holds only its status), but never run again: only two and three complete
    assert.deepEqual(applied(run), ['  applied stage 1 of 1: Job demo-one, Job demo-two', '  applied stage 1 of 1: Job demo-three']);
    assert.doesNotMatch(run.stdout, /Job demo-one: Complete/);
  });

  test('--fail-job: the flight reports the failure, job three is never applied, and the run stops with exit 2', async () => {
    const run = await simulate(['examples/pipeline', '--fail-job', 'pipeline-two']);
    assert.equal(run.exitCode, 2, run.stderr);
    assert.deepEqual(applied(run), ['  applied stage 1 of 1: Job pipeline-one', '  applied stage 1 of 1: Job pipeline-two']);
    assert.match(run.stdout, /^ {2}Job pipeline-two: Failed \(--fail-job\)$/m);
    // the dashboard: Degraded as soon as job two failed, with the flight's own words once it has run again
    assert.match(run.stdout, /^step 2: .*\n {2}app health: Degraded \(Job pipeline-two\)$/m);
    assert.match(run.stdout, /^step 3: flight status: job two failed: .*\n {2}app health: Degraded \(job two failed: Job has reached the specified backoff limit\)$/m);
    assert.equal(lastLine(run), 'stopped at step 3: Job pipeline-two failed; flight status: job two failed: Job has reached the specified backoff limit');
    assert.doesNotMatch(run.stdout, /pipeline-three/);
  });

  test('--max-steps: a simulation that is still applying stops with exit 2 saying it did not settle', async () => {
    const run = await simulate(['examples/pipeline', '--max-steps', '2']);
    assert.equal(run.exitCode, 2, run.stderr);
    assert.equal(statuses(run).length, 2);
    assert.equal(lastLine(run), 'not settled after 2 steps (--max-steps): every run so far had something to apply; flight status: waiting for job two to complete');
  });
});

describe('the app example', () => {
  const app = ['examples/app', '--release', 'shop', '--namespace', 'prod'];
  let secret: string;

  before(async () => {
    // what the database operator would publish: not owned by the release
    secret = join(scratch.path, 'secret.yaml');
    await writeFile(secret, 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: shop-db-conn\ndata:\n  url: cG9zdGdyZXM6Ly8=\n');
  });

  test('waiting for a Secret nothing creates stops the loop with a "waiting for" line instead of spinning', async () => {
    const run = await simulate(app);
    assert.equal(run.exitCode, 2, run.stderr);
    assert.deepEqual(applied(run), ['  applied stage 1 of 1: Database shop-db']);
    assert.equal(
      lastLine(run),
      'stopped at step 2: waiting for Secret shop-db-conn, which nothing in the simulation creates (add it with --create FILE); flight status: waiting for connection secret shop-db-conn',
    );
  });

  test('--create supplies the Secret when the loop would stop; the Deployment then becomes available and the app is ready', async () => {
    const run = await simulate([...app, '--create', secret, '--resource-matcher', 'Secret:shop-db-conn']);
    assert.equal(run.exitCode, 0, run.stderr);
    assert.deepEqual(statuses(run), ['waiting for connection secret shop-db-conn', 'waiting for connection secret shop-db-conn', 'waiting for Deployment shop to become available', 'ready']);
    assert.match(run.stdout, /^ {2}nothing to apply; created from .*secret\.yaml: Secret shop-db-conn$/m);
    assert.deepEqual(applied(run), ['  applied stage 1 of 1: Database shop-db', '  applied stage 1 of 1: Deployment shop']);
    assert.match(run.stdout, /^ {2}Deployment shop: Available \(2\/2 replicas\)$/m);
    assert.equal(lastLine(run), 'settled after 4 steps: ready');
  });

  test('a flight failing after some steps: exit 1 naming the step, the steps before it stay printed', async () => {
    // without a matcher the Secret is outside the release's ownership: the flight's lookup is Forbidden
    const run = await simulate([...app, '--create', secret]);
    const lines = failed(run, /^jetway: simulate step 3 failed: flight exited with code 1$/);
    assert.deepEqual(lines.slice(1), ['--- flight stderr ---', 'failed to look up Secret shop-db-conn: forbidden: cannot access resource outside of target release ownership']);
    assert.deepEqual(statuses(run), ['waiting for connection secret shop-db-conn', 'waiting for connection secret shop-db-conn']);
  });
});

describe('flights of several stages and failing flights', () => {
  test('the stages of one run are applied one wave at a time, the Namespace before the ConfigMap', async () => {
    const path = await flightDir('yaml-stages', { 'flight.wasm': await watModule('yaml-stages') });
    const run = await simulate([path]);
    assert.equal(run.exitCode, 0, run.stderr);
    assert.deepEqual(applied(run), ['  applied stage 1 of 2: Namespace yaml-ns', '  applied stage 2 of 2: ConfigMap from-yaml']);
    assert.equal(lastLine(run), 'settled after 3 steps: (none: the flight did not re-emit its input object with a status)');
  });

  test("a flight that fails on its first run: exit 1, jetway's line naming the step, the flight's stderr, nothing on stdout", async () => {
    const path = await flightDir('versioncheck', {});
    await copyFile(repoPath('test/flights/wasm/versioncheck.wasm.gz'), join(path, 'versioncheck.wasm.gz'));
    const run = await simulate([path, '--arg', 'v9.0.0']);
    const lines = failed(run, /^jetway: simulate step 1 failed: flight exited with code 1$/);
    assert.equal(run.stdout, '');
    assert.deepEqual(lines.slice(1), ['--- flight stderr ---', 'failed to meet min version requirement for yoke', 'YOKE_VERSION "v0.20.27" is lower than "v9.0.0"']);
  });
});

describe('the flight directory and flags: one clear line, exit 1, nothing on stdout', { concurrency: true }, () => {
  const oneLine = (run: Run, pattern: RegExp) => {
    const lines = failed(run, /^jetway: simulate failed: /);
    assert.equal(lines.length, 1, run.stderr);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, pattern);
  };

  test('not a directory', async () => {
    oneLine(await simulate(['examples/pipeline/input.json']), /examples\/pipeline\/input\.json is not a directory/);
  });

  test('no module, or two of them', async () => {
    oneLine(await simulate([await flightDir('empty', { 'input.json': '{}' })]), /no flight module in .*empty: expected one \*\.wasm or \*\.wasm\.gz file there \(or --wasm\)/);
    const two = await flightDir('two', { 'a.wasm': '', 'b.wasm.gz': '' });
    oneLine(await simulate([two]), /2 flight modules in .*two \(a\.wasm, b\.wasm\.gz\): choose one with --wasm/);
  });

  test('bad --max-steps and --fail-job', async () => {
    oneLine(await simulate(['examples/pipeline', '--max-steps', '0']), /parameter --max-steps: got "0", expected a whole number from 1 to 1000/);
    oneLine(await simulate(['examples/pipeline', '--fail-job', 'Not_A_Name']), /parameter --fail-job: got "Not_A_Name"/);
  });

  test('an unreadable --create file', async () => {
    oneLine(await simulate(['examples/pipeline', '--create', join(scratch.path, 'nope.yaml')]), /cannot read cluster state .*nope\.yaml/);
  });
});
