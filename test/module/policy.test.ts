// Admin and user policies on modules: checksum (given or inferred), the allow-list, and yoke signatures.

import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isAllowed } from '../../src/module/allow-list.js';
import { checksumFromRef } from '../../src/module/checksum.js';
import { loadModule } from '../../src/module/load.js';
import { keyFingerprint } from '../../src/module/signature.js';
import { signModule } from '../support/sign.js';
import { gzip, tinyModule } from '../support/tiny-module.js';

const hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const pem = (key: KeyObject): string => key.export({ type: 'spki', format: 'pem' }).toString();

describe('checksum', () => {
  it("infers it from names and tags like yoke's ChecksumFromPath", () => {
    const sum = 'sumchecksum';
    for (const ref of [
      `oci://registry/module:sha256_${sum}`,
      `file://path/to/module_sha256_${sum}`,
      `file://path/to/sha256_${sum}.wasm.gz`,
      `./path/to/sha256_${sum}`,
      `https://domain.com/some/module_sha256_${sum}`,
      `https://domain.com/some/sha256_${sum}.wasm.gz`,
    ]) {
      assert.equal(checksumFromRef(ref), sum, ref);
    }
    for (const ref of ['oci://registry/module:v1.2.3', 'https://domain.com/sha256/checksum', './local/fs/sha1_sha1.wasm.gz', `oci://r/m@sha256:${'a'.repeat(64)}`]) {
      assert.equal(checksumFromRef(ref), undefined, ref);
    }
  });

  describe('on load', () => {
    let dir: string;
    const module = tinyModule('checksum');
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'jetway-sum-'));
      await writeFile(join(dir, 'flight.wasm.gz'), gzip(module));
      await writeFile(join(dir, `flight_sha256_${hex(module)}.wasm.gz`), gzip(module));
      await writeFile(join(dir, `flight_sha256_${'b'.repeat(64)}.wasm`), module);
    });
    after(() => rm(dir, { recursive: true, force: true }));

    it('compares the decompressed module with the checksum parameter', async () => {
      assert.equal((await loadModule('flight.wasm.gz', { baseDir: dir, checksum: hex(module) })).digest, hex(module));
      await assert.rejects(loadModule('flight.wasm.gz', { baseDir: dir, checksum: 'a'.repeat(64) }), {
        message: `module flight.wasm.gz has sha256 ${hex(module)}, expected ${'a'.repeat(64)} (checksum)`,
      });
    });

    it('uses the checksum in the file name when no parameter is given', async () => {
      await loadModule(`flight_sha256_${hex(module)}.wasm.gz`, { baseDir: dir });
      const ref = `flight_sha256_${'b'.repeat(64)}.wasm`;
      await assert.rejects(loadModule(ref, { baseDir: dir }), { message: `module ${ref} has sha256 ${hex(module)}, expected ${'b'.repeat(64)} (checksum)` });
    });
  });
});

