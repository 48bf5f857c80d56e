// Issue 14 end to end: a hub Argo CD (the imitation, a real `jetway serve`, the cmp-server imitation running plugin.yaml's
// command) and a remote cluster with its own CA and tokens, registered by a cluster Secret (../shared/argocd-contract.md). An
// Application destined to the remote runs the seed pipeline (examples/pipeline) to completion: its lookups and watches
// hit the remote, never the hub (requests counted), and jetway's hard refreshes patch the Application on the hub; the
// same with the destination given by name and the Secret's token rotated mid-pipeline; an in-cluster app beside it runs
// unaffected.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RequestRecord } from '../support/apiserver.js';
import { exampleDirectory, startArgoCd, type ArgoCdEnvironment } from '../support/argocd/environment.js';
import { applicationOf, flightRecord, flightStatus, pipelineParameters } from '../support/argocd/scenarios.js';

const namespace = 'pipelines';
const stepTimeoutMs = 30_000;

/** Polls `check` until it holds; on timeout the error carries the timeline, the controllers' errors and serve's last log lines. */
async function waitFor(env: ArgoCdEnvironment, what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + stepTimeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) {
      const logs = env.service.logs.slice(-15).map((l) => JSON.stringify(l));
      throw new Error(
        `timed out waiting until ${what}\n--- timeline ---\n${env.timeline}\n--- errors ---\n${env
          .errors()
          .map((e) => e.message)
          .join('\n')}\n--- jetway serve log ---\n${logs.join('\n')}`,
      );
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A Job's phase in one cluster. */
function jobState(api: ArgoCdEnvironment['api'], name: string): 'absent' | 'running' | 'complete' | 'failed' {
  const job = api.get('batch/v1', 'Job', namespace, name);
  if (!job) return 'absent';
  const conditions = ((job['status'] as { conditions?: Array<{ type: string }> } | undefined)?.conditions ?? []).map((c) => c.type);
  return conditions.includes('Failed') ? 'failed' : conditions.includes('Complete') ? 'complete' : 'running';
}

/** Until the pipeline of `app` has completed: its Job three is complete in `api`, and the flight and Argo CD say so. */
async function pipelineCompleted(env: ArgoCdEnvironment, api: ArgoCdEnvironment['api'], app: string): Promise<void> {
  await waitFor(env, `${app}: job three has completed`, () => jobState(api, `${app}-three`) === 'complete');
  await waitFor(env, `${app}: the flight reports completion`, async () => (await flightStatus(env, app)) === 'all jobs have completed');
  await waitFor(env, `${app}: Synced and Healthy`, () => {
    const status = applicationOf(env, app)?.status;
    return status?.sync?.status === 'Synced' && status.health?.status === 'Healthy';
  });
}

/** Requests for the Jobs of `app` (its lookups: GETs by name) a server received. */
const lookupsOf = (requests: RequestRecord[], app: string) => requests.filter((q) => q.method === 'GET' && q.path.startsWith(`/apis/batch/v1/namespaces/${namespace}/jobs/${app}-`));

/** Watches of the Jobs of the destination namespace a server received. */
const jobWatches = (requests: RequestRecord[]) => requests.filter((q) => q.watch && q.path === `/apis/batch/v1/namespaces/${namespace}/jobs`);

/** The Events jetway wrote on Application argocd/app. */
const eventsOf = (env: ArgoCdEnvironment, app: string) =>
  env.api
    .list('v1', 'Event', env.argocdNamespace)
    .filter((e) => (e['involvedObject'] as { name?: string }).name === app)
    .map((e) => ({ reason: String(e['reason']), message: String(e['message']) }));

/** Runs `body` in an imitation with a remote cluster; closes it, and fails on any controller error. */
async function withHubAndRemote(body: (env: ArgoCdEnvironment) => Promise<void>): Promise<void> {
  const env = await startArgoCd({ directories: [exampleDirectory('pipeline')], namespace, remoteCluster: true });
  try {
    await body(env);
    assert.deepEqual(
      env.errors().map((e) => e.message),
      [],
    );
  } finally {
    await env.close();
  }
}

test('a pipeline destined to a registered cluster runs to completion there: lookups and watches on the remote, refreshes on the hub; an in-cluster app beside it is unaffected', async () => {
  await withHubAndRemote(async (env) => {
    const remote = env.remote!;
    remote.register('argocd-manager-1');
    env.createApplication({ name: 'far', path: 'pipeline', parameters: pipelineParameters(), cluster: { server: remote.api.url } });
    env.createApplication({ name: 'near', path: 'pipeline', parameters: pipelineParameters() });
    await pipelineCompleted(env, remote.api, 'far');
    await pipelineCompleted(env, env.api, 'near');
    // each app's Jobs are in its own destination only
    const jobs = (api: ArgoCdEnvironment['api']) =>
      api
        .list('batch/v1', 'Job', namespace)
        .map((j) => String(j.metadata?.name))
        .sort();
    assert.deepEqual(jobs(remote.api), ['far-one', 'far-three', 'far-two']);
    assert.deepEqual(jobs(env.api), ['near-one', 'near-three', 'near-two']);
    // the remote app's flight looked up its Jobs on the remote, with the cluster Secret's token; zero lookups on the hub
    assert.ok(lookupsOf(remote.api.requests, 'far').length >= 3, 'the flight looked up its Jobs on the remote');
    assert.deepEqual(lookupsOf(env.api.requests, 'far'), [], 'no lookup of the remote app on the hub');
    assert.deepEqual(lookupsOf(remote.api.requests, 'near'), [], 'no lookup of the in-cluster app on the remote');
    assert.deepEqual([...new Set(lookupsOf(remote.api.requests, 'far').map((q) => q.token))], ['argocd-manager-1']);
    // jetway's watch of the Jobs runs on the remote; the hard refreshes patch the Application on the hub
    assert.ok(jobWatches(remote.api.requests).length > 0, 'jetway watched the remote');
    assert.ok(env.timeline.of('refresh-patched').filter((e) => e.app === 'far').length >= 2, 'job two and three each came from a hard refresh on the hub');
    assert.deepEqual(
      remote.api.requests.filter((q) => q.path.includes('/applications')),
      [],
      'nothing of Argo CD is on the remote',
    );
    // the record says where the lookups went
    assert.equal((await flightRecord(env, 'far'))?.destination, remote.api.url);
    assert.ok(!eventsOf(env, 'far').some((e) => e.reason === 'ClusterUnreachable'));
    assert.ok(!eventsOf(env, 'near').some((e) => e.reason === 'ClusterUnreachable'));
  });
});

test("a pipeline destined to a cluster by name completes with the cluster Secret's token rotated mid-pipeline", async () => {
  await withHubAndRemote(async (env) => {
    const remote = env.remote!;
    remote.register('argocd-manager-1');
    env.createApplication({ name: 'far', path: 'pipeline', parameters: pipelineParameters(), cluster: { name: 'remote' } });
    await waitFor(env, 'job one has completed on the remote', () => jobState(remote.api, 'far-one') === 'complete');
    // rotation: a new token is issued and written into the cluster Secret, then the old one is revoked; the API server
    // ends its watches (as it does at their timeout), so jetway's watch must reconnect
    const mark = remote.api.requests.length;
    remote.register('argocd-manager-2');
    remote.api.removeToken('argocd-manager-1');
    remote.api.closeWatches();
    await pipelineCompleted(env, remote.api, 'far');
    const after = remote.api.requests.slice(mark);
    // a read made with a client from before the rotation is refused once (the refresher then reads the Secret again)
    const answered = lookupsOf(after, 'far').filter((q) => q.status !== 401);
    assert.ok(answered.length > 0 && answered.every((q) => q.token === 'argocd-manager-2'), 'reads after the rotation use the new token');
    assert.ok(after.filter((q) => q.status === 401).length <= 3, 'the old token is tried at most once per client (lookups, refresher reads, watch)');
    assert.ok(
      jobWatches(after).some((q) => q.token === 'argocd-manager-2' && q.status === 200),
      'the watch reconnected with the new token',
    );
    assert.deepEqual(
      after.filter((q) => q.status === 200 && q.token === 'argocd-manager-1'),
      [],
      'the revoked token is never accepted again',
    );
    assert.deepEqual(lookupsOf(env.api.requests, 'far'), [], 'no lookup on the hub');
    assert.equal((await flightRecord(env, 'far'))?.destination, remote.api.url);
    assert.ok(!eventsOf(env, 'far').some((e) => e.reason === 'ClusterUnreachable'), 'a rotation is not an outage');
  });
});
