// A flight's stages as Argo CD sync waves under the imitation: the next wave waits until the previous one is healthy,
// and pruning removes only what the latest successful generate dropped.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { explain, runWavesScenario } from '../support/argocd/scenarios.js';

test('stages: the Deployment wave is applied only once the migration Job is healthy; dropped objects are pruned, a broken output prunes nothing', async (t) => {
  const result = await runWavesScenario();
  t.diagnostic(`wall ${result.wallMs} ms, ${result.refreshCycles} hard refreshes`);
  const { timeline: tl, checkpoints } = result;
  explain(result, () => {
    const [first, second] = tl.of('wave-applied');
    assert.deepEqual([first!.wave, first!.resources], [0, ['Job/migrate']]);
    assert.deepEqual([second!.wave, [...second!.resources].sort()], [1, ['ConfigMap/settings', 'Deployment/web']]);
    assert.ok(tl.first('job-completed', 'Job/migrate') < second!.at, 'the second wave waited for the Job');
    const waiting = checkpoints['first-wave']!;
    assert.deepEqual(waiting.live, ['Job/migrate']);
    assert.equal(waiting.operation, 'Running: waiting for healthy state of batch/Job/migrate');
    assert.deepEqual(checkpoints['synced']!.live, ['ConfigMap/settings', 'Deployment/web', 'Job/migrate']);
    // only what the latest successful generate dropped is pruned, and only after it
    const [dropped, broke] = tl.of('user').map((u) => u.at) as [number, number];
    assert.deepEqual(
      tl.of('pruned').map((p) => p.resource),
      ['ConfigMap/settings'],
    );
    assert.ok(tl.first('pruned') > dropped);
    assert.deepEqual(checkpoints['pruned']!.live, ['Deployment/web', 'Job/migrate']);
    const broken = checkpoints['broken']!;
    assert.equal(broken.sync, 'Unknown');
    assert.match(broken.conditions.join('\n'), /ComparisonError: [\s\S]*flight output is not Kubernetes resources/);
    assert.deepEqual(broken.live, ['Deployment/web', 'Job/migrate']);
    assert.deepEqual(
      tl.of('sync-started').filter((s) => s.at > broke),
      [],
    );
  });
});
