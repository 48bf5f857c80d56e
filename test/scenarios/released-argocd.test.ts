// What a released Argo CD (v3.5.1) throws at jetway, under the imitation with a real jetway serve whose re-check of
// waiting and failed apps stays at its default (5 min): no scenario may progress through it (issue 18).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RefreshAnnotationRule } from '../support/argocd/application-controller.js';
import {
  productionSteps,
  runAppInOtherNamespaceScenario,
  runApplicationDeletedScenario,
  runArgoCdInGitopsScenario,
  runFailingWaveScenario,
  runImmutableJobScenario,
  runLostRefreshScenario,
  runMidSyncChangeScenario,
  runProductionRatioScenario,
  runSharedObjectScenario,
  runSidecarCredentialsScenario,
} from '../support/argocd/released-scenarios.js';
import { explain } from '../support/argocd/scenarios.js';
import { defaultTimings } from '../support/argocd/environment.js';
import { deployedDownwardEnv, deployedServeFlags } from '../support/deployed-serve.js';

/** How soon after a lost refresh jetway must have asked again and a generate run: debounce + min interval + a few seconds. */
const recoveryBoundMs = defaultTimings.debounceMs + defaultTimings.minIntervalMs + 5_000;

for (const rule of ['v3.5.1', 'master'] as RefreshAnnotationRule[]) {
  test(`a hard refresh jetway asks for during a slow reconcile leads to a new generate within debounce + a few seconds (${rule} annotation rule)`, async (t) => {
    const result = await runLostRefreshScenario({ refreshAnnotationRule: rule });
    t.diagnostic(`wall ${result.wallMs} ms, ${result.refreshCycles} hard refreshes`);
    const { timeline: tl } = result;
    explain(result, () => {
      const slowed = tl.of('user').find((u) => u.action === 'reconcile slowed')!.at;
      const finished = tl.of('user').find((u) => u.action === 'the slow reconcile finished')!.at;
      const done = tl.first('job-completed', 'Job/pipeline-one');
      // jetway's refresh landed while the reconcile that began with the user's refresh was still running
      const landed = tl.of('refresh-patched').find((p) => p.at > done)!;
      assert.ok(slowed < done && landed.at < finished, 'the refresh was asked for during the slow reconcile');
      // and it was honoured: a generate ran after the reconcile and emitted job two, promptly
      const next = tl.of('generated').find((g) => g.at > finished && g.result === 'ran')!;
      assert.ok(next.objects.includes('Job/pipeline-two'), 'the next generate saw job one complete');
      assert.equal(next.refresh, 'hard');
      assert.ok(
        next.at - finished - next.durationMs <= recoveryBoundMs,
        `the generate started ${Math.round(next.at - next.durationMs - finished)} ms after the reconcile, not within ${recoveryBoundMs} ms`,
      );
      assert.equal(tl.maxActiveJobs(), 1);
      const end = result.checkpoints['end']!;
      assert.deepEqual([end.sync, end.health, end.flightStatus], ['Synced', 'Healthy', 'all jobs have completed']);
    });
  });
}

test('a staged flight whose output changes mid-sync: the running sync re-plans through the manifest cache and applies the new object in its wave', async (t) => {
  const result = await runMidSyncChangeScenario();
  t.diagnostic(`wall ${result.wallMs} ms, ${result.refreshCycles} hard refreshes`);
  const { timeline: tl, checkpoints } = result;
  explain(result, () => {
    const flag = tl.of('user')[0]!.at;
    const changed = tl.of('generated').find((g) => g.objects.includes('ConfigMap/settings'))!;
    assert.equal(changed.refresh, 'hard', 'jetway hard-refreshed the app when the flag appeared');
    assert.ok(changed.at > flag);
    // one operation did it all: no second sync started, and its second wave holds the Deployment and the new ConfigMap
    assert.equal(tl.of('sync-started').length, 1);
    const [first, second] = tl.of('wave-applied');
    assert.deepEqual(first!.resources, ['Job/migrate']);
    assert.deepEqual([second!.wave, [...second!.resources].sort()], [1, ['ConfigMap/settings', 'Deployment/web']]);
    assert.ok(tl.first('job-completed', 'Job/migrate') < second!.at, 'the second wave waited for the Job');
    // the re-plan happened while the operation waited: the first sync-finished comes after the ConfigMap's creation
    assert.ok(tl.first('created', 'ConfigMap/settings') < tl.first('sync-finished'));
    assert.equal(checkpoints['output-changed']!.operation, 'Running: waiting for healthy state of batch/Job/migrate');
    assert.deepEqual(checkpoints['end']!.live, ['ConfigMap/settings', 'Deployment/web', 'Job/migrate']);
  });
});

