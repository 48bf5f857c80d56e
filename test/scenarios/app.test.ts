// The app example under the Argo CD imitation with a real jetway serve: the Deployment waits for the Secret another
// controller publishes, and Argo CD shows the app ready only once the Deployment is.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { explain, runAppScenario } from '../support/argocd/scenarios.js';

test('app: the Database is applied first; the Deployment appears only after the operator publishes its Secret, then becomes ready', async (t) => {
  const result = await runAppScenario();
  t.diagnostic(`wall ${result.wallMs} ms, ${result.refreshCycles} hard refreshes`);
  const { timeline: tl, checkpoints, events } = result;
  explain(result, () => {
    const published = tl.first('secret-published', 'Secret/shop-db-conn');
    assert.ok(tl.first('created', 'Database/shop-db') < published);
    assert.ok(published < tl.first('created', 'Deployment/shop'));
    assert.ok(tl.first('created', 'Deployment/shop') < tl.first('deployment-available', 'Deployment/shop'));
    // no generate emitted the Deployment before the Secret existed
    assert.deepEqual(
      tl.of('generated').filter((g) => g.at < published && g.objects.includes('Deployment/shop')),
      [],
    );
    const waiting = checkpoints['database-applied']!;
    assert.deepEqual([waiting.live, waiting.flightStatus], [['Database/shop-db'], 'waiting for connection secret shop-db-conn']);
    assert.ok(events.some((e) => e.reason === 'FlightWaiting' && e.message === 'waiting for connection secret shop-db-conn'));
    // the Secret reached Argo CD through a hard refresh by jetway: one naming it, unless a hard refresh jetway had already
    // asked for (its start-up one) was still pending and picked the Secret up first
    const firstWithDeployment = tl.of('generated').find((g) => g.objects.includes('Deployment/shop'))!;
    assert.equal(firstWithDeployment.refresh, 'hard');
    const named = events.some((e) => e.reason === 'HardRefreshTriggered' && e.message.includes('Secret shop/shop-db-conn was created'));
    assert.ok(named || tl.of('refresh-patched').some((r) => r.at < published), 'a hard refresh by jetway brought the Secret in');
    assert.ok(events.some((e) => e.reason === 'FlightProgressed' && e.message.endsWith('to "ready"')));
    const end = checkpoints['end']!;
    assert.deepEqual([end.sync, end.health, end.flightStatus], ['Synced', 'Healthy', 'ready']);
    assert.deepEqual(end.live, ['Database/shop-db', 'Deployment/shop']);
    assert.deepEqual(tl.of('pruned'), []);
  });
});
