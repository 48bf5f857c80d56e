// Shared fixtures for the refresher tests: a fake API server, live refs as a flight would record them, and polling.

import { fingerprint } from '../../src/cluster/fingerprint.js';
import { KubeHttp } from '../../src/cluster/http.js';
import { loadKubeConfig } from '../../src/cluster/kube.js';
import { objectPath } from '../../src/cluster/paths.js';
import type { KubeObject } from '../../src/cluster/types.js';
import type { LookupRef } from '../../src/host/refs.js';
import { Refresher, type RefresherOptions } from '../../src/refresher/refresher.js';
import type { RunRecord } from '../../src/refresher/records.js';
import { after, before } from 'node:test';
import { startApiServer, type FakeApiServer, type RequestRecord } from '../support/apiserver.js';

/** For each test file: a fake API server with the namespaces the tests use, and an admin client, up before the tests and closed after. */
export function withApiServer(ready: (api: FakeApiServer, http: KubeHttp) => void): void {
  let api: FakeApiServer;
  let http: KubeHttp;
  before(async () => {
    api = await startApiServer({ namespaces: ['default', 'argocd', 'team-a'] });
    http = httpFor(api);
    ready(api, http);
  });
  after(async () => {
    http.close();
    await api.close();
  });
}

/** An HTTP client on the fake server with the admin token. */
export function httpFor(api: FakeApiServer): KubeHttp {
  return new KubeHttp(loadKubeConfig({ kubeconfig: api.kubeconfig() }), { retries: 1, baseDelayMs: 50 });
}

/** What a flight records for a lookup of (group/version resource kind) namespace/name: fingerprinted over HTTP like the host does. */
export async function lookedUp(http: KubeHttp, target: { group: string; version: string; resource: string; kind: string }, namespace: string, name: string): Promise<LookupRef> {
  const mapping = { Group: target.group, Version: target.version, Resource: target.resource, Namespaced: namespace !== '' };
  const ref: LookupRef = { ref: `${namespace}/${target.kind}${target.group ? `.${target.group}` : ''}:${name}`, ...target, namespace, name, access: 'missing' };
  const res = await http.request(objectPath(mapping, namespace, name));
  if (res.status === 404) return ref;
  const object = JSON.parse(res.text) as KubeObject;
  return { ...ref, access: 'owned', fingerprint: fingerprint(object), resourceVersion: object.metadata?.resourceVersion };
}

export const jobs = { group: 'batch', version: 'v1', resource: 'jobs', kind: 'Job' };
export const secrets = { group: '', version: 'v1', resource: 'secrets', kind: 'Secret' };
export const configMaps = { group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap' };

/** A run's start and end at the given time (ms): a record made under a ManualClock. */
export function ranAt(ms: number): { startedAt: string; ranAt: string } {
  const iso = new Date(ms).toISOString();
  return { startedAt: iso, ranAt: iso };
}

/** A run record as generate would post it. */
export function run(app: string, refs: LookupRef[], extra: Partial<RunRecord> = {}): RunRecord {
  const now = new Date().toISOString();
  return { app, refs, outcome: 'ok', waiting: false, startedAt: now, ranAt: now, ...extra };
}

/** An Application; `plugin` undefined gives a plain (non-plugin) source. */
export function application(namespace: string, name: string, spec: Record<string, unknown> = { source: { repoURL: 'https://example.com/repo', plugin: { name: 'jetway' } } }): KubeObject {
  return { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: { name, namespace }, spec };
}

/** A Refresher with test-sized timings. */
export function refresher(http: KubeHttp, options: Partial<RefresherOptions> = {}): Refresher {
  return new Refresher({
    http,
    argocdNamespace: 'argocd',
    debounceMs: 200,
    minIntervalMs: 1_000,
    waitingRefreshMs: 60_000,
    backoff: { baseMs: 50, capMs: 500 },
    limits: { refsPerApp: 256, watches: 500 },
    ...options,
  });
}

/** The hard-refresh PATCHes the server received for one Application. */
export function hardRefreshes(api: FakeApiServer, namespace: string, name: string): RequestRecord[] {
  const path = `/apis/argoproj.io/v1alpha1/namespaces/${namespace}/applications/${name}`;
  return api.requests.filter((r) => r.method === 'PATCH' && r.path === path);
}

/** Polls until `check` holds, failing with `what` after `timeoutMs`. */
export async function until(what: string, check: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Stops a Refresher and waits until the server has seen its watches close, so the next test counts from zero. */
export async function stopped(api: FakeApiServer, r: Refresher): Promise<void> {
  r.stop();
  await until('every watch is closed', () => api.openWatches === 0);
}

/** Runs `body` with the refresher `r`, then stops it and waits until its watches are closed, whether `body` passed or not. */
export async function usingRefresher(api: FakeApiServer, r: Refresher, body: (r: Refresher) => Promise<void>): Promise<void> {
  try {
    await body(r);
  } finally {
    await stopped(api, r);
  }
}
