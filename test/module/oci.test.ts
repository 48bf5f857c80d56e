// oci:// sources against a real registry (Debian's docker-registry), anonymous and with token auth.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadModule } from '../../src/module/load.js';
import { startHttpServer } from '../support/http-server.js';
import { pushArtifact, startRegistry, type Registry } from '../support/registry.js';
import { gzip, tinyModule } from '../support/tiny-module.js';
import { startTokenServer, type TokenServer } from '../support/token-server.js';

const hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** Counts fetch calls during `run`, to prove cache hits touch no network. */
async function countFetches<T>(run: () => Promise<T>): Promise<{ result: T; calls: string[] }> {
  const original = globalThis.fetch;
  const calls: string[] = [];
  globalThis.fetch = (input, init) => {
    calls.push(String(input instanceof Request ? input.url : input));
    return original(input, init);
  };
  try {
    return { result: await run(), calls };
  } finally {
    globalThis.fetch = original;
  }
}

describe('oci:// from an anonymous registry', () => {
  let registry: Registry;
  let dir: string;
  before(async () => {
    registry = await startRegistry();
    dir = await mkdtemp(join(tmpdir(), 'jetway-oci-'));
  });
  after(async () => {
    await registry?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('pulls by tag and by digest, gunzipping the yoke layer', async () => {
    const module = tinyModule('oci-one');
    const manifest = await pushArtifact(registry.host, 'flights/one', 'v1', gzip(module));
    const options = { baseDir: dir, insecure: true };
    const byTag = await loadModule(`oci://${registry.host}/flights/one:v1`, options);
    assert.deepEqual(byTag.bytes, module);
    assert.equal(byTag.digest, hex(module));
    assert.equal(byTag.cached, false);
    const byDigest = await loadModule(`oci://${registry.host}/flights/one@${manifest}`, options);
    assert.equal(byDigest.digest, hex(module));
  });

  it('serves a digest and a fresh tag from the cache with zero network requests', async () => {
    const module = tinyModule('oci-cache');
    const manifest = await pushArtifact(registry.host, 'flights/cache', 'v1', gzip(module));
    const cacheDir = join(dir, 'cache-a');
    const options = { baseDir: dir, insecure: true, cacheDir };
    for (const ref of [`oci://${registry.host}/flights/cache@${manifest}`, `oci://${registry.host}/flights/cache:v1`]) {
      const first = await countFetches(() => loadModule(ref, options));
      assert.ok(first.calls.length > 0);
      const second = await countFetches(() => loadModule(ref, options));
      assert.deepEqual(second.calls, [], `${ref} should come from the cache`);
      assert.equal(second.result.cached, true);
      assert.equal(second.result.digest, hex(module));
    }
  });

  it('picks up a moved tag after the TTL, and only then', async () => {
    const cacheDir = join(dir, 'cache-b');
    const ref = `oci://${registry.host}/flights/moving:latest`;
    const v1 = tinyModule('moving-1');
    const v2 = tinyModule('moving-2');
    await pushArtifact(registry.host, 'flights/moving', 'latest', gzip(v1));
    assert.equal((await loadModule(ref, { baseDir: dir, insecure: true, cacheDir })).digest, hex(v1));
    await pushArtifact(registry.host, 'flights/moving', 'latest', gzip(v2));
    const withinTtl = await loadModule(ref, { baseDir: dir, insecure: true, cacheDir, mutableTtlMs: 60_000 });
    assert.equal(withinTtl.digest, hex(v1));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const afterTtl = await loadModule(ref, { baseDir: dir, insecure: true, cacheDir, mutableTtlMs: 10 });
    assert.equal(afterTtl.digest, hex(v2));
    assert.equal(afterTtl.cached, false);
    // moving the tag back needs only the manifest: the layer for that manifest is already cached
    await pushArtifact(registry.host, 'flights/moving', 'latest', gzip(v1));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const back = await countFetches(() => loadModule(ref, { baseDir: dir, insecure: true, cacheDir, mutableTtlMs: 10 }));
    assert.equal(back.result.digest, hex(v1));
    assert.equal(back.calls.filter((url) => url.includes('/blobs/')).length, 0);
  });

  it('infers the checksum from a sha256_<hex> tag', async () => {
    const module = tinyModule('oci-sum');
    await pushArtifact(registry.host, 'flights/sum', `sha256_${hex(module)}`, gzip(module));
    await pushArtifact(registry.host, 'flights/sum', `sha256_${'0'.repeat(64)}`, gzip(module));
    const ok = await loadModule(`oci://${registry.host}/flights/sum:sha256_${hex(module)}`, { baseDir: dir, insecure: true });
    assert.equal(ok.digest, hex(module));
    const ref = `oci://${registry.host}/flights/sum:sha256_${'0'.repeat(64)}`;
    await assert.rejects(loadModule(ref, { baseDir: dir, insecure: true }), {
      message: `module ${ref} has sha256 ${hex(module)}, expected ${'0'.repeat(64)} (checksum)`,
    });
  });

  it('says a missing tag is not found', async () => {
    const ref = `oci://${registry.host}/flights/none:v9`;
    await assert.rejects(loadModule(ref, { baseDir: dir, insecure: true }), (error: Error) => {
      assert.match(error.message, /^module oci:\/\/.* not found: registry .* answered 404 for the manifest v9 \(check the repository and tag\)$/);
      assert.doesNotMatch(error.message, /\n/);
      return true;
    });
  });

  it('without insecure, speaks https and hints at the parameter', async () => {
    const ref = `oci://${registry.host}/flights/one:v1`;
    await assert.rejects(loadModule(ref, { baseDir: dir }), (error: Error) => {
      assert.match(error.message, /^cannot reach registry 127\.0\.0\.1:\d+ .*set the insecure parameter\)$/);
      assert.doesNotMatch(error.message, /\n/);
      return true;
    });
  });
});

describe('oci:// from a registry with token auth', () => {
  let tokens: TokenServer;
  let registry: Registry;
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'jetway-oci-auth-'));
    tokens = await startTokenServer({ dir, username: 'robot', password: 's3cret' });
    registry = await startRegistry(tokens);
  });
  after(async () => {
    await registry?.stop();
    await tokens?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('with insecure, never sends docker-config credentials over plain http: a private repository fails with a line saying so', async () => {
    const module = tinyModule('private');
    const token = tokens.issue('repository:team/private:pull,push');
    await pushArtifact(registry.host, 'team/private', 'v1', gzip(module), { authorization: `Bearer ${token}` });
    const ref = `oci://${registry.host}/team/private:v1`;
    const refused = `registry ${registry.host} asks for credentials for ${ref}, and jetway never sends registry credentials over plain http (http://${registry.host}): serve the registry and its token server over https and drop the insecure parameter, or make the repository anonymous`;

    const empty = join(dir, 'no-docker');
    await assert.rejects(loadModule(ref, { baseDir: dir, insecure: true, dockerConfigDir: empty }), { message: refused });

    // the admin's credentials exist, and still never leave over http (the token server would accept them)
    const docker = join(dir, 'docker');
    await rm(docker, { recursive: true, force: true });
    await mkdir(docker);
    const auth = Buffer.from('robot:s3cret').toString('base64');
    await writeFile(join(docker, 'config.json'), JSON.stringify({ auths: { [registry.host]: { auth } } }));
    await assert.rejects(loadModule(ref, { baseDir: dir, insecure: true, dockerConfigDir: docker }), { message: refused });
  });
});

