// deploy/flight-status: the FlightStatus CRD and the Lua health check it puts into argocd-cm, executed on a real Lua
// VM (fengari) as Argo CD runs it, for every state jetway writes, and checked to agree with what render and
// simulate print (src/stages/flight-status.ts dashboardHealth).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import yaml from 'js-yaml';
import { dashboardHealth, flightStatusApiVersion, flightStatusKind, flightStatusObject } from '../../src/stages/flight-status.js';
import type { FlightSignal } from '../../src/stages/signal.js';
import { shippedHealthOverrides } from '../support/argocd/health.js';
import { runLuaHealth } from '../support/argocd/lua.js';
import { repoPath } from '../support/paths.js';

const script = shippedHealthOverrides()['jetway.dev_FlightStatus']!;

test('argocd-cm gets the check under the key Argo CD looks up for jetway.dev/FlightStatus', () => {
  assert.equal(typeof script, 'string');
  const patch = yaml.load(readFileSync(repoPath('deploy/flight-status/argocd-cm-health.yaml'), 'utf8')) as { kind: string; metadata: { name: string } };
  assert.deepEqual([patch.kind, patch.metadata.name], ['ConfigMap', 'argocd-cm']);
});

test("the Lua check: Done is Healthy, Waiting Progressing, Failed Degraded, each with the flight's message", () => {
  const object = (spec: unknown) => ({ apiVersion: flightStatusApiVersion, kind: flightStatusKind, metadata: { name: 'demo' }, spec });
  assert.deepEqual(runLuaHealth(script, object({ state: 'Done', message: 'all jobs have completed' })), { status: 'Healthy', message: 'all jobs have completed' });
  assert.deepEqual(runLuaHealth(script, object({ state: 'Waiting', message: 'waiting for job two to complete' })), { status: 'Progressing', message: 'waiting for job two to complete' });
  assert.deepEqual(runLuaHealth(script, object({ state: 'Failed', message: 'job two failed: exit 1' })), { status: 'Degraded', message: 'job two failed: exit 1' });
  assert.deepEqual(runLuaHealth(script, object({ state: 'Waiting' })), { status: 'Progressing', message: 'the flight waits on cluster state' });
  assert.deepEqual(runLuaHealth(script, object({ state: 'Done' })), { status: 'Healthy' });
  assert.deepEqual(runLuaHealth(script, object(undefined)), { status: 'Unknown', message: 'FlightStatus has no known spec.state (Done, Waiting or Failed)' });
});

test('the Lua check on the objects jetway emits agrees with the health render and simulate print', () => {
  const signals: FlightSignal[] = [
    { state: 'done', message: 'ready', source: 'rule' },
    { state: 'waiting', message: 'waiting for connection secret shop-db-conn', source: 'rule' },
    { state: 'waiting', message: undefined, source: 'rule' },
    { state: 'failed', message: 'job two failed', source: 'ready-condition' },
    { state: 'waiting', message: 'x'.repeat(5_000), source: 'rule' },
  ];
  for (const signal of signals) {
    const lua = runLuaHealth(script, flightStatusObject('demo', signal, 0));
    const printed = dashboardHealth(signal);
    assert.deepEqual({ status: lua.status, message: lua.message ?? '' }, printed, JSON.stringify(signal).slice(0, 80));
  }
});

test('the CRD serves jetway.dev/v1alpha1 FlightStatus, validates the state and bounds the message', () => {
  const crd = yaml.load(readFileSync(repoPath('deploy/flight-status/flightstatus-crd.yaml'), 'utf8')) as any;
  assert.equal(crd.metadata.name, 'flightstatuses.jetway.dev');
  assert.equal(`${crd.spec.group}/${crd.spec.versions[0].name}`, flightStatusApiVersion);
  assert.equal(crd.spec.names.kind, flightStatusKind);
  const spec = crd.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties;
  assert.deepEqual(spec.state.enum, ['Done', 'Waiting', 'Failed']);
  assert.equal(spec.message.maxLength, 1024);
});
