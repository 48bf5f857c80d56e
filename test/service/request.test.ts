// The run request as jetway serve accepts it: every field checked, each refusal naming the field.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deadlineUnder } from '../../src/flight/runner.js';
import type { RunRequestBody } from '../../src/service/protocol.js';
import { BadRequest, specOf } from '../../src/service/request.js';

const valid: RunRequestBody = {
  digest: 'a'.repeat(64),
  input: Buffer.from('{"x":1}').toString('base64'),
  release: 'team-a',
  namespace: 'team-a',
  args: ['--flag'],
  env: { K: 'v' },
  timeoutMs: 10_000,
  maxMemoryMib: null,
  clusterAccess: false,
  resourceMatchers: [],
  lookupCeiling: null,
};

test('a valid request becomes the run spec, input decoded and nulls as undefined', () => {
  const spec = specOf(valid);
  assert.equal(Buffer.from(spec.input).toString(), '{"x":1}');
  assert.equal(spec.digest, valid.digest);
  assert.equal(spec.timeoutMs, 10_000);
  assert.equal(spec.maxMemoryMib, undefined);
  assert.equal(spec.lookupCeiling, undefined);
});

const refusals: Array<[string, unknown, RegExp]> = [
  ['not an object', [], /must be a JSON object/],
  ['a digest that is not sha256 hex', { ...valid, digest: '../etc' }, /digest must be a sha256 hex string/],
  ['an empty release', { ...valid, release: '' }, /release must not be empty/],
  ['a release that is not a string', { ...valid, release: 7 }, /release, namespace and input must be strings/],
  ['args holding a number', { ...valid, args: [1] }, /args, resourceMatchers and lookupCeiling must be string lists/],
  ['env holding an object', { ...valid, env: { K: {} } }, /env must map strings to strings/],
  ['env as a list', { ...valid, env: ['K=v'] }, /env must map strings to strings/],
  ['a timeout of zero', { ...valid, timeoutMs: 0 }, /timeoutMs must be a positive/],
  ['a timeout as a string', { ...valid, timeoutMs: '10s' }, /timeoutMs must be a positive/],
  ['a timeout longer than a timer can wait', { ...valid, timeoutMs: 2 ** 31 }, /timeoutMs must be a positive/],
  ['a memory cap past 4096', { ...valid, maxMemoryMib: 4097 }, /maxMemoryMib must be a whole number from 1 to 4096/],
  ['clusterAccess as a string', { ...valid, clusterAccess: 'true' }, /clusterAccess must be a boolean/],
];
for (const [what, raw, message] of refusals) {
  test(`a request with ${what} is refused`, () => {
    assert.throws(
      () => specOf(raw),
      (e: Error) => e instanceof BadRequest && message.test(e.message),
    );
  });
}

test("a run's deadline is its own timeout under the ceiling, and the ceiling when it asks for none or more", () => {
  assert.deepEqual(deadlineUnder(2_000, 50_000), { timeoutMs: 2_000, clamped: false });
  assert.deepEqual(deadlineUnder(50_000, 50_000), { timeoutMs: 50_000, clamped: false });
  assert.deepEqual(deadlineUnder(undefined, 50_000), { timeoutMs: 50_000, clamped: true });
  assert.deepEqual(deadlineUnder(120_000, 50_000), { timeoutMs: 50_000, clamped: true });
});
