// Keys an Application author chooses never name a JavaScript prototype: the check every untrusted key goes through.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePluginParameters } from '../../src/argocd/parameters.js';
import { checkKey } from '../../src/params/keys.js';

test('__proto__, constructor and prototype are refused naming where they came from; anything else passes through', () => {
  for (const key of ['__proto__', 'constructor', 'prototype']) {
    assert.throws(() => checkKey('input.a', key), new RegExp(`^ParameterError: parameter input\\.a: got "${key}", expected a name other than`));
  }
  for (const key of ['toString', 'hasOwnProperty', '__proto', 'Constructor', 'proto']) assert.equal(checkKey('input.a', key), key);
});

test('parameter names and refs names go through it; an inherited name is an unknown parameter, not a crash', () => {
  const wasm = { name: 'wasm', string: 'https://h.example/{{ .t }}/f.wasm' };
  assert.throws(() => parsePluginParameters([wasm, { name: 'constructor', string: 'x' }]), /parameter constructor: got "constructor", expected a name other than/);
  assert.throws(() => parsePluginParameters([wasm, { name: 'toString', string: 'x' }]), /parameter toString: got .*, expected one of the jetway parameters/);
  assert.throws(() => parsePluginParameters([wasm, { name: 'refs', map: { __proto__x: '{secret: s, key: k}', prototype: '{secret: s, key: k}' } }]), /parameter refs\.prototype: got "prototype"/);
  assert.throws(() => parsePluginParameters([wasm, { name: 'refs', map: { t: '{secret: "../x", key: k}' } }]), /parameter refs\.t\.secret: got "\.\.\/x", expected a Secret name/);
  assert.throws(() => parsePluginParameters([wasm, { name: 'refs', map: { t: '{secret: s, key: k, namespace: "a/b"}' } }]), /parameter refs\.t\.namespace: got "a\/b"/);
});
