// Module failures carry a kind a caller can decide on, the one line a user reads, and the underlying cause.

import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { checkBuildAllowed } from '../../src/module/build.js';
import { storeModule } from '../../src/module/cache.js';
import { compileFlight } from '../../src/module/compile.js';
import { registryCredentials } from '../../src/module/docker-config.js';
import { ModuleError, type ModuleFailure } from '../../src/module/errors.js';
import { readRepoModule } from '../../src/module/file.js';
import { decompress } from '../../src/module/gzip.js';
import { fetchModule } from '../../src/module/http.js';
import { loadModule } from '../../src/module/load.js';
import { parseOciRef } from '../../src/module/oci-ref.js';
import { readSections } from '../../src/module/sections.js';
import { checkSignature, parseKeys } from '../../src/module/signature.js';
import { gzip, tinyModule } from '../support/tiny-module.js';

/** Asserts that `run` fails with a ModuleError of `kind` whose message matches `message`. */
async function failsWith(run: () => Promise<unknown>, kind: ModuleFailure, message: RegExp): Promise<ModuleError> {
  try {
    await run();
  } catch (error) {
    assert.ok(error instanceof ModuleError, `expected a ModuleError, got ${String(error)}`);
    assert.equal(error.kind, kind);
    assert.match(error.message, message);
    assert.doesNotMatch(error.message, /\n/, 'one line');
    return error;
  }
  assert.fail(`expected a ${kind} ModuleError`);
}

/** A loopback URL on which nothing listens any more. */
async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/flight.wasm`;
}

const fetchOptions = { signal: undefined, maxBytes: 1 << 20, checkTarget: () => {} };

test('a download that reaches no server is unreachable, with the transport error as its cause', async () => {
  const url = await closedPortUrl();
  const error = await failsWith(() => fetchModule(url, fetchOptions), 'unreachable', /^cannot download module http:\/\/127\.0\.0\.1:\d+\/flight\.wasm: /);
  assert.ok(error.cause instanceof Error, 'the cause is kept, not only flattened into the message');
});

test('a URL the server does not have is not-found; a server error is unreachable', async () => {
  const server = createServer((req, res) => {
    res.statusCode = req.url === '/gone.wasm' ? 404 : 503;
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await failsWith(() => fetchModule(`${base}/gone.wasm`, fetchOptions), 'not-found', /answered 404 Not Found \(check the URL\)$/);
    await failsWith(() => fetchModule(`${base}/busy.wasm`, fetchOptions), 'unreachable', /answered 503 Service Unavailable/);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

test('a missing repository file is not-found; a bound passed is too-large', async () => {
  const repo = await mkdtemp(join(tmpdir(), 'jetway-module-errors-'));
  try {
    await failsWith(() => readRepoModule('missing.wasm', repo, repo, 1 << 20), 'not-found', /missing\.wasm/);
    await writeFile(join(repo, 'big.wasm'), new Uint8Array(64));
    await failsWith(() => readRepoModule('big.wasm', repo, repo, 16), 'too-large', /more than 16 bytes \(JETWAY_MAX_MODULE_BYTES\)/);
  } finally {
    await rm(repo, { recursive: true, force: true });
  }
});

test('bytes that are not a usable module are invalid', async () => {
  await failsWith(
    async () => decompress(new Uint8Array([1, 2, 3]), 'm.wasm.gz', true, 1 << 20),
    'invalid',
    /^module m\.wasm\.gz is not valid gzip: .*\(re-create it with gzip, or drop the \.gz suffix\)$/,
  );
  await failsWith(async () => decompress(gzip(new Uint8Array(4096)), 'bomb.wasm.gz', true, 1024), 'too-large', /bomb\.wasm\.gz decompresses to more than 1024 bytes/);
  await failsWith(() => compileFlight(new TextEncoder().encode('not wasm'), undefined), 'invalid', /is not WebAssembly/);
  const broken = tinyModule('x').slice(0, 12);
  await failsWith(() => compileFlight(broken, undefined), 'invalid', /^the module does not compile: /);
});

test('what a check refuses is refused: the allow-list (also on a redirect), a path out of the repository, a checksum, a missing signature, a forbidden build', async () => {
  const repo = await mkdtemp(join(tmpdir(), 'jetway-module-errors-'));
  const server = createServer((_req, res) => {
    res.statusCode = 302;
    res.setHeader('location', '/elsewhere.wasm');
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await writeFile(join(repo, 'flight.wasm'), tinyModule('refused'));
    await failsWith(() => loadModule('flight.wasm', { baseDir: repo, allow: ['oci://registry.example/*'] }), 'refused', /not in the allow-list \(JETWAY_MODULE_ALLOW\)/);
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/flight.wasm`;
    const redirected = await failsWith(
      () => loadModule(url, { baseDir: repo, allow: [url] }),
      'refused',
      /^cannot download module .*: it redirects to .*elsewhere\.wasm, which is not in the allow-list/,
    );
    assert.ok(redirected.cause instanceof ModuleError, 'the refusal on the way is the cause');
    await failsWith(() => readRepoModule('../outside.wasm', repo, repo, 1 << 20), 'refused', /escapes the repository/);
    await failsWith(() => loadModule('flight.wasm', { baseDir: repo, checksum: 'ab'.repeat(32) }), 'refused', /\(checksum\)$/);
    const key = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
    await failsWith(() => loadModule('flight.wasm', { baseDir: repo, verify: [key] }), 'refused', /is unsigned, but JETWAY_VERIFY_KEYS requires a signature/);
    await failsWith(async () => checkBuildAllowed({ build: 'off', allow: [], verifyKeys: [] }), 'refused', /JETWAY_BUILD=off/);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(repo, { recursive: true, force: true });
  }
});

