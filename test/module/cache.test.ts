// The on-disk cache: concurrent loads into one directory, LRU eviction under a size bound, and damaged entries.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { tidyCache } from '../../src/module/cache.js';
import { loadModule } from '../../src/module/load.js';
import { startHttpServer, type TestServer } from '../support/http-server.js';
import { gzip, tinyModule } from '../support/tiny-module.js';

const execFileAsync = promisify(execFile);
const hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

describe('module cache', () => {
  let server: TestServer;
  let dir: string;
  const modules = Array.from({ length: 6 }, (_, i) => tinyModule(`cache-${i}`, 200_000));
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'jetway-cache-'));
    server = await startHttpServer(async (request, response) => {
      const index = Number(/\/m(\d+)\.wasm\.gz$/.exec(request.url ?? '')?.[1]);
      const module = modules[index];
      if (!module) return void response.writeHead(404).end();
      await new Promise((resolve) => setTimeout(resolve, 5));
      response.end(gzip(module));
    });
  });
  after(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('survives concurrent loads into the same directory', async () => {
    const cacheDir = join(dir, 'concurrent');
    const loads = Array.from({ length: 24 }, (_, i) => loadModule(`${server.url}/m${i % 6}.wasm.gz`, { baseDir: dir, cacheDir, mutableTtlMs: 0 }));
    const results = await Promise.all(loads);
    results.forEach((loaded, i) => assert.equal(loaded.digest, hex(modules[i % 6]!)));
    const stored = await readdir(join(cacheDir, 'sha256'));
    assert.equal(stored.length, 6);
    for (const name of stored) assert.equal(`${hex(await readFile(join(cacheDir, 'sha256', name)))}.wasm`, name);
    assert.deepEqual(await readdir(join(cacheDir, 'tmp')), [], 'no temp files left behind');
    const again = await Promise.all(modules.map((_, i) => loadModule(`${server.url}/m${i}.wasm.gz`, { baseDir: dir, cacheDir })));
    assert.equal(
      again.every((loaded) => loaded.cached),
      true,
    );
  });

  it('survives several processes loading into the same directory at once', async () => {
    const cacheDir = join(dir, 'processes');
    const load = new URL('../../src/module/load.js', import.meta.url).href;
    const script = `
      const { loadModule } = await import(${JSON.stringify(load)});
      const urls = JSON.parse(process.argv[1]);
      const out = [];
      for (let round = 0; round < 3; round++) {
        out.push(...(await Promise.all(urls.map((u) => loadModule(u, { baseDir: '/', cacheDir: ${JSON.stringify(cacheDir)}, mutableTtlMs: 0 })))).map((m) => m.digest));
      }
      process.stdout.write(JSON.stringify(out));`;
    const urls = modules.map((_, i) => `${server.url}/m${i}.wasm.gz`);
    const runs = await Promise.all(Array.from({ length: 4 }, () => execFileAsync(process.execPath, ['--input-type=module', '-e', script, JSON.stringify(urls)])));
    const expected = [0, 1, 2].flatMap(() => modules.map((m) => hex(m)));
    for (const run of runs) assert.deepEqual(JSON.parse(run.stdout), expected);
    for (const name of await readdir(join(cacheDir, 'sha256'))) assert.equal(`${hex(await readFile(join(cacheDir, 'sha256', name)))}.wasm`, name);
  });

  it('evicts the least recently used modules beyond cacheMaxBytes', async () => {
    const cacheDir = join(dir, 'bounded');
    const options = { baseDir: dir, cacheDir, cacheMaxBytes: 450_000 };
    await loadModule(`${server.url}/m0.wasm.gz`, options);
    await utimes(join(cacheDir, 'sha256', `${hex(modules[0]!)}.wasm`), new Date(1000), new Date(1000));
    await loadModule(`${server.url}/m1.wasm.gz`, options);
    await utimes(join(cacheDir, 'sha256', `${hex(modules[1]!)}.wasm`), new Date(2000), new Date(2000));
    assert.equal((await loadModule(`${server.url}/m0.wasm.gz`, options)).cached, true, 'a hit refreshes m0');
    await loadModule(`${server.url}/m2.wasm.gz`, options);
    const stored = (await readdir(join(cacheDir, 'sha256'))).sort();
    assert.deepEqual(stored, [hex(modules[0]!), hex(modules[2]!)].map((h) => `${h}.wasm`).sort());
    const reloaded = await loadModule(`${server.url}/m1.wasm.gz`, options);
    assert.equal(reloaded.cached, false, 'an evicted module is fetched again');
  });

  it('re-fetches a damaged cached module instead of serving it', async () => {
    const cacheDir = join(dir, 'damaged');
    const url = `${server.url}/m3.wasm.gz`;
    await loadModule(url, { baseDir: dir, cacheDir });
    await writeFile(join(cacheDir, 'sha256', `${hex(modules[3]!)}.wasm`), 'garbage');
    const loaded = await loadModule(url, { baseDir: dir, cacheDir });
    assert.equal(loaded.cached, false);
    assert.equal(loaded.digest, hex(modules[3]!));
  });

  it('forgets index entries that held the ref itself (an older format, which wrote filled-in Secret values to disk)', async () => {
    const cacheDir = join(dir, 'old-index');
    const url = `${server.url}/s3cret/m4.wasm.gz`;
    assert.equal((await loadModule(url, { baseDir: dir, cacheDir })).cached, false);
    const [entry] = await readdir(join(cacheDir, 'refs'));
    assert.doesNotMatch(await readFile(join(cacheDir, 'refs', entry!), 'utf8'), /s3cret/);
    // the same entry as the older format wrote it: a miss, rewritten without the ref
    await writeFile(join(cacheDir, 'refs', entry!), JSON.stringify({ ref: url, digest: hex(modules[4]!), resolvedAt: Date.now() }));
    assert.equal((await loadModule(url, { baseDir: dir, cacheDir })).cached, false);
    assert.doesNotMatch(await readFile(join(cacheDir, 'refs', entry!), 'utf8'), /s3cret/);
    // one never used again is deleted when serve tidies the cache
    await writeFile(join(cacheDir, 'refs', 'old.json'), JSON.stringify({ ref: url, digest: hex(modules[4]!), resolvedAt: Date.now() }));
    await tidyCache({ dir: cacheDir, maxBytes: 1024 * 1024 * 1024 });
    assert.deepEqual(await readdir(join(cacheDir, 'refs')), [entry]);
  });
});
