// The validation every way of asking for a run shares (CLI flags, Argo CD parameters): each error names the setting,
// the value given and what is expected, and each bound holds at its edge.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ParameterError, defaultTimeout, parseBoolean, parseChecksum, parseMatchers, parseMaxMemoryMib, parseName, parseTimeout } from '../../src/params/flight-params.js';

/** Asserts that `run` throws a ParameterError with exactly `message`. */
function refuses(run: () => unknown, message: string): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof ParameterError);
    assert.equal(error.message, message);
    return true;
  });
}

test('timeout: a Go duration; negative means none; zero and other text are refused', () => {
  assert.equal(parseTimeout('timeout', defaultTimeout), 10_000, "yoke's default is 10s");
  assert.equal(parseTimeout('timeout', '1m30s'), 90_000);
  assert.equal(parseTimeout('timeout', '-1s'), undefined);
  refuses(() => parseTimeout('timeout', '0'), 'parameter timeout: got "0", expected a positive duration (or negative for none); 0 would fail every run');
  refuses(() => parseTimeout('--timeout', '30'), 'parameter --timeout: got "30", expected a Go duration such as "30s", "1m30s" or "500ms" (negative for none)');
});

test('maxMemoryMib: whole MiB from 1 to 4096; empty or 0 means no cap', () => {
  assert.equal(parseMaxMemoryMib('maxMemoryMib', ''), undefined);
  assert.equal(parseMaxMemoryMib('maxMemoryMib', '0'), undefined);
  assert.equal(parseMaxMemoryMib('maxMemoryMib', '1'), 1);
  assert.equal(parseMaxMemoryMib('maxMemoryMib', '4096'), 4096);
  const expected = 'a whole number of MiB from 1 to 4096 (0 for no cap)';
  for (const value of ['4097', '-1', '1.5', '64Mi', ' 64']) refuses(() => parseMaxMemoryMib('maxMemoryMib', value), `parameter maxMemoryMib: got ${JSON.stringify(value)}, expected ${expected}`);
});

test('booleans: "true", "false" or empty, as Argo CD passes them', () => {
  assert.equal(parseBoolean('insecure', 'true'), true);
  assert.equal(parseBoolean('insecure', 'false'), false);
  assert.equal(parseBoolean('insecure', ''), false);
  refuses(() => parseBoolean('insecure', 'True'), 'parameter insecure: got "True", expected "true" or "false"');
  refuses(() => parseBoolean('insecure', 'yes'), 'parameter insecure: got "yes", expected "true" or "false"');
});

test('checksum: 64 hex characters, with or without sha256:, compared in lower case', () => {
  const hex = 'ab'.repeat(32);
  assert.equal(parseChecksum('checksum', ''), undefined);
  assert.equal(parseChecksum('checksum', hex), hex);
  assert.equal(parseChecksum('checksum', `sha256:${hex.toUpperCase()}`), hex);
  const expected = 'a sha256 hex digest of the decompressed module (64 hex characters)';
  for (const value of [hex.slice(1), `${hex}0`, `sha512:${hex}`, 'zz'.repeat(32)])
    refuses(() => parseChecksum('checksum', value), `parameter checksum: got ${JSON.stringify(value)}, expected ${expected}`);
});

test('names: lower-case DNS labels of at most 63 characters', () => {
  assert.equal(parseName('release', 'a'), 'a');
  assert.equal(parseName('release', 'my-app-2'), 'my-app-2');
  assert.equal(parseName('release', 'a'.repeat(63)), 'a'.repeat(63));
  const expected = 'a lower-case DNS label (a-z, 0-9, "-", at most 63 characters)';
  for (const value of ['', 'a'.repeat(64), 'My-App', '-app', 'app-', 'my_app', 'my.app'])
    refuses(() => parseName('release', value), `parameter release: got ${JSON.stringify(value)}, expected ${expected}`);
});

test('resource matchers: each checked, the bad one named with what is wrong with it', () => {
  assert.deepEqual(parseMatchers('resourceMatchers', ['Secret', 'default/Deployment.apps:web']), ['Secret', 'default/Deployment.apps:web']);
  assert.deepEqual(parseMatchers('resourceMatchers', []), []);
  assert.throws(
    () => parseMatchers('resourceMatchers', ['Secret', 'a/b/c']),
    (error: unknown) =>
      error instanceof ParameterError &&
      error.message.startsWith('parameter resourceMatchers: got "a/b/c", expected a matcher [namespace/]GroupKind[:name] (e.g. "Secret", "default/Deployment.apps:web"); this one '),
  );
});
