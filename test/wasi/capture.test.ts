// The host-side capture of a flight's stdout and stderr.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Capture, OutputLimitExceeded } from '../../src/wasi/shim.js';

test('one-byte writes are kept as bytes, in order', () => {
  const capture = new Capture('stdout', 10_000, 10_000);
  for (let i = 0; i < 5000; i++) capture.write(Uint8Array.of(i % 256));
  const bytes = capture.bytes();
  assert.equal(bytes.length, 5000);
  assert.equal(bytes[4999], 4999 % 256);
});

test('stdout stops the flight past its bound; stderr keeps its head and stops past the output bound', () => {
  const stdout = new Capture('stdout', 4, 4);
  stdout.write(Uint8Array.of(1, 2, 3, 4));
  assert.throws(
    () => stdout.write(Uint8Array.of(5)),
    (error: unknown) => error instanceof OutputLimitExceeded && /more than 4 bytes to stdout \(JETWAY_MAX_OUTPUT_BYTES\)/.test(error.message),
  );
  const stderr = new Capture('stderr', 2, 6);
  stderr.write(Uint8Array.of(1, 2, 3));
  stderr.write(Uint8Array.of(4, 5, 6));
  assert.deepEqual([...stderr.bytes()], [1, 2]);
  assert.throws(() => stderr.write(Uint8Array.of(7)), /more than 6 bytes to stderr/);
});
