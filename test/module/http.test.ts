// http(s) sources against a local server: gzip detection, status errors, and the cache's request counts and TTL.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadModule } from '../../src/module/load.js';
import { startHttpServer, type TestServer } from '../support/http-server.js';
import { gzip, tinyModule } from '../support/tiny-module.js';

const hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

describe('http(s) sources', () => {
  let server: TestServer;
  let dir: string;
  const v1 = tinyModule('http-1');
  const v2 = tinyModule('http-2');
  let latest = v1;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'jetway-http-'));
    server = await startHttpServer((request, response) => {
      const path = new URL(request.url ?? '/', 'http://x').pathname;
      if (path === '/plain.wasm') response.end(v1);
      else if (path === '/flight.wasm.gz') response.end(gzip(v1));
      else if (path === '/encoded') response.writeHead(200, { 'content-encoding': 'gzip' }).end(gzip(v1));
      else if (path === '/sniffed') response.end(gzip(v1));
      else if (path === '/corrupt.wasm.gz') response.end(Uint8Array.of(0x1f, 0x8b, 0x08, 0x00, 9, 9, 9));
      else if (path === '/latest.wasm') response.end(latest);
      else if (path === '/html') response.writeHead(200, { 'content-type': 'text/html' }).end('<html>login</html>');
      else response.writeHead(404).end('no');
    });
  });
  after(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('downloads plain, .gz, Content-Encoding gzip and gzip-by-magic bodies', async () => {
    for (const path of ['/plain.wasm', '/flight.wasm.gz', '/encoded', '/sniffed']) {
      const loaded = await loadModule(`${server.url}${path}`, { baseDir: dir });
      assert.deepEqual(loaded.bytes, v1, path);
      assert.equal(loaded.digest, hex(v1));
    }
  });

  it('names the URL and status when the server says no', async () => {
    await assert.rejects(loadModule(`${server.url}/missing.wasm`, { baseDir: dir }), {
      message: `cannot download module ${server.url}/missing.wasm: the server answered 404 Not Found (check the URL)`,
    });
  });

  it('says a corrupt .gz is not valid gzip, and a web page is not wasm', async () => {
    await assert.rejects(loadModule(`${server.url}/corrupt.wasm.gz`, { baseDir: dir }), (error: Error) => {
      assert.match(error.message, new RegExp(`^module ${server.url}/corrupt\\.wasm\\.gz is not valid gzip: [^\\n]+$`));
      return true;
    });
    await assert.rejects(loadModule(`${server.url}/html`, { baseDir: dir }), /^ModuleError: module http:\/\/.*\/html is not WebAssembly/);
  });

  it('names an unreachable host on one line', async () => {
    const closed = await startHttpServer(() => undefined);
    await closed.close();
    await assert.rejects(loadModule(`${closed.url}/x.wasm`, { baseDir: dir }), (error: Error) => {
      assert.match(error.message, /^cannot download module http:\/\/127\.0\.0\.1:\d+\/x\.wasm: fetch failed: .*ECONNREFUSED/);
      assert.doesNotMatch(error.message, /\n/);
      return true;
    });
  });

  it('makes no request for a fresh URL, and re-fetches a moved one after the TTL', async () => {
    const cacheDir = join(dir, 'cache');
    const url = `${server.url}/latest.wasm`;
    const count = (): number => server.requests.filter((r) => r === '/latest.wasm').length;
    latest = v1;
    const first = await loadModule(url, { baseDir: dir, cacheDir });
    assert.equal(first.cached, false);
    assert.equal(count(), 1);
    latest = v2;
    const second = await loadModule(url, { baseDir: dir, cacheDir, mutableTtlMs: 60_000 });
    assert.equal(count(), 1, 'a fresh URL is served from the cache');
    assert.equal(second.cached, true);
    assert.equal(second.digest, hex(v1));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const third = await loadModule(url, { baseDir: dir, cacheDir, mutableTtlMs: 10 });
    assert.equal(count(), 2);
    assert.equal(third.digest, hex(v2));
  });

  it("serves a cache hit from the module the process holds (jetway serve's store), never past the URL's TTL", async () => {
    const cacheDir = join(dir, 'held-cache');
    const url = `${server.url}/latest.wasm`;
    const count = (): number => server.requests.filter((r) => r === '/latest.wasm').length;
    latest = v1;
    await loadModule(url, { baseDir: dir, cacheDir });
    const before = count();
    // the stored copy is gone: only the held bytes can answer without a download
    await rm(join(cacheDir, 'sha256', `${hex(v1)}.wasm`));
    const asked: string[] = [];
    const held = (digest: string) => {
      asked.push(digest);
      return digest === hex(v1) ? v1 : undefined;
    };
    const hit = await loadModule(url, { baseDir: dir, cacheDir, mutableTtlMs: 60_000, held });
    assert.equal(count(), before, 'no download');
    assert.deepEqual([hit.cached, hit.digest, asked], [true, hex(v1), [hex(v1)]]);
    assert.deepEqual(hit.bytes, v1);
    // past the TTL the URL is resolved again, whatever the process holds: a moved URL gets its new module
    latest = v2;
    const moved = await loadModule(url, { baseDir: dir, cacheDir, mutableTtlMs: 0, held });
    assert.equal(count(), before + 1);
    assert.deepEqual([moved.cached, moved.digest], [false, hex(v2)]);
    assert.ok((await stat(join(cacheDir, 'sha256', `${hex(v2)}.wasm`))).isFile(), 'the new module is stored');
  });
});
