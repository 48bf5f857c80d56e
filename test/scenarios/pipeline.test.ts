// The pipeline example under the Argo CD imitation with a real jetway serve: three Jobs strictly in order, driven only by
// jetway's hard refreshes and Argo CD's selfHeal; a failing Job stops the pipeline until it is fixed and re-run.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { explain, runPipelineFailureScenario, runPipelineScenario } from '../support/argocd/scenarios.js';

const job = (n: string) => `Job/pipeline-${n}`;

test('pipeline: jobs one, two and three run strictly in order, never two at once, and the flight reports completion', async (t) => {
  const result = await runPipelineScenario();
  t.diagnostic(`wall ${result.wallMs} ms, ${result.refreshCycles} hard refreshes`);
  const { timeline: tl, checkpoints, events } = result;
  explain(result, () => {
    // each Job is created only after its predecessor completed
    assert.ok(tl.first('created', job('one')) < tl.first('job-completed', job('one')));
    assert.ok(tl.first('job-completed', job('one')) < tl.first('created', job('two')));
    assert.ok(tl.first('job-completed', job('two')) < tl.first('created', job('three')));
    assert.ok(tl.first('job-completed', job('three')) < Infinity);
    assert.equal(tl.maxActiveJobs(), 1);
    // each new stage came from a generate that jetway's hard refresh caused (a normal one is served from the cache)
    for (const [previous, next] of [
      ['one', 'two'],
      ['two', 'three'],
    ] as const) {
      const emitted = tl.of('generated').find((g) => g.objects.includes(job(next)))!;
      assert.equal(emitted.refresh, 'hard', `${job(next)} first came from a ${emitted.refresh} refresh`);
      assert.ok(emitted.at > tl.first('job-completed', job(previous)));
      // and Argo CD's self-heal applied only the new Job
      const sync = tl.of('sync-started').find((s) => s.at > emitted.at)!;
      assert.deepEqual([sync.selfHeal, sync.resources], [true, [job(next)]]);
    }
    assert.deepEqual(tl.of('pruned'), []);
    assert.deepEqual(
      tl.of('generated').filter((g) => g.result === 'failed'),
      [],
    );
    const end = checkpoints['end']!;
    assert.deepEqual([end.sync, end.health, end.flightStatus], ['Synced', 'Healthy', 'all jobs have completed']);
    assert.deepEqual(end.live, [job('one'), job('three'), job('two')]);
    assert.ok(events.some((e) => e.reason === 'FlightProgressed' && e.message.endsWith('to "all jobs have completed"')));
  });
});

test('pipeline: a failing job two stops the pipeline with its message; fixed and re-run, the pipeline completes', async (t) => {
  const message = 'step 2: migration exited with code 1';
  const result = await runPipelineFailureScenario({ message });
  t.diagnostic(`wall ${result.wallMs} ms, ${result.refreshCycles} hard refreshes`);
  const { timeline: tl, checkpoints, events } = result;
  explain(result, () => {
    const failed = tl.of('job-failed')[0]!;
    assert.deepEqual([failed.resource, failed.message], [job('two'), message]);
    // the stopped pipeline: job three never exists, the app is Degraded, and the flight says why
    const stopped = checkpoints['stopped']!;
    assert.deepEqual(stopped.live, [job('one'), job('two')]);
    assert.deepEqual([stopped.sync, stopped.health, stopped.flightStatus], ['Synced', 'Degraded', `job two failed: ${message}`]);
    assert.ok(events.some((e) => e.reason === 'FlightProgressed' && e.message.endsWith(`to "job two failed: ${message}"`)));
    const rerun = tl.of('user')[0]!.at;
    assert.ok(tl.first('created', job('three')) > rerun, 'job three was created before job two was re-run');
    assert.deepEqual(
      tl.of('generated').filter((g) => g.at < rerun && g.objects.includes(job('three'))),
      [],
    );
    // the re-run: job two again, then three, one at a time
    const recreated = tl.of('created').filter((c) => c.resource === job('two'))[1]!;
    assert.ok(recreated.at > rerun);
    assert.ok(tl.of('job-completed').find((c) => c.resource === job('two'))!.at < tl.first('created', job('three')));
    assert.equal(tl.maxActiveJobs(), 1);
    assert.deepEqual(tl.of('pruned'), []);
    const end = checkpoints['end']!;
    assert.deepEqual([end.sync, end.health, end.flightStatus], ['Synced', 'Healthy', 'all jobs have completed']);
  });
});
