// On start the service rebuilds its records: every jetway Application, and only those, is hard-refreshed once, rate-limited.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeHttp } from '../../src/cluster/http.js';
import type { FakeApiServer } from '../support/apiserver.js';
import { ManualClock, runUntil } from '../support/manual-clock.js';
import { application, refresher, stopped, withApiServer } from './support.js';

let api: FakeApiServer;
let http: KubeHttp;

withApiServer((a, h) => ((api = a), (http = h)));

test('start() hard-refreshes only Applications using the jetway plugin, once each, within the rate limit', async () => {
  api.put(application('argocd', 'one'));
  api.put(application('argocd', 'two', { source: { plugin: { name: 'jetway-v0.3' } } }));
  api.put(application('team-a', 'three', { sources: [{ repoURL: 'https://charts.example.com', chart: 'x' }, { plugin: { name: 'jetway' } }] }));
  api.put(application('team-a', 'four'));
  api.put(application('argocd', 'helm', { source: { repoURL: 'https://charts.example.com', chart: 'x' } }));
  api.put(application('argocd', 'other-plugin', { source: { plugin: { name: 'jetwayish' } } }));
  api.put(application('team-a', 'kustomize', { source: { plugin: { name: 'kustomize-jetway' } } }));
  const clock = new ManualClock();
  const r = refresher(http, { clock, rateLimit: { perSecond: 5, burst: 1 } });
  try {
    const started = r.start();
    const patches = () => api.requests.filter((q) => q.method === 'PATCH');
    await runUntil(clock, 'four refreshes', () => patches().length === 4);
    assert.equal(await started, 4);
    const patched = patches().map((q) => q.path.replace('/apis/argoproj.io/v1alpha1/namespaces/', ''));
    assert.deepEqual(patched.sort(), ['argocd/applications/one', 'argocd/applications/two', 'team-a/applications/four', 'team-a/applications/three']);
    // burst 1 at 5/s: one refresh per 200 ms of the refresher's clock.
    const stamps = patches().map((q) => Date.parse((q.body as { metadata: { annotations: Record<string, string> } }).metadata.annotations['argocd.argoproj.io/refresh-timestamp']!));
    assert.deepEqual(stamps.slice(1).map((t, i) => t - stamps[i]! >= 200), [true, true, true], `stamps ${stamps.map((t) => t - stamps[0]!).join(', ')}`);
    assert.equal(api.get('argoproj.io/v1alpha1', 'Application', 'argocd', 'one')?.metadata?.annotations?.['argocd.argoproj.io/refresh'], 'hard');
    assert.equal(r.stats().refreshes, 4);
  } finally {
    await stopped(api, r);
  }
});
