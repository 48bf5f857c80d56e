// Faults around the pipeline under the Argo CD imitation with a real jetway serve: the API server failing during
// generates, the service killed and restarted, and flights that time out or run out of memory. In each, the app keeps
// what it had (nothing pruned, nothing new applied), the user sees why, and progress resumes once the fault is gone.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { explain, runApiFaultScenario, runFlightLimitsScenario, runServiceKillScenario, type ScenarioResult } from '../support/argocd/scenarios.js';

const job = (n: string) => `Job/pipeline-${n}`;

/** What every fault scenario must show: nothing pruned, one Job at a time, and in the end a completed pipeline. */
function survived(result: ScenarioResult): void {
  assert.deepEqual(result.timeline.of('pruned'), []);
  assert.equal(result.timeline.maxActiveJobs(), 1);
  const end = result.checkpoints['end']!;
  assert.deepEqual([end.sync, end.health, end.flightStatus], ['Synced', 'Healthy', 'all jobs have completed']);
}

test('the API server answering 500 during generates: generate fails, the app keeps its resources, and recovers after the API does', async (t) => {
  const result = await runApiFaultScenario({ fault: 'status-500' });
  t.diagnostic(`wall ${result.wallMs} ms, ${result.refreshCycles} hard refreshes`);
  const { timeline: tl, checkpoints, events } = result;
  explain(result, () => {
    const on = tl.of('user').find((u) => u.action.startsWith('API server fault on'))!.at;
    const off = tl.of('user').find((u) => u.action === 'API server recovered')!.at;
    const failing = checkpoints['failing']!;
    assert.equal(failing.sync, 'Unknown');
    assert.match(failing.conditions.join('\n'), /^ComparisonError: Failed to load target state: [\s\S]*failed to look up Job pipeline-one: .*answered 500/);
    assert.deepEqual(failing.live, [job('one')]);
    // three failed generates (so Argo CD paused generation), and no sync or new Job while the API failed
    assert.ok(tl.of('generated').filter((g) => g.result === 'failed' && g.at < off).length >= 3);
    assert.deepEqual(
      tl.of('sync-started').filter((s) => s.at > on && s.at < off),
      [],
    );
    assert.ok(tl.first('created', job('two')) > off);
    // jetway's hard refresh, which bypasses the pause, is what brought the app back
    const recovery = tl.of('generated').find((g) => g.at > off && g.result === 'ran')!;
    assert.equal(recovery.refresh, 'hard');
    const failed = events.find((e) => e.reason === 'FlightFailed');
    assert.equal(failed?.type, 'Warning');
    assert.match(failed.message, /answered 500/, 'the Event names the cause, not only the exit code');
    survived(result);
  });
});

test('the API server not answering within the flight timeout: generate fails with the timeout, nothing changes, and the app recovers', async (t) => {
  const result = await runApiFaultScenario({ fault: 'no-answer' });
  t.diagnostic(`wall ${result.wallMs} ms, ${result.refreshCycles} hard refreshes`);
  const { timeline: tl, checkpoints } = result;
  explain(result, () => {
    const off = tl.of('user').find((u) => u.action === 'API server recovered')!.at;
    const failing = checkpoints['failing']!;
    assert.equal(failing.sync, 'Unknown');
    assert.match(failing.conditions.join('\n'), /flight timed out after 2s waiting for the cluster to answer a lookup of Job pipeline-one \(batch\/v1\): check that the API server is reachable/);
    assert.deepEqual(failing.live, [job('one')]);
    assert.ok(tl.first('created', job('two')) > off);
    survived(result);
  });
});

test('jetway serve killed mid-pipeline: nothing advances while it is down; restarted, it resyncs and the pipeline completes', async (t) => {
  const result = await runServiceKillScenario();
  t.diagnostic(`wall ${result.wallMs} ms, ${result.refreshCycles} hard refreshes`);
  const { timeline: tl, checkpoints, events } = result;
  explain(result, () => {
    const killed = tl.first('service-killed');
    const restarted = tl.of('service-started')[1]!.at;
    assert.ok(killed < tl.first('job-completed', job('one')), 'the service was killed while job one ran');
    // while it was down: no hard refresh, no new stage, and the app looked fine but stalled
    assert.deepEqual(
      tl.of('refresh-patched').filter((p) => p.at > killed && p.at < restarted),
      [],
    );
    const down = checkpoints['service-down']!;
    assert.deepEqual([down.live, down.sync, down.flightStatus], [[job('one')], 'Synced', undefined]);
    // on gaining the lease it compares the stored run record with the cluster: job one completed while it was down, so it
    // hard-refreshes the Application for that change (no blanket start-up refresh), and that moves the pipeline on
    const resync = tl.of('refresh-patched').find((p) => p.at > restarted)!;
    assert.ok(resync.at < tl.first('created', job('two')));
    assert.ok(
      events.some((e) => e.reason === 'HardRefreshTriggered' && /^hard refresh: Job \S+\/pipeline-one changed/.test(e.message)),
      events.map((e) => e.message).join('\n'),
    );
    survived(result);
  });
});

test('a flight that times out or runs out of memory leaves the app as it was, with the reason in the app status', async (t) => {
  const result = await runFlightLimitsScenario();
  t.diagnostic(`wall ${result.wallMs} ms, ${result.refreshCycles} hard refreshes`);
  const { timeline: tl, checkpoints } = result;
  explain(result, () => {
    const before = checkpoints['before']!;
    const timedOut = checkpoints['timed-out']!;
    const outOfMemory = checkpoints['out-of-memory']!;
    assert.deepEqual(before.live, [job('one')]);
    assert.equal(timedOut.sync, 'Unknown');
    assert.match(timedOut.conditions.join('\n'), /ComparisonError: .*flight timed out after 1s: raise the timeout parameter/);
    assert.match(timedOut.flightStatus ?? '', /^flight timed out after 1s/);
    assert.equal(outOfMemory.sync, 'Unknown');
    assert.match(outOfMemory.conditions.join('\n'), /ComparisonError: .*flight ran out of memory under maxMemoryMib 16: raise maxMemoryMib/);
    assert.match(outOfMemory.flightStatus ?? '', /^flight ran out of memory under maxMemoryMib 16/);
    // the app kept what it had: same live objects, no sync, nothing pruned
    assert.deepEqual([timedOut.live, outOfMemory.live], [before.live, before.live]);
    const [first, , back] = tl.of('user').map((u) => u.at) as [number, number, number];
    assert.deepEqual(
      tl.of('sync-started').filter((s) => s.at > first && s.at < back),
      [],
    );
    assert.deepEqual(tl.of('pruned'), []);
    const end = checkpoints['end']!;
    assert.deepEqual([end.sync, end.conditions], ['Synced', []]);
  });
});
