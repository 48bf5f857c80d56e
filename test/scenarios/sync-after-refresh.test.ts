// Issue 16 under the Argo CD imitation (v3.5.1, default self-heal backoff) with a real jetway serve: Applications that
// opt in with `jetway.dev/sync-after-refresh: "true"` have each new stage synced by jetway as soon as Argo CD has
// compared it, never waiting on the self-heal backoff and without needing selfHeal; sync windows and new commits
// stay Argo CD's and the user's call.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { explain } from '../support/argocd/scenarios.js';
import {
  runLongPipelineScenario,
  runNewCommitScenario,
  runOptInWithoutSelfHealScenario,
  runSyncWindowScenario,
  secondCommit,
  stageTimes,
  tenSteps,
} from '../support/argocd/sync-after-refresh-scenarios.js';
import { productionTimings, revision } from '../support/argocd/environment.js';

const job = (n: string) => `Job/pipeline-${n}`;

test('ten stages of 300 ms Jobs on one commit with the opt-in: no stage waits on the self-heal backoff', async (t) => {
  const result = await runLongPipelineScenario({ optIn: true });
  t.diagnostic(`wall ${result.wallMs} ms, ${result.refreshCycles} hard refreshes`);
  explain(result, () => {
    const stages = stageTimes(result, 'pipeline', tenSteps);
    t.diagnostic(stages.map((s) => `${s.step} waited ${s.waitedMs.toFixed(0)} ms, synced ${s.syncDelayMs.toFixed(0)} ms after its generate by ${s.syncedBy}`).join('; '));
    assert.equal(stages.length, 10);
    assert.equal(result.timeline.maxActiveJobs(), 1);
    // the self-heal backoff's waits are 2 s, 6 s, 18 s, ... up to 300 s between a stage's generate and its sync: every
    // stage's sync starts within the first of them
    for (const s of stages.slice(1)) assert.ok(s.syncDelayMs < productionTimings.selfHealBackoff.baseMs, `${s.step} was synced ${s.syncDelayMs} ms after its generate`);
    // jetway started syncs, each of exactly the new Job, marked automated, at the one commit
    const jetway = result.timeline.of('sync-started').filter((s) => s.initiatedBy === 'jetway');
    assert.ok(jetway.length > 0);
    for (const s of jetway) {
      assert.equal(s.automated, true);
      assert.equal(s.revision, revision);
      assert.equal(s.resources.length, 1);
    }
    assert.deepEqual(result.checkpoints['end']!.flightStatus, 'all jobs have completed');
  });
});

test('without the opt-in (selfHeal on) the same pipeline waits on the growing self-heal backoff', async (t) => {
  // four stages are enough to see the growth: 0, 0, 2 s, 6 s
  const result = await runLongPipelineScenario({ optIn: false, steps: tenSteps.slice(0, 4) });
  explain(result, () => {
    const stages = stageTimes(result, 'pipeline', tenSteps.slice(0, 4));
    t.diagnostic(stages.map((s) => `${s.step} waited ${s.waitedMs.toFixed(0)} ms, synced ${s.syncDelayMs.toFixed(0)} ms after its generate by ${s.syncedBy}`).join('; '));
    assert.equal(stages.length, 4);
    assert.ok(stages.every((s) => s.syncedBy === 'automated'));
    // stage 4's sync waits the backoff's 6 s from stage 3's sync's end (of which the Job and its generate took part)
    const { baseMs, factor } = productionTimings.selfHealBackoff;
    assert.ok(stages[3]!.syncDelayMs >= baseMs, `stage 4 was synced ${stages[3]!.syncDelayMs} ms after its generate`);
    assert.ok(stages[3]!.created - stages[2]!.created >= baseMs * factor, 'stage 4 came at least 6 s after stage 3');
    assert.ok(stages[3]!.syncDelayMs > stages[2]!.syncDelayMs);
  });
});

