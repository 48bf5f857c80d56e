// A flight's stdout into stages (../shared/yoke-compat.md "stdout: what a flight may write"): yoke's ParseStages, plus
// jetway's harmless supersets (null elements dropped) and Lists flattened as Argo CD does.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { notResourcesMessage, parseStages } from '../../src/stages/parse.js';
import { FlightError } from '../../src/wasi/errors.js';

const parse = (text: string, stderr?: string) => parseStages(new TextEncoder().encode(text), stderr);

const cm = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name } });
const ns = (name: string) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
const crd = (name: string) => ({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name } });

/** The names in each stage: what a user sees as the order of sync waves. */
const names = (stages: ReturnType<typeof parseStages>) => stages.map((s) => s.map((o) => (o.metadata as { name: string }).name));

function refused(text: string): FlightError {
  try {
    parse(text, 'flight said something');
  } catch (error) {
    assert.ok(error instanceof FlightError, `expected a FlightError for ${JSON.stringify(text)}, got ${String(error)}`);
    assert.equal(error.kind, 'output');
    assert.equal(error.stderr, 'flight said something', "the flight's stderr travels with the error");
    return error;
  }
  assert.fail(`${JSON.stringify(text)} was accepted`);
}

test('one object is one stage', () => {
  const stages = parse(JSON.stringify(cm('a')) + '\n');
  assert.deepEqual(stages, [[cm('a')]]);
});

test('one object as YAML, and an object without apiVersion (yoke only requires kind)', () => {
  assert.deepEqual(parse('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n'), [[cm('a')]]);
  assert.deepEqual(parse('{"kind":"ConfigMap","metadata":{"name":"x"}}'), [[{ kind: 'ConfigMap', metadata: { name: 'x' } }]]);
});

test('a list of resources is one stage, in order', () => {
  assert.deepEqual(names(parse(JSON.stringify([cm('a'), cm('b'), cm('c')]))), [['a', 'b', 'c']]);
});

test('a list of lists is stages in order', () => {
  assert.deepEqual(names(parse(JSON.stringify([[cm('a')], [cm('b'), cm('c')], [cm('d')]]))), [['a'], ['b', 'c'], ['d']]);
});

test('a YAML stream of objects is one stage', () => {
  const text = '---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n';
  assert.deepEqual(names(parse(text)), [['a', 'b']]);
});

test('concatenated JSON objects (Go encoder output, one per line or not) are one stage', () => {
  assert.deepEqual(names(parse(`${JSON.stringify(cm('a'))}\n${JSON.stringify(cm('b'))}\n`)), [['a', 'b']]);
  assert.deepEqual(names(parse(`${JSON.stringify(cm('a'))}${JSON.stringify(cm('b'))}`)), [['a', 'b']]);
  // braces inside strings do not confuse the splitter
  const tricky = { ...cm('c'), data: { x: '}{ "]' } };
  assert.deepEqual(parse(`${JSON.stringify(tricky)} ${JSON.stringify(cm('d'))}`), [[tricky, cm('d')]]);
});

test('null elements are dropped (a superset of yoke)', () => {
  assert.deepEqual(names(parse(JSON.stringify([cm('a'), null, cm('b')]))), [['a', 'b']]);
  assert.deepEqual(names(parse(JSON.stringify([[cm('a'), null], null, [cm('b')]]))), [['a'], ['b']]);
  assert.deepEqual(names(parse(`---\n${JSON.stringify(cm('a'))}\n---\n---\n${JSON.stringify(cm('b'))}\n`)), [['a', 'b']]);
});

test('Namespaces and CRDs are split into a stage of their own before each stage', () => {
  const stages = parse(JSON.stringify([[cm('a'), ns('team'), cm('b')], [cm('c'), crd('widgets.example.com'), ns('other')], [cm('d')]]));
  assert.deepEqual(names(stages), [['team'], ['a', 'b'], ['widgets.example.com', 'other'], ['c'], ['d']]);
  // a stage of only Namespaces stays one stage; a single list gets its split too
  assert.deepEqual(names(parse(JSON.stringify([cm('x'), ns('n')]))), [['n'], ['x']]);
  assert.deepEqual(names(parse(JSON.stringify([ns('n')]))), [['n']]);
});

test('a List object is flattened into its stage, as Argo CD flattens it before applying (yoke does not expand it)', () => {
  const list = { apiVersion: 'v1', kind: 'List', items: [cm('a'), cm('b')] };
  assert.deepEqual(parse(JSON.stringify(list)), [[cm('a'), cm('b')]]);
  // its Namespaces then go into the stage before it, like any other Namespace
  const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n' } };
  assert.deepEqual(names(parse(JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [cm('a'), ns] }))), [['n'], ['a']]);
});

test('a CustomResourceDefinition kind in another group is not split off', () => {
  const lookalike = { apiVersion: 'example.com/v1', kind: 'CustomResourceDefinition', metadata: { name: 'fake' } };
  assert.deepEqual(names(parse(JSON.stringify([cm('a'), lookalike]))), [['a', 'fake']]);
});

test("text that is not resources fails with yoke's message", () => {
  for (const garbage of ['hello world', '42', 'true', '"just a string"', '{', '{"kind":"A"} trailing junk', '[1, 2]', '[[1]]', '[[{"kind":"A"}], {"kind":"B"}]']) {
    const error = refused(garbage);
    assert.ok(error.message.includes(notResourcesMessage), `${JSON.stringify(garbage)}: ${error.message}`);
  }
  assert.equal(notResourcesMessage, 'input must be resource, list of resources, or list of list of resources');
});

test('an object without kind is refused', () => {
  for (const text of ['{"apiVersion":"v1","metadata":{"name":"a"}}', '[{"kind":"ConfigMap"},{"apiVersion":"v1"}]', '{"kind":""}', '{"kind":7}']) {
    const error = refused(text);
    assert.match(error.message, /has no kind/, text);
  }
});

test("empty output and empty lists parse to no stages (the refusal, after List flattening, is toManifests' rule: test/stages/manifests.test.ts)", () => {
  for (const text of ['', '   \n', '[]', '[[]]', '[null]', 'null', '---\n', '{"apiVersion":"v1","kind":"List","items":[]}']) {
    assert.deepEqual(parse(text), [], JSON.stringify(text));
  }
});
