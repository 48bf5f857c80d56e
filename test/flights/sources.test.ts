// Guards the committed Go flights (test/flights/wasm/*.wasm.gz and the two
// examples) against drifting from their sources: the source-tree hash and
// module hash recorded by test/flights/build.sh must still hold, and, when Go
// is available, a rebuild must give the very same bytes.
// The hash algorithm ("jetway-source-tree-v1") is documented at the top of build.sh.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';

const execFileAsync = promisify(execFile);

// Compiled to dist/test/flights/sources.test.js: the repository is three levels up.
const root = fileURLToPath(new URL('../../../', import.meta.url));
const repo = (relative: string): string => join(root, relative);

interface ModuleEntry {
  wasm: string;
  moduleDir: string;
  package: string;
  sha256: string;
  size: number;
  gzipSize: number;
  sourceDirs: string[];
  goMods: string[];
  sourceSha256: string;
}

interface Sources {
  go: string;
  algorithm: string;
  modules: Record<string, ModuleEntry>;
}

const sources = JSON.parse(await readFile(repo('test/flights/wasm/SOURCES.json'), 'utf8')) as Sources;
const REBUILD_HINT = 'run `bash test/flights/build.sh` and commit its outputs';

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

/** jetway-source-tree-v1: see test/flights/build.sh. */
async function sourceTreeHash(entry: ModuleEntry): Promise<string> {
  const files = new Set<string>(entry.goMods);
  for (const dir of entry.sourceDirs) {
    for (const item of await readdir(repo(dir), { withFileTypes: true })) {
      if (item.isFile() && item.name.endsWith('.go') && !item.name.endsWith('_test.go')) {
        files.add(`${dir}/${item.name}`);
      }
    }
  }
  const sorted = [...files].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const hash = createHash('sha256');
  const nul = Buffer.from([0]);
  for (const path of sorted) {
    hash.update(Buffer.from(path));
    hash.update(nul);
    hash.update(await readFile(repo(path)));
    hash.update(nul);
  }
  return hash.digest('hex');
}

async function decompressed(entry: ModuleEntry): Promise<Buffer> {
  return gunzipSync(await readFile(repo(entry.wasm)));
}

test('SOURCES.json uses the documented algorithm and lists every flight', async () => {
  assert.equal(sources.algorithm, 'jetway-source-tree-v1');
  const flights: string[] = [];
  for (const item of await readdir(repo('test/flights'), { withFileTypes: true })) {
    if (item.isDirectory() && existsSync(repo(`test/flights/${item.name}/main.go`))) flights.push(item.name);
  }
  for (const name of [...flights, 'pipeline', 'app']) {
    assert.ok(sources.modules[name], `flight ${name} is missing from SOURCES.json: ${REBUILD_HINT}`);
  }
});

for (const [name, entry] of Object.entries(sources.modules)) {
  test(`flight ${name}: sources unchanged since the last build`, async () => {
    assert.equal(await sourceTreeHash(entry), entry.sourceSha256, `sources of ${name} changed: ${REBUILD_HINT}`);
  });

  test(`flight ${name}: module matches its recorded sha256`, async () => {
    const bytes = await decompressed(entry);
    assert.equal(bytes.length, entry.size);
    assert.equal(sha256(bytes), entry.sha256, `${entry.wasm} does not match SOURCES.json: ${REBUILD_HINT}`);
    assert.equal((await stat(repo(entry.wasm))).size, entry.gzipSize);
    // \0asm, binary format version 1
    assert.deepEqual([...bytes.subarray(0, 8)], [0, 0x61, 0x73, 0x6d, 1, 0, 0, 0], `${entry.wasm} is not a wasm module`);
  });
}

test('a rebuild with Go gives byte-identical modules', async (t) => {
  const go = process.env['GO'] ?? '/usr/lib/go-1.24/bin/go';
  if (!existsSync(go)) {
    t.skip(`no Go toolchain at ${go} (set GO to a Go ${sources.go} binary to check reproducibility)`);
    return;
  }
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GOOS: 'wasip1',
    GOARCH: 'wasm',
    GOFLAGS: '-mod=mod',
    GOPROXY: 'off',
    GOTOOLCHAIN: 'local',
    GOSUMDB: 'off',
    CGO_ENABLED: '0',
  };
  delete env['GOEXPERIMENT'];
  delete env['GOWASM'];
  const version = (await execFileAsync(go, ['env', 'GOVERSION'], { env })).stdout.trim();
  if (version !== sources.go) {
    t.skip(`${go} is ${version} but the modules were built with ${sources.go}; outputs may legitimately differ`);
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'jetway-flights-'));
  try {
    for (const [name, entry] of Object.entries(sources.modules)) {
      await t.test(name, async () => {
        const out = join(dir, `${name}.wasm`);
        await execFileAsync(go, ['build', '-trimpath', '-buildvcs=false', '-ldflags=-buildid=', '-o', out, entry.package], {
          cwd: repo(entry.moduleDir),
          env,
          maxBuffer: 16 << 20,
        });
        const rebuilt = await readFile(out);
        const committed = await decompressed(entry);
        assert.equal(rebuilt.length, committed.length, `${name}: rebuilt size differs: ${REBUILD_HINT}`);
        assert.ok(rebuilt.equals(committed), `${name}: rebuilt module differs: ${REBUILD_HINT}`);
      });
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
