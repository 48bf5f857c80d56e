// An Application without automated.selfHeal under the Argo CD imitation: jetway's hard refresh produces the next stage,
// Argo CD does not apply it by itself, and jetway says so where the user looks.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { explain, runNoSelfHealScenario } from '../support/argocd/scenarios.js';

test('an app without selfHeal does not progress by itself and carries the SelfHealDisabled warning', async (t) => {
  const result = await runNoSelfHealScenario();
  t.diagnostic(`wall ${result.wallMs} ms, ${result.refreshCycles} hard refreshes`);
  const { timeline: tl, checkpoints, events } = result;
  explain(result, () => {
    const pressed = tl.of('user')[0]!.at;
    // the new stage was generated (by a hard refresh) but not synced until the user pressed Sync
    const emitted = tl.of('generated').find((g) => g.objects.includes('Job/pipeline-two'))!;
    assert.equal(emitted.refresh, 'hard');
    assert.ok(emitted.at < pressed);
    assert.equal(tl.of('sync-started').filter((s) => s.at < pressed).length, 1, 'only the first sync of the revision may run by itself');
    assert.ok(tl.first('created', 'Job/pipeline-two') > pressed);
    const stalled = checkpoints['stalled']!;
    assert.deepEqual([stalled.sync, stalled.live, stalled.flightStatus], ['OutOfSync', ['Job/pipeline-one'], 'waiting for job two to complete']);
    const warning = events.find((e) => e.reason === 'SelfHealDisabled');
    assert.equal(warning?.type, 'Warning');
    assert.match(warning.message, /automated\.selfHeal is off: Argo CD will not apply the next stage by itself/);
    // and it names the other fix: jetway's opt-in
    assert.match(warning.message, /or let jetway sync each new stage with the annotation jetway\.dev\/sync-after-refresh: "true"$/);
    assert.deepEqual(
      tl.of('sync-started').filter((s) => s.initiatedBy === 'jetway'),
      [],
      'without the opt-in jetway syncs nothing',
    );
  });
});
