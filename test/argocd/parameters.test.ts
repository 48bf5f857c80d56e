// Plugin parameters as Argo CD sends them (ARGOCD_APP_PARAMETERS): yokecd's names, each value checked, mistakes named.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePluginParameters } from '../../src/argocd/parameters.js';
import { readPluginConfig } from '../support/cmp-server.js';
import { repoPath } from '../support/paths.js';

test('a refs entry may be written as YAML or JSON, namespace optional', () => {
  const params = parsePluginParameters([
    { name: 'wasm', string: 'https://example.com/{{ .token }}/flight.wasm' },
    { name: 'refs', map: { token: '{secret: flight-source, key: token}', other: '{"secret":"s","key":"k","namespace":"ns"}' } },
  ]);
  assert.deepEqual(
    params.secretRefs,
    new Map([
      ['token', { secret: 'flight-source', key: 'token', namespace: '' }],
      ['other', { secret: 's', key: 'k', namespace: 'ns' }],
    ]),
  );
});

test('a refs entry that is not an object with secret and key names the entry and the expected shape', () => {
  for (const raw of ['flight-source', '{secret: flight-source}', '{secret: [unclosed']) {
    assert.throws(
      () =>
        parsePluginParameters([
          { name: 'wasm', string: 'https://example.com/x.wasm' },
          { name: 'refs', map: { token: raw } },
        ]),
      (error: Error) => {
        assert.match(error.message, /refs\.token/);
        assert.match(error.message, /YAML\/JSON object \{"secret": \.\.\., "key": \.\.\./);
        return true;
      },
    );
  }
});

test('a parameter given twice keeps its first entry, as yokecd does, and both entries are still checked', () => {
  // yokecd (cmd/yokecd/internal/plugin/config.go) reads each parameter with internal.Find, the first match
  const params = parsePluginParameters([
    { name: 'wasm', string: 'flight.wasm' },
    { name: 'input', string: '{"replicas": 1}' },
    { name: 'input', map: { replicas: '3' } },
    { name: 'timeout', string: '20s' },
    { name: 'timeout', string: '5s' },
  ]);
  assert.deepEqual(params.input, { text: '{"replicas": 1}' });
  assert.equal(params.timeoutMs, 20_000);
  assert.throws(
    () =>
      parsePluginParameters([
        { name: 'wasm', string: 'flight.wasm' },
        { name: 'inputFiles', array: ['a.yaml'] },
        { name: 'inputFiles', string: 'b.yaml' },
      ]),
    /inputFiles/,
  );
});

test('keepInput and allowEmpty are "true" or "false", validated, and announced in plugin.yaml', async () => {
  const base = [{ name: 'wasm', string: 'flight.wasm' }];
  const parsed = parsePluginParameters([...base, { name: 'keepInput', string: 'true' }, { name: 'allowEmpty', string: 'true' }]);
  assert.deepEqual([parsed.keepInput, parsed.allowEmpty], [true, true]);
  assert.deepEqual([parsePluginParameters(base).keepInput, parsePluginParameters(base).allowEmpty], [false, false]);
  assert.throws(() => parsePluginParameters([...base, { name: 'allowEmpty', string: 'yes' }]), /parameter allowEmpty: got "yes", expected "true" or "false"/);
  assert.throws(() => parsePluginParameters([...base, { name: 'keepInput', array: ['true'] }]), /parameter keepInput: got .*true.*, expected a string parameter/);
  const announced = (await readPluginConfig(repoPath('plugin.yaml'))).staticParameters.map((p) => p['name']);
  assert.ok(announced.includes('keepInput') && announced.includes('allowEmpty'));
});
