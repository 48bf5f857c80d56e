// `jetway serve`'s flags: where it looks for Applications (the flag, else the pod's own namespace) and how much it logs.

import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { settingsOf, type ServeFlags } from '../../src/cli/serve.js';
import { jsonLogger } from '../../src/service/log.js';

const defaults: ServeFlags = {
  socket: '/s',
  listen: ':9464',
  workers: '2',
  logLevel: 'info',
  debounce: '2s',
  minInterval: '10s',
  waitingRefresh: '5m',
  leaseDuration: '15s',
  renewDeadline: '10s',
  retryPeriod: '2s',
};

test('Applications without a <ns>_ prefix are looked for in --argocd-namespace, else the pod namespace, else argocd', () => {
  // deploy/ sets POD_NAMESPACE from the downward API: Argo CD installed in `gitops` works without any flag
  assert.equal(settingsOf(defaults, { POD_NAMESPACE: 'gitops' }).argocdNamespace, 'gitops');
  assert.equal(settingsOf({ ...defaults, argocdNamespace: 'argo' }, { POD_NAMESPACE: 'gitops' }).argocdNamespace, 'argo');
  assert.equal(settingsOf(defaults, {}).argocdNamespace, 'argocd');
  assert.equal(settingsOf(defaults, { POD_NAMESPACE: '' }).argocdNamespace, 'argocd');
  assert.throws(() => settingsOf({ ...defaults, argocdNamespace: 'Argo_CD' }, {}), /--argocd-namespace "Argo_CD": expected a namespace name/);
  assert.throws(() => settingsOf(defaults, { POD_NAMESPACE: 'a/b' }), /POD_NAMESPACE "a\/b": expected a namespace name/);
});

test('--log-level drops less severe lines and refuses unknown levels', () => {
  assert.equal(settingsOf({ ...defaults, logLevel: 'warn' }, {}).logLevel, 'warn');
  assert.throws(() => settingsOf({ ...defaults, logLevel: 'verbose' }, {}), /--log-level "verbose": expected one of debug, info, warn, error/);
  const out = new PassThrough();
  const log = jsonLogger(out, 'warn');
  log('info', 'listening');
  log('debug', 'opened a watch');
  log('warn', 'watch failed', { watch: 'jobs' });
  log('error', 'cannot start');
  const lines = String(out.read())
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(
    lines.map((l) => [l['level'], l['msg']]),
    [
      ['warn', 'watch failed'],
      ['error', 'cannot start'],
    ],
  );
  assert.equal(lines[0]!['watch'], 'jobs');
});

test("the flights' memory budget and the queue bound come from JETWAY_SERVE_MEMORY_MIB and JETWAY_MAX_QUEUED_RUNS", () => {
  const set = settingsOf(defaults, { JETWAY_SERVE_MEMORY_MIB: '1536', JETWAY_MAX_QUEUED_RUNS: '8' });
  assert.deepEqual([set.memoryBudgetMib, set.maxQueued], [1536, 8]);
  assert.equal(settingsOf(defaults, {}).maxQueued, 64);
  assert.throws(() => settingsOf(defaults, { JETWAY_SERVE_MEMORY_MIB: '1.5Gi' }), /admin setting JETWAY_SERVE_MEMORY_MIB: got "1.5Gi", expected a positive whole number/);
  assert.throws(() => settingsOf(defaults, { JETWAY_MAX_QUEUED_RUNS: '0' }), /admin setting JETWAY_MAX_QUEUED_RUNS: got "0", expected a positive whole number/);
});
