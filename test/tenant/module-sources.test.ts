// Tenant attacks through the `wasm` source (issue 11 items 5 and 8): an app author points the module at a server or
// file of their choosing to reach a host the admin did not allow, harvest the admin's registry credentials, break the
// shared cache, or exhaust the sidecar's memory. Every run goes through Argo CD's cmp-server imitation.

import assert from 'node:assert/strict';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { createGzip } from 'node:zlib';
import { startHttpServer, type TestServer } from '../support/http-server.js';
import { pushArtifact, startRegistry } from '../support/registry.js';
import { gzip } from '../support/tiny-module.js';
import { watModule } from '../support/wat.js';
import { startSidecar, tenantApp, type Sidecar } from '../support/sidecar.js';

const MiB = 1024 * 1024;
let flight: Uint8Array;
/** Serves the well-behaved flight at /flight.wasm, and whatever the tests add. */
let modules: TestServer;
const served = new Map<string, (response: import('node:http').ServerResponse) => void>();

before(async () => {
  flight = await watModule('yaml-stages');
  modules = await startHttpServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    const handler = served.get(path);
    if (handler) handler(response);
    else if (path === '/flight.wasm') response.end(flight);
    else response.writeHead(404).end();
  });
});

after(async () => {
  await modules?.close();
});

/** `count` bytes of zeros, streamed in 1 MiB chunks without holding them. */
function zeros(count: number): Readable {
  let left = count;
  const chunk = Buffer.alloc(MiB);
  return new Readable({
    read() {
      if (left <= 0) return void this.push(null);
      const size = Math.min(left, chunk.length);
      left -= size;
      this.push(size === chunk.length ? chunk : chunk.subarray(0, size));
    },
  });
}

/** Starts a sidecar with the admin's `env`, runs `body`, and always stops it. */
async function withSidecar(files: Record<string, string | Uint8Array>, env: Record<string, string>, body: (sidecar: Sidecar) => Promise<void>): Promise<void> {
  const sidecar = await startSidecar(files, env);
  try {
    await body(sidecar);
  } finally {
    await sidecar.close();
  }
}

const wasm = (ref: string, ...more: Array<{ name: string; string: string }>) => tenantApp('sources', '.', [{ name: 'wasm', string: ref }, ...more]);

test('a module URL on an allowed host that redirects to a host the admin did not allow is refused', async () => {
  const elsewhere = await startHttpServer((_request, response) => {
    response.end(flight);
  });
  served.set('/hop.wasm', (response) => response.writeHead(302, { location: `${elsewhere.url}/flight.wasm?from=allowed` }).end());
  try {
    await withSidecar({ 'README.md': 'sources' }, { JETWAY_MODULE_ALLOW: `${modules.url}/*` }, async (sidecar) => {
      await assert.rejects(
        sidecar.generate(wasm(`${modules.url}/hop.wasm`)),
        new RegExp(`cannot download module ${modules.url}/hop\\.wasm: it redirects to ${elsewhere.url}/flight\\.wasm, which is not in the allow-list \\(JETWAY_MODULE_ALLOW\\)`),
      );
    });
    assert.deepEqual(elsewhere.requests, [], 'the disallowed host was never asked');
  } finally {
    served.delete('/hop.wasm');
    await elsewhere.close();
  }
});

test('insecure: "true" does not send the admin’s registry credentials over plain http (Basic or to a token realm)', async () => {
  const docker = await mkdtemp(join(tmpdir(), 'jetway-docker-'));
  const seen: Array<string | undefined> = [];
  let scheme = 'Basic realm="registry"';
  const registry = await startHttpServer((request, response) => {
    seen.push(request.headers.authorization);
    if (request.url?.startsWith('/token')) return void response.writeHead(401).end();
    response.writeHead(401, { 'www-authenticate': scheme }).end();
  });
  try {
    // the admin's docker config on the sidecar holds credentials for that registry
    await writeFile(join(docker, 'config.json'), JSON.stringify({ auths: { [registry.host]: { auth: Buffer.from('robot:admin-secret').toString('base64') } } }));
    await withSidecar({ 'README.md': 'sources' }, { DOCKER_CONFIG: docker }, async (sidecar) => {
      for (const challenge of ['Basic realm="registry"', `Bearer realm="${registry.url}/token",service="registry"`]) {
        scheme = challenge;
        await assert.rejects(sidecar.generate(wasm(`oci://${registry.host}/team/flight:v1`, { name: 'insecure', string: 'true' })), /jetway never sends registry credentials over plain http/);
      }
    });
    assert.ok(seen.length >= 2);
    assert.deepEqual(
      seen.filter((header) => header !== undefined),
      [],
      'no request carried credentials',
    );
  } finally {
    await registry.close();
    await rm(docker, { recursive: true, force: true });
  }
});