test('an app with the opt-in and without selfHeal runs the seed pipeline unattended; jetway names each sync', async (t) => {
  const result = await runOptInWithoutSelfHealScenario();
  t.diagnostic(`wall ${result.wallMs} ms, ${result.refreshCycles} hard refreshes`);
  const { timeline: tl, checkpoints, events } = result;
  explain(result, () => {
    const syncs = tl.of('sync-started');
    // Argo CD's first sync of the revision, then one sync by jetway per new stage
    assert.deepEqual(
      syncs.map((s) => [s.initiatedBy, s.resources]),
      [
        ['automated', [job('one')]],
        ['jetway', [job('two')]],
        ['jetway', [job('three')]],
      ],
    );
    assert.ok(tl.first('job-completed', job('one')) < tl.first('created', job('two')));
    assert.ok(tl.first('job-completed', job('two')) < tl.first('created', job('three')));
    // each names why (the previous Job's change, with any other reason the debounced refresh carried) and what it syncs
    const started = events.filter((e) => e.reason === 'SyncStarted').map((e) => e.message);
    assert.equal(started.length, 2);
    assert.match(started[0]!, /^(?:.*; )?Job pipelines\/pipeline-one changed(?:; .*)?: syncing Job\/pipeline-two at revision 3f1c9a7$/);
    assert.match(started[1]!, /^(?:.*; )?Job pipelines\/pipeline-two changed(?:; .*)?: syncing Job\/pipeline-three at revision 3f1c9a7$/);
    assert.deepEqual(
      events.filter((e) => e.reason === 'SelfHealDisabled'),
      [],
    );
    const end = checkpoints['end']!;
    assert.deepEqual([end.sync, end.health, end.flightStatus], ['Synced', 'Healthy', 'all jobs have completed']);
  });
});

test("a deny sync window stops jetway's sync, with an Event saying so", async () => {
  const result = await runSyncWindowScenario({ windows: [{ kind: 'deny', schedule: '* * * * *', duration: '1h', applications: ['*'] }], expect: 'denied' });
  const { timeline: tl, checkpoints, events } = result;
  explain(result, () => {
    const windowSet = tl.of('user').find((u) => u.action.startsWith('set the sync windows'))!.at;
    assert.deepEqual(
      tl.of('sync-started').filter((s) => s.at > windowSet),
      [],
    );
    assert.equal(tl.first('created', job('two')), Infinity);
    const denied = events.find((e) => e.reason === 'SyncWindowDenied')!;
    // the refresh that meets the window is the one for job one's creation or for its completion, whichever lands after the window was set
    assert.match(denied.message, /Job pipelines\/pipeline-one (was created|changed): blocked by the active deny window "\* \* \* \* \*" for 1h/);
    assert.deepEqual([checkpoints['denied']!.sync, checkpoints['denied']!.live], ['OutOfSync', [job('one')]]);
  });
});

test("an allow sync window lets jetway's syncs through", async () => {
  const result = await runSyncWindowScenario({ windows: [{ kind: 'allow', schedule: '* * * * *', duration: '1h', namespaces: ['pipelines'] }], expect: 'allowed' });
  explain(result, () => {
    assert.deepEqual(
      result.timeline.of('sync-started').map((s) => s.initiatedBy),
      ['automated', 'jetway', 'jetway'],
    );
    assert.equal(result.checkpoints['end']!.flightStatus, 'all jobs have completed');
  });
});

test('jetway never syncs a revision other than the one Argo CD last synced: a commit pushed mid-pipeline waits for the user', async () => {
  const result = await runNewCommitScenario();
  const { timeline: tl, checkpoints } = result;
  explain(result, () => {
    const pushed = tl.of('user').find((u) => u.action === `pushed commit ${secondCommit}`)!.at;
    const [, second] = tl
      .of('user')
      .filter((u) => u.action === 'pressed Sync')
      .map((u) => u.at) as [number, number];
    // before the push jetway synced job two at the first commit; after it, nothing until the user synced the new commit
    assert.deepEqual(
      tl
        .of('sync-started')
        .filter((s) => s.initiatedBy === 'jetway')
        .map((s) => [s.revision, s.resources]),
      [[revision, [job('two')]]],
    );
    assert.deepEqual(
      tl.of('sync-started').filter((s) => s.at > pushed && s.at < second),
      [],
    );
    assert.deepEqual(checkpoints['declined']!.live, [job('one'), job('two')]);
    assert.ok(tl.first('created', job('three')) > second);
    assert.ok(tl.of('sync-started').every((s) => s.initiatedBy !== 'jetway' || s.revision === revision));
    assert.equal(checkpoints['end']!.flightStatus, 'all jobs have completed');
  });
});
