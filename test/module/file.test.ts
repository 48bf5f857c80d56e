// Repository-local module paths: resolution, confinement to the repository, gzip, and their errors.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadModule } from '../../src/module/load.js';
import { repoPath } from '../support/paths.js';
import { gzip, tinyModule } from '../support/tiny-module.js';

const hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

describe('repository paths', () => {
  let outside: string;
  let repo: string;
  let app: string;
  const module = tinyModule('file');
  before(async () => {
    outside = await mkdtemp(join(tmpdir(), 'jetway-file-'));
    repo = join(outside, 'repo');
    app = join(repo, 'apps', 'demo');
    await mkdir(app, { recursive: true });
    await mkdir(join(repo, 'flights'));
    await writeFile(join(repo, 'flights', 'plain.wasm'), module);
    await writeFile(join(app, 'local.wasm.gz'), gzip(module));
    await writeFile(join(app, 'bad.wasm.gz'), Uint8Array.of(0x1f, 0x8b, 0x08, 0x00, 1, 2, 3, 4, 5));
    await writeFile(join(app, 'notes.txt'), 'hello');
    await writeFile(join(outside, 'secret.wasm'), module);
    await symlink(join(outside, 'secret.wasm'), join(app, 'escape.wasm'));
    await symlink(join(repo, 'flights', 'plain.wasm'), join(app, 'inside.wasm'));
  });
  after(() => rm(outside, { recursive: true, force: true }));

  it('reads paths relative to baseDir, anywhere in the repository, gunzipping .gz', async () => {
    const options = { baseDir: app, repoRoot: repo };
    for (const ref of ['local.wasm.gz', '../../flights/plain.wasm', 'inside.wasm', join(repo, 'flights', 'plain.wasm')]) {
      const loaded = await loadModule(ref, options);
      assert.deepEqual(loaded.bytes, module, ref);
      assert.equal(loaded.digest, hex(module));
      assert.equal(loaded.cached, false);
      assert.equal(loaded.source, ref);
    }
  });

  it('loads a real gzipped Go flight', async () => {
    const gz = repoPath('test/flights/wasm/echo.wasm.gz');
    const loaded = await loadModule('echo.wasm.gz', { baseDir: join(gz, '..'), repoRoot: repoPath('') });
    assert.equal(loaded.bytes.length > 1_000_000, true);
    assert.notDeepEqual(loaded.bytes, await readFile(gz));
  });

  it('with a cache, unzips a .gz file once per content: the next load reads the module, a changed file is unzipped again', async () => {
    const cacheDir = join(outside, 'cache');
    const options = { baseDir: app, repoRoot: repo, cacheDir };
    const first = await loadModule('local.wasm.gz', options);
    const second = await loadModule('local.wasm.gz', options);
    assert.deepEqual([first.cached, second.cached], [false, true]);
    assert.deepEqual(second.bytes, module);
    assert.equal(second.digest, hex(module));
    // a new commit replaces the file: its new content is what loads
    const other = tinyModule('file, second commit');
    await writeFile(join(app, 'moving.wasm.gz'), gzip(module));
    await loadModule('moving.wasm.gz', options);
    await writeFile(join(app, 'moving.wasm.gz'), gzip(other));
    const moved = await loadModule('moving.wasm.gz', options);
    assert.deepEqual([moved.cached, moved.digest], [false, hex(other)]);
    // a damaged cached module is not served: the file is unzipped again
    await writeFile(join(cacheDir, 'sha256', `${hex(other)}.wasm`), 'damaged');
    const repaired = await loadModule('moving.wasm.gz', options);
    assert.deepEqual([repaired.cached, repaired.digest], [false, hex(other)]);
    assert.deepEqual(repaired.bytes, other);
  });

  it('refuses paths that escape the repository, lexically, absolutely or through a symlink', async () => {
    const options = { baseDir: app, repoRoot: repo };
    for (const ref of ['../../../etc/x', '../../../secret.wasm', '/etc/passwd', 'escape.wasm']) {
      await assert.rejects(loadModule(ref, options), {
        message: `module path ${ref} escapes the repository: use a path inside the repository, or an http(s):// or oci:// URL`,
      });
    }
  });

  it('confines to baseDir when no repoRoot is given', async () => {
    await assert.rejects(loadModule('../../flights/plain.wasm', { baseDir: app }), /escapes the repository/);
  });

  it('says a missing file is not found', async () => {
    await assert.rejects(loadModule('foo.wasm', { baseDir: app, repoRoot: repo }), {
      message: 'module file foo.wasm not found in the repository (looked for apps/demo/foo.wasm)',
    });
  });

  it('says where a missing file was looked for as an absolute path when the repository root is "/"', async () => {
    const absolute = join(outside, 'nowhere.wasm');
    await assert.rejects(loadModule(absolute, { baseDir: app, repoRoot: '/' }), {
      message: `module file ${absolute} not found (looked for ${absolute})`,
    });
    await assert.rejects(loadModule('foo.wasm', { baseDir: app, repoRoot: '/' }), {
      message: `module file foo.wasm not found (looked for ${join(await realpath(app), 'foo.wasm')})`,
    });
  });

  it('says corrupt gzip is not valid gzip, on one line', async () => {
    await assert.rejects(loadModule('bad.wasm.gz', { baseDir: app, repoRoot: repo }), (error: Error) => {
      assert.match(error.message, /^module bad\.wasm\.gz is not valid gzip: .+ \(re-create it with gzip, or drop the \.gz suffix\)$/);
      assert.doesNotMatch(error.message, /\n/);
      return true;
    });
  });

  it('says a file that is not wasm is not WebAssembly', async () => {
    await assert.rejects(loadModule('notes.txt', { baseDir: app, repoRoot: repo }), {
      message: 'module notes.txt is not WebAssembly (no \\0asm header): check it points at a .wasm or .wasm.gz file',
    });
  });

  it('refuses unsupported schemes', async () => {
    await assert.rejects(loadModule('ftp://example.com/x.wasm', { baseDir: app }), {
      message: 'module ftp://example.com/x.wasm uses the unsupported scheme ftp: use a repository path, http(s):// or oci://',
    });
  });
});