test('a full or broken cache volume does not fail gz, http or oci generates: they continue uncached', async () => {
  const registry = await startRegistry();
  try {
    await pushArtifact(registry.host, 'team/flight', 'v1', gzip(flight));
    await withSidecar({ 'flight.wasm.gz': gzip(flight) }, {}, async (sidecar) => {
      // every write into the cache fails: its temp folder is a file (as ENOSPC would, from the first write)
      const cache = join(sidecar.source, '../cache');
      await mkdir(cache, { recursive: true });
      await writeFile(join(cache, 'tmp'), 'not a folder');
      for (const [ref, ...more] of [['flight.wasm.gz'], [`${modules.url}/flight.wasm`], [`oci://${registry.host}/team/flight:v1`, { name: 'insecure', string: 'true' }]] as const) {
        const manifests = await sidecar.generate(wasm(ref, ...more));
        assert.equal(manifests.length, 2, ref);
      }
    });
  } finally {
    await registry.stop();
  }
});

test('a module larger than the whole cache bound is not written to the cache', async () => {
  await withSidecar({ 'README.md': 'sources' }, { JETWAY_CACHE_MAX_BYTES: String(flight.byteLength - 1) }, async (sidecar) => {
    assert.equal((await sidecar.generate(wasm(`${modules.url}/flight.wasm`))).length, 2);
    const stored = await readdir(join(sidecar.source, '../cache/sha256')).catch(() => []);
    assert.deepEqual(stored, []);
  });
});

test('a 3 MB .wasm.gz in the repository that inflates to 3.2 GB is refused at the module bound', async (t) => {
  await withSidecar({ 'README.md': 'sources' }, {}, async (sidecar) => {
    await pipeline(zeros(3200 * MiB), createGzip({ level: 9 }), createWriteStream(join(sidecar.source, 'bomb.wasm.gz')));
    const { outcome, peakRssBytes } = await sidecar.measured(wasm('bomb.wasm.gz'));
    t.diagnostic(`peak RSS ${Math.round(peakRssBytes / MiB)} MiB`);
    assert.ok(outcome instanceof Error);
    assert.match(outcome.message, /module bomb\.wasm\.gz decompresses to more than 134217728 bytes \(JETWAY_MAX_MODULE_BYTES\)/);
    assert.ok(peakRssBytes < 512 * MiB, `peak RSS ${Math.round(peakRssBytes / MiB)} MiB`);
  });
});

test('a 1.2 GiB HTTP module body is not read whole', async (t) => {
  served.set('/huge.wasm', (response) => {
    response.writeHead(200, { 'content-type': 'application/wasm' });
    zeros(1229 * MiB).pipe(response);
  });
  try {
    await withSidecar({ 'README.md': 'sources' }, {}, async (sidecar) => {
      const { outcome, peakRssBytes } = await sidecar.measured(wasm(`${modules.url}/huge.wasm`));
      t.diagnostic(`peak RSS ${Math.round(peakRssBytes / MiB)} MiB`);
      assert.ok(outcome instanceof Error);
      assert.match(outcome.message, /module http:\/\/\S+\/huge\.wasm is more than 134217728 bytes \(JETWAY_MAX_MODULE_BYTES\)/);
      assert.ok(peakRssBytes < 512 * MiB, `peak RSS ${Math.round(peakRssBytes / MiB)} MiB`);
    });
  } finally {
    served.delete('/huge.wasm');
  }
});

test('a 900 MiB OCI manifest is not read whole', async (t) => {
  const registry = await startHttpServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' });
    zeros(900 * MiB).pipe(response);
  });
  try {
    await withSidecar({ 'README.md': 'sources' }, {}, async (sidecar) => {
      const { outcome, peakRssBytes } = await sidecar.measured(wasm(`oci://${registry.host}/team/flight:v1`, { name: 'insecure', string: 'true' }));
      t.diagnostic(`peak RSS ${Math.round(peakRssBytes / MiB)} MiB`);
      assert.ok(outcome instanceof Error);
      assert.match(outcome.message, /registry \S+ served a manifest larger than 4194304 bytes \(JETWAY_MAX_OCI_MANIFEST_BYTES\)/);
      assert.ok(peakRssBytes < 256 * MiB, `peak RSS ${Math.round(peakRssBytes / MiB)} MiB`);
    });
  } finally {
    await registry.close();
  }
});
