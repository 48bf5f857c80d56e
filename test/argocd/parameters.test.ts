// Plugin parameters as Argo CD sends them (ARGOCD_APP_PARAMETERS): yokecd's names, each value checked, mistakes named.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePluginParameters } from '../../src/argocd/parameters.js';

test('a refs entry may be written as YAML or JSON, namespace optional', () => {
  const params = parsePluginParameters([
    { name: 'wasm', string: 'https://example.com/{{ .token }}/flight.wasm' },
    { name: 'refs', map: { token: '{secret: flight-source, key: token}', other: '{"secret":"s","key":"k","namespace":"ns"}' } },
  ]);
  assert.deepEqual(params.refs, { token: { secret: 'flight-source', key: 'token', namespace: '' }, other: { secret: 's', key: 'k', namespace: 'ns' } });
});

test('a refs entry that is not an object with secret and key names the entry and the expected shape', () => {
  for (const raw of ['flight-source', '{secret: flight-source}', '{secret: [unclosed']) {
    assert.throws(() => parsePluginParameters([{ name: 'wasm', string: 'https://example.com/x.wasm' }, { name: 'refs', map: { token: raw } }]), (error: Error) => {
      assert.match(error.message, /refs\.token/);
      assert.match(error.message, /YAML\/JSON object \{"secret": \.\.\., "key": \.\.\./);
      return true;
    });
  }
});
