// A hard refresh jetway asks for is never lost: released Argo CD (v3.5.1) drops one that arrives while it reconciles
// the app, so jetway waits for a generate that started after its request and asks again when none came (issue 18).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeHttp } from '../../src/cluster/http.js';
import type { Refresher } from '../../src/refresher/refresher.js';
import type { FakeApiServer } from '../support/apiserver.js';
import { imitateRefreshAnnotation } from './refresh-annotation.js';
import { application, hardRefreshes, jobs, lookedUp, refresher, run, until, usingRefresher, withApiServer } from './support.js';

let api: FakeApiServer;
let http: KubeHttp;

withApiServer((a, h) => ((api = a), (http = h)));

const job = (name: string, status: Record<string, unknown> = {}) => ({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name, namespace: 'default' }, spec: { template: {} }, status });

/**
 * The hard refreshes jetway asked for up to the last generate: a failed generate's change is asked for again later
 * (backed off), which these tests do not count.
 */
function refreshesUpTo(name: string, generates: number[]): number {
  const last = Math.max(...generates);
  return hardRefreshes(api, 'argocd', name).filter((p) => {
    const body = p.body as { metadata?: { annotations?: Record<string, string> } } | undefined;
    const at = body?.metadata?.annotations?.['argocd.argoproj.io/refresh-timestamp'];
    return at === undefined || Date.parse(at) <= last;
  }).length;
}

/** jetway's production re-check period: progress must never depend on it. */
const fiveMinutes = 300_000;

/**
 * App `name` waits on Job `jobName`; its runs fail (say the API server answers 500 to the flight's lookups). The Job
 * changes, jetway refreshes, and while that reconcile's generate runs the Job changes again: jetway asks again during
 * the reconcile. Returns once a generate that started after that second request has posted its record.
 */
async function refreshDuringReconcile(r: Refresher, name: string, jobName: string, rule: 'v3.5.1' | 'master'): Promise<{ secondAt: number; generates: number[] }> {
  api.put(application('argocd', name));
  api.put(job(jobName));
  r.record(run(name, [await lookedUp(http, jobs, 'default', jobName)], { waiting: true, statusMessage: `waiting for ${jobName}` }));
  await api.waitForWatches(1);
  const controller = imitateRefreshAnnotation(api, 'argocd', name, rule, (startedAt) => {
    // the generate fails: a failed record carries no refs, and Argo CD keeps the last good manifests
    r.record(run(name, [], { outcome: 'failed', statusMessage: 'lookup failed: 500', startedAt: startedAt.toISOString(), ranAt: new Date().toISOString() }));
  });
  try {
    controller.hold();
    api.setStatus('batch/v1', 'Job', 'default', jobName, { active: 1 });
    await until('the first reconcile runs generate', () => controller.reconciling);
    api.setStatus('batch/v1', 'Job', 'default', jobName, { succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] });
    await until('jetway asks again while the reconcile runs', () => hardRefreshes(api, 'argocd', name).length === 2);
    const secondAt = Date.parse(api.get('argoproj.io/v1alpha1', 'Application', 'argocd', name)!.metadata!.annotations!['argocd.argoproj.io/refresh-timestamp']!);
    controller.release();
    await until('a generate that started after the second request', () => controller.generates.some((t) => t >= secondAt), 5_000);
    await until('its record is in', () => !controller.reconciling);
    return { secondAt, generates: [...controller.generates] };
  } finally {
    await controller.stop();
  }
}

test('under v3.5.1 a hard refresh dropped during a reconcile is asked for again and answered within seconds, not at the 5-minute re-check', async () => {
  await usingRefresher(api, refresher(http, { minIntervalMs: 100, waitingRefreshMs: fiveMinutes, confirmMs: 300 }), async (r) => {
    const startedAt = Date.now();
    const { generates } = await refreshDuringReconcile(r, 'dropped', 'dropped-job', 'v3.5.1');
    assert.ok(Date.now() - startedAt < 5_000, 'answered long before the periodic re-check');
    assert.equal(generates.length, 2, 'one generate for each request jetway made, none twice');
    // the third PATCH is jetway asking again for the request Argo CD dropped
    assert.equal(refreshesUpTo('dropped', generates), 3);
    assert.equal(r.records()[0]?.refreshUnansweredSince, undefined, 'the request is answered');
  });
});

test('under master (argo-cd#28603) the kept request is answered without jetway asking a third time', async () => {
  await usingRefresher(api, refresher(http, { minIntervalMs: 100, waitingRefreshMs: fiveMinutes, confirmMs: 300 }), async (r) => {
    const { generates } = await refreshDuringReconcile(r, 'kept', 'kept-job', 'master');
    assert.equal(generates.length, 2);
    assert.equal(refreshesUpTo('kept', generates), 2);
    assert.equal(r.records()[0]?.refreshUnansweredSince, undefined);
  });
});