test('a failing wave: the Degraded Job fails the sync, Argo CD retries it 5 times without starting another, then reports "(retried 5 times)"', async (t) => {
  const result = await runFailingWaveScenario();
  t.diagnostic(`wall ${result.wallMs} ms, ${result.refreshCycles} hard refreshes`);
  const { timeline: tl, checkpoints } = result;
  explain(result, () => {
    const pressed = tl.of('user')[0]!.at;
    const failed = checkpoints['failed']!;
    assert.equal(failed.operation, 'Failed: one or more synchronization tasks completed unsuccessfully (retried 5 times).');
    assert.match(failed.conditions.join('\n'), /^SyncError: Failed last sync attempt to \[[0-9a-f]{40}\]: one or more synchronization tasks completed unsuccessfully \(retried 5 times\)\.$/m);
    assert.equal(failed.health, 'Degraded');
    assert.deepEqual(failed.live, ['Job/migrate']);
    // 5 retries, each announced with its attempt and time; no new automated sync started meanwhile or after
    const retries = tl.of('sync-failed').filter((f) => f.at < pressed);
    assert.deepEqual(
      retries.map((f) => /Retrying attempt #(\d+) at \d{1,2}:\d{2}[AP]M\.$/.exec(f.message)?.[1]),
      ['1', '2', '3', '4', '5'],
    );
    assert.equal(tl.of('sync-retried').filter((r) => r.at < pressed).length, 5);
    assert.equal(tl.of('sync-started').filter((s) => s.at < pressed).length, 1);
    // the retries back off: each waits longer than the one before
    const gaps = tl
      .of('sync-retried')
      .filter((r) => r.at < pressed)
      .map((r, i) => r.at - retries[i]!.at);
    for (let i = 1; i < gaps.length - 1; i++) assert.ok(gaps[i]! > gaps[i - 1]!, `retry ${i + 1} waited ${gaps[i]} ms, not more than retry ${i} (${gaps[i - 1]} ms)`);
    assert.ok(tl.first('created', 'Deployment/web') > pressed, 'the Deployment wave never ran before the fix');
    const end = checkpoints['end']!;
    assert.deepEqual([end.sync, end.health, end.conditions], ['Synced', 'Healthy', []]);
  });
});

test('a changed Job pod template is refused by the API server (422, field is immutable) and the sync fails with its message after retries', async (t) => {
  const result = await runImmutableJobScenario();
  t.diagnostic(`wall ${result.wallMs} ms, ${result.refreshCycles} hard refreshes`);
  const { timeline: tl, checkpoints } = result;
  explain(result, () => {
    const refused = checkpoints['refused']!;
    assert.match(
      refused.operation ?? '',
      /^Failed: one or more objects failed to apply, reason: Job\.batch "migrate" is invalid: spec\.template: Invalid value: .*: field is immutable \(retried 5 times\)\.$/,
    );
    assert.equal(tl.of('updated').length, 0, 'the Job was never changed');
    assert.equal(tl.of('sync-retried').length, 5);
  });
});

test(`production timing ratios: a ${productionSteps.length}-step pipeline under Argo CD's and jetway's defaults, paced by the self-heal backoff`, async (t) => {
  const result = await runProductionRatioScenario();
  t.diagnostic(`wall ${result.wallMs} ms, ${result.refreshCycles} hard refreshes`);
  const { timeline: tl, checkpoints } = result;
  explain(result, () => {
    const jobs = productionSteps.map((s) => `Job/pipeline-${s}`);
    for (let i = 1; i < jobs.length; i++) assert.ok(tl.first('job-completed', jobs[i - 1]) < tl.first('created', jobs[i]), `${jobs[i]} waited for ${jobs[i - 1]}`);
    assert.equal(tl.maxActiveJobs(), 1);
    // self-heal syncs of one commit back off 0, 2, 6, 18 s after the previous sync finished
    const selfHeals = tl.of('sync-started').filter((s) => s.selfHeal);
    assert.equal(selfHeals.length, jobs.length - 1);
    const finishes = tl.of('sync-finished');
    const expected = [0, 2_000, 6_000, 18_000];
    selfHeals.forEach((s, i) => {
      const previous = finishes.filter((f) => f.at < s.at).at(-1)!;
      assert.ok(s.at - previous.at >= expected[i]! - 50, `self-heal ${i + 1} started ${Math.round(s.at - previous.at)} ms after the previous sync, before its ${expected[i]} ms backoff`);
    });
    const end = checkpoints['end']!;
    assert.deepEqual([end.sync, end.health, end.flightStatus], ['Synced', 'Healthy', 'all jobs have completed']);
  });
});

test('the Application deleted mid-pipeline: Argo CD deletes its Jobs (foreground) and the app; jetway drops its record and watches', async (t) => {
  const result = await runApplicationDeletedScenario();
  t.diagnostic(`wall ${result.wallMs} ms, ${result.refreshCycles} hard refreshes`);
  const { timeline: tl, checkpoints } = result;
  explain(result, () => {
    const deleted = tl.of('user')[0]!.at;
    assert.deepEqual(checkpoints['mid-pipeline']!.live, ['Job/pipeline-one', 'Job/pipeline-two']);
    assert.deepEqual(
      tl
        .of('deleted')
        .map((d) => d.resource)
        .sort(),
      ['Job/pipeline-one', 'Job/pipeline-two'],
    );
    // the finalizer held the Application until its Jobs were gone (the garbage collector finished each deletion)
    const gone = tl.first('application-deleted');
    for (const j of ['Job/pipeline-one', 'Job/pipeline-two']) assert.ok(tl.first('garbage-collected', j) < gone);
    assert.equal(tl.first('created', 'Job/pipeline-three'), Infinity);
    assert.deepEqual(
      tl.of('sync-started').filter((s) => s.at > deleted),
      [],
    );
    assert.deepEqual(checkpoints['end']!.live, []);
  });
});

test('two apps watching the same object: its creation hard-refreshes both, and each applies its own stage', async (t) => {
  const result = await runSharedObjectScenario();
  t.diagnostic(`wall ${result.wallMs} ms, ${result.refreshCycles} hard refreshes`);
  const { timeline: tl } = result;
  explain(result, () => {
    const created = tl.of('user')[0]!.at;
    for (const app of ['alpha', 'beta']) {
      assert.ok(
        tl.of('refresh-patched').some((p) => p.app === app && p.at > created),
        `jetway refreshed ${app}`,
      );
      const emitted = tl.of('generated').find((g) => g.app === app && g.objects.includes(`ConfigMap/${app}-live`))!;
      assert.deepEqual([emitted.refresh, emitted.at > created], ['hard', true]);
      assert.ok(!tl.of('generated').some((g) => g.app === app && g.objects.includes(`ConfigMap/${app === 'alpha' ? 'beta' : 'alpha'}-live`)), 'no app emitted the other one');
    }
  });
});

test('an Application outside the Argo CD namespace (<namespace>_<name>): jetway refreshes it in its own namespace', async (t) => {
  const result = await runAppInOtherNamespaceScenario();
  t.diagnostic(`wall ${result.wallMs} ms, ${result.refreshCycles} hard refreshes`);
  const { timeline: tl, checkpoints } = result;
  explain(result, () => {
    const created = tl.of('user')[0]!.at;
    assert.ok(tl.of('refresh-patched').some((p) => p.app === 'team-a_web' && p.at > created));
    const emitted = tl.of('generated').find((g) => g.objects.includes('Deployment/web'))!;
    assert.deepEqual([emitted.app, emitted.refresh], ['team-a_web', 'hard']);
    assert.deepEqual(checkpoints['end']!.live, ['ConfigMap/web-base', 'Deployment/web']);
  });
});

test('Argo CD installed in namespace gitops: the pipeline completes with the shipped deploy defaults (jetway serve learns the namespace from the downward API)', async (t) => {
  // the rig gives serve the downward-API environment of deploy/repo-server-patch.yaml; the deploy sets no namespace flag
  assert.deepEqual(deployedDownwardEnv('gitops'), { POD_NAMESPACE: 'gitops' });
  assert.ok(!deployedServeFlags().some((f) => f.startsWith('--argocd-namespace')), 'the deploy leaves --argocd-namespace unset');
  const result = await runArgoCdInGitopsScenario();
  t.diagnostic(`wall ${result.wallMs} ms, ${result.refreshCycles} hard refreshes`);
  explain(result, () => {
    assert.ok(result.refreshCycles >= 2, 'jetway refreshed the Application in gitops');
    const end = result.checkpoints['end']!;
    assert.deepEqual([end.sync, end.health, end.flightStatus], ['Synced', 'Healthy', 'all jobs have completed']);
  });
});

test('with jetway serve gone, generate in the sidecar reads nothing from the cluster, whatever credentials its container has: it fails in one line', async () => {
  const result = await runSidecarCredentialsScenario();
  // the pod's service account is mounted into jetway-serve only (issue 14): with serve gone, generate reads nothing
  assert.deepEqual(result.lookupUsers, []);
  assert.match(result.error, /jetway: generate for Application pipeline failed: lookups need jetway serve/);
});
