// The service's loader for generate requests: a repository module is served from memory only while its file holds
// exactly the bytes seen before, wherever a change is and however many loads compare at once.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RepoModules } from '../../src/service/repo-modules.js';
import { tinyModule } from '../support/tiny-module.js';

const hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** `module` with the byte at `at` flipped: the same size, still wasm (the byte is in a custom section's padding). */
function changedAt(module: Uint8Array, at: number): Uint8Array {
  const copy = Uint8Array.from(module);
  copy[at] = copy[at]! ^ 1;
  return copy;
}

describe('RepoModules', () => {
  let repo: string;
  // larger than the comparison's 1 MiB chunks, so a change can sit in the first, a middle or the last one
  const module = tinyModule('repo-modules', 3 * 1024 * 1024 + 17);
  before(async () => {
    repo = await mkdtemp(join(tmpdir(), 'jetway-repo-modules-'));
  });
  after(() => rm(repo, { recursive: true, force: true }));

  it('serves an unchanged file from memory and a file changed in any byte anew', async () => {
    const { load } = new RepoModules(() => undefined);
    const options = { baseDir: repo, repoRoot: repo };
    await writeFile(join(repo, 'flight.wasm'), module);
    const first = await load('flight.wasm', options);
    const again = await load('flight.wasm', options);
    assert.equal(again.bytes, first.bytes, 'the same bytes object: served from memory');
    assert.equal(again.digest, hex(module));
    for (const at of [module.length - 1, 2 * 1024 * 1024 + 5, 40]) {
      const changed = changedAt(module, at);
      await writeFile(join(repo, 'flight.wasm'), changed);
      assert.equal((await load('flight.wasm', options)).digest, hex(changed), `byte ${at} changed`);
    }
  });

  it('compares files of several loads at once, each against its own module', async () => {
    const { load } = new RepoModules(() => undefined);
    const options = { baseDir: repo, repoRoot: repo };
    const modules = Array.from({ length: 6 }, (_, i) => changedAt(module, module.length - 1 - i));
    await Promise.all(modules.map((m, i) => writeFile(join(repo, `m${i}.wasm`), m)));
    for (let round = 0; round < 2; round++) {
      const loaded = await Promise.all(modules.map((_, i) => load(`m${i}.wasm`, options)));
      assert.deepEqual(
        loaded.map((l) => l.digest),
        modules.map(hex),
      );
    }
    // every file swapped for its neighbour's content (same size): each load must see its new content
    await Promise.all(modules.map((_, i) => writeFile(join(repo, `m${i}.wasm`), modules[(i + 1) % modules.length]!)));
    const swapped = await Promise.all(modules.map((_, i) => load(`m${i}.wasm`, options)));
    assert.deepEqual(
      swapped.map((l) => l.digest),
      modules.map((_, i) => hex(modules[(i + 1) % modules.length]!)),
    );
  });
});