test('a reference that names no module is invalid; registry credentials that cannot be read are unauthorized, with their cause', async () => {
  await failsWith(async () => parseOciRef('oci://registry.example/Flights:v1'), 'invalid', /is not a valid OCI reference/);
  const dir = await mkdtemp(join(tmpdir(), 'jetway-module-errors-'));
  try {
    await writeFile(join(dir, 'config.json'), '{ not json');
    const error = await failsWith(() => registryCredentials(dir, 'registry.example'), 'unauthorized', /config\.json is not valid JSON: .*\(fix or remove it\)$/);
    assert.ok(error.cause instanceof SyntaxError);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('what the module cache cannot keep is a cache failure naming the cache, and a load goes on without the cache', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'jetway-module-errors-'));
  try {
    const module = tinyModule('cache');
    await failsWith(() => storeModule({ dir, maxBytes: 10 }, module, 'ab'.repeat(32)), 'cache', /is larger than the whole module cache \(JETWAY_CACHE_MAX_BYTES 10\)/);
    // a cache directory that is a file: the filesystem's error is the cause (EACCES would not stop root)
    const notADirectory = join(dir, 'cache');
    await writeFile(notADirectory, '');
    const error = await failsWith(() => storeModule({ dir: notADirectory, maxBytes: 1 << 20 }, module, 'ab'.repeat(32)), 'cache', /^cannot write to the module cache .*cache: ENOTDIR/);
    assert.equal((error.cause as NodeJS.ErrnoException).code, 'ENOTDIR');
    await writeFile(join(dir, 'flight.wasm.gz'), gzip(module));
    const warnings: string[] = [];
    const loaded = await loadModule('flight.wasm.gz', { baseDir: dir, cacheDir: notADirectory, warn: (w) => warnings.push(w) });
    assert.deepEqual(loaded.bytes, module);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /^module not cached, continuing without the cache: cannot write to the module cache .*cache: ENOTDIR/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('verification keys jetway cannot check with are refused, with their cause; malformed sections are invalid', async () => {
  const notPem = await failsWith(async () => parseKeys(['not a pem']), 'refused', /^verification key 1 is not a PEM public key: .* \(fix JETWAY_VERIFY_KEYS\)$/);
  assert.ok(notPem.cause instanceof Error);
  const x25519 = generateKeyPairSync('x25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
  await failsWith(async () => parseKeys([x25519]), 'refused', /^verification key 1 is a x25519 key; yoke signs with RSA, ECDSA or Ed25519 \(fix JETWAY_VERIFY_KEYS\)$/);
  const header = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  await failsWith(async () => readSections(Uint8Array.from([...header, 0x01, 0x0a])), 'invalid', /^section 1 at byte 8 runs past the end of the module$/);
  // a custom section whose name length is cut off: found while looking for the signature
  const keys = parseKeys([generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString()]);
  const error = await failsWith(
    async () => checkSignature('m.wasm', Uint8Array.from([...header, 0x00, 0x02, 0xff, 0xff]), keys),
    'invalid',
    /^module m\.wasm is not a well-formed wasm module, so its signature cannot be checked: malformed LEB128 at byte 10$/,
  );
  assert.ok(error.cause instanceof ModuleError);
});