describe('oci:// from a failing registry', () => {
  it('names the registry and the status on a 500', async () => {
    const server = await startHttpServer((_request, response) => {
      response.writeHead(500, { 'content-type': 'text/plain' }).end('boom\nsecond line');
    });
    try {
      const ref = `oci://${server.host}/flights/x:v1`;
      await assert.rejects(loadModule(ref, { baseDir: tmpdir(), insecure: true }), {
        message: `registry ${server.host} answered 500 Internal Server Error for the manifest v1 of ${ref}: the registry is failing, retry later`,
      });
    } finally {
      await server.close();
    }
  });

  it('refuses a manifest that is not a yoke artifact', async () => {
    const server = await startHttpServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' });
      response.end(JSON.stringify({ schemaVersion: 2, config: { mediaType: 'application/vnd.oci.image.config.v1+json' }, layers: [] }));
    });
    try {
      const ref = `oci://${server.host}/images/nginx:1`;
      await assert.rejects(loadModule(ref, { baseDir: tmpdir(), insecure: true }), {
        message: `module ${ref} is not a yoke flight artifact: its config media type is application/vnd.oci.image.config.v1+json, expected application/vnd.yoke.config.v1+json (push it with yoke stow)`,
      });
    } finally {
      await server.close();
    }
  });
});
