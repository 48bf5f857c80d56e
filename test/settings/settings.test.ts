// The settings module (src/settings/): one table of every setting jetway reads from its environment, each parsed and
// refused in one line naming it, each process reading only its own, and the README's admin table matching the table.

import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { defaultSocket, readSetting, readSettings, SettingError, settingsTable } from '../../src/settings/settings.js';
import { repoPath } from '../support/paths.js';

/** The README's admin table rows, as written. */
function readmeRows(): string[] {
  const readme = readFileSync(repoPath('README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Admin settings'));
  const body = section.slice(0, section.indexOf('\n## ', 3));
  return body.split('\n').filter((line) => line.startsWith('| `'));
}

test("README's admin table lists every setting of the table, in order, with who reads it, its default and its doc", () => {
  const expected = settingsTable.map((s) => `| \`${s.name}\` | ${s.readBy} | ${s.default} | ${s.doc} |`);
  assert.deepEqual(readmeRows(), expected);
});

test('every variable jetway reads is in the table once', () => {
  const names = settingsTable.map((s) => s.name);
  assert.equal(new Set(names).size, names.length);
  assert.equal(new Set(settingsTable.map((s) => s.key)).size, names.length);
  for (const name of names) assert.match(name, /^(JETWAY_[A-Z_]+|DOCKER_CONFIG)$/);
});

test('unset settings take their documented defaults', () => {
  const settings = readSettings({}, 'generate');
  assert.deepEqual(settings.allow, []);
  assert.deepEqual(settings.verifyKeys, []);
  assert.equal(settings.maxMemoryMib, undefined);
  assert.equal(settings.maxTimeoutMs, 50_000, 'no run holds a worker forever');
  assert.equal(settings.lookupCeiling, undefined);
  assert.equal(settings.cacheMaxBytes, 1024 * 1024 * 1024);
  assert.equal(settings.mutableTtlMs, 5 * 60_000);
  assert.equal(settings.go, 'go');
  assert.equal(settings.socket, undefined);
  assert.equal(settings.maxInputBytes, 16 * 1024 * 1024);
  assert.equal(settings.maxInputListIndex, 10_000);
  assert.equal(defaultSocket, '/var/run/jetway/jetway.sock');
});

test('set settings are parsed: lists, durations, numbers, matchers, key files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'jetway-settings-'));
  const pem = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' });
  writeFileSync(join(dir, 'a.pem'), pem);
  writeFileSync(join(dir, 'kubeconfig'), 'apiVersion: v1\n');
  const settings = readSettings(
    {
      JETWAY_MODULE_ALLOW: 'oci://ghcr.io/org/*, https://flights.example/*\n',
      JETWAY_VERIFY_KEYS: join(dir, 'a.pem'),
      JETWAY_MAX_MEMORY_MIB: '512',
      JETWAY_MAX_TIMEOUT: '1m30s',
      JETWAY_LOOKUP_CEILING: 'Secret:db,shared/ConfigMap',
      JETWAY_CACHE_DIR: '/var/cache/jetway',
      DOCKER_CONFIG: '/etc/docker-auth',
      JETWAY_MAX_INPUT_BYTES: '1024',
    },
    'generate',
  );
  assert.deepEqual(settings.allow, ['oci://ghcr.io/org/*', 'https://flights.example/*']);
  assert.deepEqual(settings.verifyKeys, [pem]);
  assert.equal(settings.maxMemoryMib, 512);
  assert.equal(settings.maxTimeoutMs, 90_000);
  assert.deepEqual(settings.lookupCeiling, ['Secret:db', 'shared/ConfigMap']);
  assert.equal(settings.cacheDir, '/var/cache/jetway');
  // serve's alone: the plugin container holds no cluster credentials (issue 14)
  assert.equal(readSettings({ JETWAY_KUBECONFIG: join(dir, 'kubeconfig') }, 'serve').kubeconfig, join(dir, 'kubeconfig'));
  assert.equal(readSettings({ JETWAY_KUBECONFIG: join(dir, 'kubeconfig') }, 'generate').kubeconfig, undefined);
  assert.equal(settings.dockerConfig, '/etc/docker-auth');
  assert.equal(settings.maxInputBytes, 1024);
});

test('a bad value is refused in one line naming the variable, the value and what is expected', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['JETWAY_MAX_MEMORY_MIB', 'lots', /a whole number of MiB from 1 to 4096/],
    ['JETWAY_MAX_MEMORY_MIB', '5000', /a whole number of MiB from 1 to 4096/],
    ['JETWAY_MAX_TIMEOUT', '-1s', /a positive Go duration/],
    ['JETWAY_MUTABLE_TTL', 'soon', /a positive Go duration/],
    ['JETWAY_CACHE_MAX_BYTES', '1e9', /a positive whole number/],
    ['JETWAY_MAX_INPUT_BYTES', '0', /a positive whole number/],
    ['JETWAY_MAX_INPUT_LIST_INDEX', '-1', /a positive whole number/],
    ['JETWAY_LOOKUP_CEILING', 'a/b/c', /matchers \[namespace\/\]GroupKind\[:name\]/],
    ['JETWAY_VERIFY_KEYS', '/nonexistent/key.pem', /readable PEM public key files/],
    ['JETWAY_VERIFY_KEYS', repoPath('README.md'), /this file holds no PEM key/],
    ['JETWAY_KUBECONFIG', '/nonexistent/kubeconfig', /a readable file \(ENOENT\)/],
  ];
  for (const [name, value, expected] of cases) {
    assert.throws(
      () => readSettings({ [name]: value }, settingsTable.find((spec) => spec.name === name)?.readBy === 'serve' ? 'serve' : 'generate'),
      (error: unknown) => {
        assert.ok(error instanceof SettingError);
        assert.equal(error.setting, name);
        assert.equal(error.message.split('\n').length, 1);
        assert.ok(error.message.startsWith(`admin setting ${name}: got ${JSON.stringify(value.split(',')[0])}`), error.message);
        assert.match(error.message, expected);
        return true;
      },
      `${name}=${value}`,
    );
  }
});

test("each process reads only its own settings: serve is not stopped by generate's, and reads the shared ones", () => {
  assert.doesNotThrow(() => readSettings({ JETWAY_MAX_MEMORY_MIB: 'lots', JETWAY_VERIFY_KEYS: '/nonexistent' }, 'serve'));
  assert.throws(() => readSettings({ JETWAY_CACHE_MAX_BYTES: 'lots' }, 'serve'), /admin setting JETWAY_CACHE_MAX_BYTES/);
  assert.equal(readSettings({ JETWAY_SOCKET: '/run/s.sock', JETWAY_CACHE_DIR: '/c' }, 'serve').cacheDir, '/c');
  assert.equal(readSetting({ JETWAY_SOCKET: '/run/s.sock', JETWAY_MAX_MEMORY_MIB: 'lots' }, 'socket'), '/run/s.sock');
});
