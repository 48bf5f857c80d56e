// src/stages/manifests.ts: the flight's own object (YAML or JSON input) taken out as the status carrier, keepInput,
// the empty-output rule after List flattening with allowEmpty, and the FlightStatus object in the app's last wave.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toManifests, type ManifestOptions } from '../../src/stages/manifests.js';
import type { KubeObject } from '../../src/cluster/types.js';
import { parseStages } from '../../src/stages/parse.js';

const enc = (text: string) => new TextEncoder().encode(text);
const job = (name: string): KubeObject => ({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name } });
const pipeline = (status?: unknown, namespace?: string): KubeObject => ({
  apiVersion: 'examples.jetway.dev/v1',
  kind: 'Pipeline',
  metadata: { name: 'demo', ...(namespace ? { namespace } : {}) },
  ...(status ? { status } : {}),
});
const options = (input: string, extra: Partial<ManifestOptions> = {}): ManifestOptions => ({ release: 'demo', namespace: 'team', input: enc(input), lookedUpMissing: false, ...extra });
const names = (objects: KubeObject[]) => objects.map((o) => `${o.kind}/${o.metadata?.name}`);
const yamlInput = '# written in the Application\napiVersion: examples.jetway.dev/v1\nkind: Pipeline\nmetadata:\n  name: demo\nspec: {}\n';
const jsonInput = JSON.stringify({ apiVersion: 'examples.jetway.dev/v1', kind: 'Pipeline', metadata: { name: 'demo' }, spec: {} });

test("the flight's own object is recognised from YAML and from JSON input, taken out, and its status read", () => {
  for (const input of [yamlInput, jsonInput]) {
    const m = toManifests([[job('demo-one'), pipeline({ message: 'waiting for job one to complete' })]], options(input));
    assert.deepEqual(names(m.objects), ['Job/demo-one']);
    assert.deepEqual([m.statusMessage, m.signal.state], ['waiting for job one to complete', 'waiting']);
  }
});

test('namespace: equal, or empty on either side (the destination), is the same object; another namespace is not', () => {
  const inNamespace = yamlInput.replace('name: demo', 'name: demo\n  namespace: team');
  assert.deepEqual(names(toManifests([[job('a'), pipeline(undefined, 'team')]], options(yamlInput)).objects), ['Job/a']);
  assert.deepEqual(names(toManifests([[job('a'), pipeline()]], options(inNamespace)).objects), ['Job/a']);
  assert.deepEqual(names(toManifests([[job('a'), pipeline(undefined, 'other')]], options(yamlInput)).objects), ['Job/a', 'Pipeline/demo']);
  // another name or apiVersion is another object
  assert.deepEqual(names(toManifests([[job('a'), { ...pipeline(), metadata: { name: 'other' } }]], options(yamlInput)).objects), ['Job/a', 'Pipeline/other']);
});

test('keepInput keeps a re-emitted input object as a real resource, still reading its status', () => {
  const m = toManifests([[job('a'), pipeline({ message: 'ready' })]], options(yamlInput, { keepInput: true }));
  assert.deepEqual(names(m.objects), ['Job/a', 'Pipeline/demo']);
  assert.equal(m.statusMessage, 'ready');
});

test('empty output is refused with a line naming allowEmpty, after Lists are flattened and the input object taken out; allowEmpty renders none', () => {
  for (const stdout of [
    '',
    '[]',
    '[[]]',
    '{"apiVersion":"v1","kind":"List","items":[]}',
    '{"apiVersion":"v1","kind":"List","items":null}',
    '[[{"apiVersion":"v1","kind":"ConfigMapList","items":[]}]]',
  ]) {
    const stages = parseStages(enc(stdout));
    assert.throws(() => toManifests(stages, options('')), /empty output would make Argo CD prune the whole app, so it is refused; set the parameter allowEmpty: "true"/, stdout);
    assert.deepEqual(toManifests(stages, options('', { allowEmpty: true })).objects, [], stdout);
  }
  assert.throws(() => toManifests([[pipeline()]], options(yamlInput)), /emitted only its own input object/);
});

test('List items get the same ownership and sync-wave annotations as everything else', () => {
  const list = { apiVersion: 'v1', kind: 'List', items: [job('a'), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } }] };
  const stages = parseStages(enc(JSON.stringify([[list], [job('b')]])));
  const m = toManifests(stages, options(''));
  assert.deepEqual(names(m.objects), ['Job/a', 'ConfigMap/c', 'Job/b']);
  assert.deepEqual(
    m.objects.map((o) => [o.metadata?.annotations?.['instance.atc.yoke.cd/release'], o.metadata?.annotations?.['argocd.argoproj.io/sync-wave']]),
    [
      ['demo', '0'],
      ['demo', '0'],
      ['demo', '1'],
    ],
  );
  assert.throws(() => parseStages(enc('{"apiVersion":"v1","kind":"List","items":[{"metadata":{}}]}')), /List item 1 is not an object with a kind/);
});

test('the FlightStatus carries only the state and message, sits in the last wave, and only when asked for', () => {
  const status = { message: 'waiting for job two', secretValue: 'hunter2' };
  const stages = [[job('a')], [job('b'), pipeline(status)]];
  const m = toManifests(stages, options(yamlInput, { flightStatus: true }));
  const flight = m.objects.at(-1)!;
  assert.deepEqual([flight.apiVersion, flight.kind, flight.metadata?.name], ['jetway.dev/v1alpha1', 'FlightStatus', 'demo']);
  assert.deepEqual(flight['spec'], { state: 'Waiting', message: 'waiting for job two' });
  assert.equal(flight.metadata?.annotations?.['argocd.argoproj.io/sync-wave'], '1');
  assert.equal(flight.metadata?.annotations?.['instance.atc.yoke.cd/release'], 'demo');
  assert.ok(!JSON.stringify(flight).includes('hunter2'));
  // a flight's own waves: the FlightStatus goes with the highest
  const waved = { ...job('late'), metadata: { name: 'late', annotations: { 'argocd.argoproj.io/sync-wave': '7' } } };
  assert.equal(toManifests([[job('a'), waved]], options('', { flightStatus: true })).objects.at(-1)!.metadata?.annotations?.['argocd.argoproj.io/sync-wave'], '7');
  // an app in another namespace: <ns>_<name> becomes a valid object name
  assert.equal(toManifests([[job('a')]], { ...options(''), release: 'team-a_web', flightStatus: true }).objects.at(-1)!.metadata?.name, 'team-a.web');
  assert.equal(
    toManifests(stages, options(yamlInput)).objects.some((o) => o.kind === 'FlightStatus'),
    false,
  );
});
