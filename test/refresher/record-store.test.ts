// RecordStore: how replicas write RunRecords. A replica writes an app's record over the version it last wrote in one
// request, and falls back to reading first when another replica wrote since or the record was deleted, so a newer
// run is never overwritten by an older one.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeHttp } from '../../src/cluster/http.js';
import { RecordStore } from '../../src/refresher/record-store.js';
import type { RunRecord } from '../../src/refresher/records.js';
import type { FakeApiServer } from '../support/apiserver.js';
import { installRunRecords } from '../support/serve.js';
import { application, ranAt, run, withApiServer } from './support.js';

let api: FakeApiServer;
let http: KubeHttp;

withApiServer((a, h) => ((api = a), (http = h)));

/** The stored RunRecord's run of `app` (in the argocd namespace). */
function stored(app: string): RunRecord | undefined {
  return api.get('jetway.dev/v1alpha1', 'RunRecord', 'argocd', app)?.['spec'] as RunRecord | undefined;
}

/** The requests one save made, as `METHOD path`. */
async function requestsOf(save: () => Promise<unknown>): Promise<string[]> {
  const mark = api.requests.length;
  await save();
  return api.requests.slice(mark).map((r) => `${r.method} ${r.path}`);
}

const recordPath = (app: string) => `/apis/jetway.dev/v1alpha1/namespaces/argocd/runrecords/${app}`;

/** The RunRecord CRD (once) and the Application `app`, so records of `app` can be written. */
function appWithRecords(app: string): void {
  if (!api.get('apiextensions.k8s.io/v1', 'CustomResourceDefinition', undefined, 'runrecords.jetway.dev')) installRunRecords(api);
  api.put(application('argocd', app));
}

test("a replica writes an app's record in one request once it has written it before", async () => {
  appWithRecords('one-request');
  const store = new RecordStore(http, 'argocd');
  const first = await requestsOf(() => store.save(run('one-request', [], ranAt(1_000))));
  assert.deepEqual(first, [
    `GET ${recordPath('one-request')}`,
    'GET /apis/argoproj.io/v1alpha1/namespaces/argocd/applications/one-request',
    'POST /apis/jetway.dev/v1alpha1/namespaces/argocd/runrecords',
  ]);
  for (const at of [2_000, 3_000]) {
    assert.deepEqual(await requestsOf(() => store.save(run('one-request', [], { ...ranAt(at), statusMessage: `run at ${at}` }))), [`PUT ${recordPath('one-request')}`]);
  }
  assert.equal(stored('one-request')?.statusMessage, 'run at 3000');
});

test('a run that ended before the one another replica stored since is not written over it', async () => {
  appWithRecords('two-replicas');
  const [a, b] = [new RecordStore(http, 'argocd'), new RecordStore(http, 'argocd')];
  assert.equal(await a.save(run('two-replicas', [], { ...ranAt(1_000), statusMessage: 'a first' })), 'saved');
  assert.equal(await b.save(run('two-replicas', [], { ...ranAt(3_000), statusMessage: 'b later' })), 'saved');
  // a's write over the version it knows is refused (409), so it reads the record and finds b's later run
  assert.equal(await a.save(run('two-replicas', [], { ...ranAt(2_000), statusMessage: 'a in between' })), 'older');
  assert.equal(stored('two-replicas')?.statusMessage, 'b later');
  assert.equal(await a.save(run('two-replicas', [], { ...ranAt(4_000), statusMessage: 'a last' })), 'saved');
  assert.equal(stored('two-replicas')?.statusMessage, 'a last');
});

test('two runs of one app ending out of order in one replica leave the later-ending run stored', async () => {
  appWithRecords('out-of-order');
  const store = new RecordStore(http, 'argocd');
  await store.save(run('out-of-order', [], { ...ranAt(2_000), statusMessage: 'ended later' }));
  assert.deepEqual(await requestsOf(async () => assert.equal(await store.save(run('out-of-order', [], { ...ranAt(1_000), statusMessage: 'ended first' })), 'older')), []);
  assert.equal(stored('out-of-order')?.statusMessage, 'ended later');
});

test('a record deleted since the replica wrote it is created again', async () => {
  appWithRecords('deleted-since');
  const store = new RecordStore(http, 'argocd');
  await store.save(run('deleted-since', [], ranAt(1_000)));
  api.remove('jetway.dev/v1alpha1', 'RunRecord', 'argocd', 'deleted-since');
  assert.equal(await store.save(run('deleted-since', [], { ...ranAt(2_000), statusMessage: 'after the delete' })), 'saved');
  assert.equal(stored('deleted-since')?.statusMessage, 'after the delete');
});
