// Admin settings fail like everything else (issue 11 item 9): a bad JETWAY_* value on the sidecar ends generate with one
// line naming the variable, as Argo CD shows it in the ComparisonError, never a stack trace; errors name real variables.

import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startApiServer, type FakeApiServer } from '../support/apiserver.js';
import { jetwayLine, startSidecar, tenantApp, type Sidecar } from '../support/sidecar.js';
import { watModule } from '../support/wat.js';

let api: FakeApiServer;
let sidecar: Sidecar;

before(async () => {
  api = await startApiServer({ namespaces: ['team-a'] });
  sidecar = await startSidecar({ 'yaml/flight.wasm': await watModule('yaml-stages') }, { JETWAY_KUBECONFIG: api.kubeconfig() });
});

after(async () => {
  await sidecar.close();
  await api.close();
});

const wasm = [{ name: 'wasm', string: 'flight.wasm' }];

/** The ComparisonError's jetway part must be exactly one line: no stack frames, no second message. */
function assertOneLine(error: unknown, pattern: RegExp): true {
  const line = jetwayLine(error);
  assert.equal(line.split('\n').length, 1, `one line, got:\n${line}`);
  assert.doesNotMatch(line, /\bat .*\.js:\d+/);
  assert.match(line, pattern);
  return true;
}

for (const [setting, value, expected] of [
  ['JETWAY_MAX_MEMORY_MIB', 'lots', 'a whole number of MiB from 1 to 4096'],
  ['JETWAY_MAX_TIMEOUT', '5 minutes', 'a positive Go duration'],
] as const) {
  test(`a bad ${setting} on the sidecar ends every generate with one line naming it, not a stack trace`, async () => {
    const repo = sidecar.withEnv({ [setting]: value });
    await assert.rejects(repo.generate(tenantApp('any-app', 'yaml', wasm)), (error: unknown) =>
      assertOneLine(error, new RegExp(`^jetway: generate for Application any-app failed: admin setting ${setting}: got "${value}", expected ${expected}`)),
    );
  });
}

test('an unsigned module under JETWAY_VERIFY_KEYS is refused naming JETWAY_VERIFY_KEYS, the variable that exists', async () => {
  const keyFile = join(sidecar.source, '..', 'verify.pem');
  writeFileSync(keyFile, generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }));
  const repo = sidecar.withEnv({ JETWAY_VERIFY_KEYS: keyFile });
  await assert.rejects(repo.generate(tenantApp('unsigned', 'yaml', wasm)), (error: unknown) => {
    assertOneLine(error, /^jetway: generate for Application unsigned failed: module flight\.wasm is unsigned, but JETWAY_VERIFY_KEYS requires a signature/);
    assert.doesNotMatch(jetwayLine(error), /JETWAY_MODULE_VERIFY/);
    return true;
  });
});