describe('allow-list', () => {
  it("matches like yoke's Globs.Match (Go path.Match)", () => {
    const cases: [string[], string[], string[]][] = [
      [[], ['oci://ghcr.io/example/test', 'banana'], []],
      [['oci://gar.io/example/test', 'http://domain.com/vetted/ok'], ['http://domain.com/vetted/ok'], ['oci://domain.com/vetted/ok', 'oci://ghcr.io/yokecd/yokes']],
      [['oci://ghcr.io/yokecd/*'], ['oci://ghcr.io/yokecd/examples'], ['https://ghcr.io/yokecd/examples', 'oci://ghcr.io/yokecd/a/b']],
      [['oci://ghcr.io/repo/mod:2.*'], ['oci://ghcr.io/repo/mod:2.1', 'oci://ghcr.io/repo/mod:2.1.4'], ['oci://ghcr.io/repo/mod', 'oci://ghcr.io/repo/mod:1.0.0']],
      [['http://example.com:*/*'], ['http://example.com:8080/foo'], ['http://other.net:8080/foo']],
      [
        ['flights/[a-c]?.wasm', 'x\\*'],
        ['flights/b1.wasm', 'x*'],
        ['flights/d1.wasm', 'xy'],
      ],
      [['bad[glob'], [], ['bad[glob', 'badg']],
    ];
    for (const [globs, yes, no] of cases) {
      for (const value of yes) assert.equal(isAllowed(globs, value), true, `${globs} should match ${value}`);
      for (const value of no) assert.equal(isAllowed(globs, value), false, `${globs} should not match ${value}`);
    }
  });

  it('refuses a module outside the list before touching the network', async () => {
    const ref = 'https://evil.example/x.wasm';
    await assert.rejects(loadModule(ref, { baseDir: tmpdir(), allow: ['oci://ghcr.io/yokecd/*'] }), {
      message: `module ${ref} is not in the allow-list (JETWAY_MODULE_ALLOW): ask an admin to add a glob matching it`,
    });
  });

  it('matches repository paths as written', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'jetway-allow-'));
    try {
      await writeFile(join(dir, 'flight.wasm'), tinyModule('allow'));
      await loadModule('flight.wasm', { baseDir: dir, allow: ['oci://ghcr.io/*', '*.wasm'] });
      await assert.rejects(loadModule('flight.wasm', { baseDir: dir, allow: ['oci://ghcr.io/*'] }), /is not in the allow-list/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('signatures', () => {
  let dir: string;
  const module = tinyModule('signed');
  const ed = generateKeyPairSync('ed25519');
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const other = generateKeyPairSync('ed25519');
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'jetway-sig-'));
    await writeFile(join(dir, 'unsigned.wasm'), module);
    for (const [name, pair] of Object.entries({ ed, ec, rsa })) {
      await writeFile(join(dir, `${name}.wasm.gz`), gzip(signModule(module, pair.privateKey, pair.publicKey)));
    }
    const tampered = signModule(module, ed.privateKey, ed.publicKey);
    tampered[20] = tampered[20]! ^ 1; // inside the test custom section, outside the signature section
    await writeFile(join(dir, 'tampered.wasm'), tampered);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('computes the fingerprint as sha256 of the SubjectPublicKeyInfo key bits', () => {
    const raw = ed.publicKey.export({ format: 'jwk' }).x!;
    assert.equal(keyFingerprint(ed.publicKey), createHash('sha256').update(Buffer.from(raw, 'base64url')).digest('hex'));
  });

  it('accepts Ed25519, ECDSA and RSA-PSS signatures by a listed key', async () => {
    const verify = [pem(other.publicKey), pem(ed.publicKey), pem(ec.publicKey), rsa.publicKey.export({ type: 'pkcs1', format: 'pem' }).toString()];
    for (const name of ['ed', 'ec', 'rsa']) {
      const loaded = await loadModule(`${name}.wasm.gz`, { baseDir: dir, verify });
      assert.equal(loaded.bytes.length > module.length, true, name);
    }
  });

  it('refuses unsigned, tampered and foreign-signed modules, each on one line', async () => {
    await assert.rejects(loadModule('unsigned.wasm', { baseDir: dir, verify: [pem(ed.publicKey)] }), {
      message: 'module unsigned.wasm is unsigned, but JETWAY_VERIFY_KEYS requires a signature (sign it with yoke sign)',
    });
    await assert.rejects(loadModule('tampered.wasm', { baseDir: dir, verify: [pem(ed.publicKey)] }), {
      message: `module tampered.wasm has an invalid signature for key ${keyFingerprint(ed.publicKey)}: the module was changed after signing`,
    });
    await assert.rejects(loadModule('ed.wasm.gz', { baseDir: dir, verify: [pem(other.publicKey)] }), {
      message: `module ed.wasm.gz is signed by key ${keyFingerprint(ed.publicKey)}, which is not among the JETWAY_VERIFY_KEYS keys`,
    });
  });

  it('says which configured key is not a key', async () => {
    await assert.rejects(loadModule('ed.wasm.gz', { baseDir: dir, verify: [pem(ed.publicKey), 'not a pem'] }), (error: Error) => {
      assert.match(error.message, /^verification key 2 is not a PEM public key: .* \(fix JETWAY_VERIFY_KEYS\)$/);
      return true;
    });
  });
});
