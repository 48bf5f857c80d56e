// The service's module store: bytes checked against their digest, compiled once per (digest, cap), both bounded.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sha256 } from '../../src/module/digest.js';
import { ModuleStore } from '../../src/service/modules.js';
import { watModule } from '../support/wat.js';

const modules = await Promise.all(
  ['spin', 'trap', 'yaml-stages'].map(async (name) => {
    const bytes = await watModule(name);
    return { bytes, digest: sha256(bytes) };
  }),
);
const [a, b, c] = modules as [(typeof modules)[number], (typeof modules)[number], (typeof modules)[number]];

test('bytes that do not match their digest are refused, so one client cannot plant a module under another digest', () => {
  const store = new ModuleStore();
  assert.throws(() => store.add(a.digest, b.bytes), /module bytes do not match digest/);
  assert.equal(store.has(a.digest), false);
});

test('the least recently used module leaves first; using a module keeps it', async () => {
  const store = new ModuleStore(2);
  store.add(a.digest, a.bytes);
  store.add(b.digest, b.bytes);
  await store.compiled(a.digest, undefined); // a is now the most recently used
  store.add(c.digest, c.bytes);
  assert.deepEqual(
    [a, b, c].map((m) => store.has(m.digest)),
    [true, false, true],
  );
  assert.equal(store.compiled(b.digest, undefined), undefined, 'an evicted module must be uploaded again');
});

test('a module is compiled once per memory cap, and the compiled variants are bounded too', async () => {
  const { bytes, digest } = a;
  const store = new ModuleStore(4, 2);
  store.add(digest, bytes);
  const uncapped = store.compiled(digest, undefined)!;
  assert.equal(store.compiled(digest, undefined), uncapped, 'the same compile is shared');
  const capped = store.compiled(digest, 1)!;
  assert.notEqual(capped, uncapped);
  void store.compiled(digest, 2); // a third cap evicts the least recently used variant
  assert.notEqual(store.compiled(digest, undefined), uncapped, 'the uncapped variant was evicted and is compiled again');
  assert.ok((await store.compiled(digest, undefined)!) instanceof WebAssembly.Module);
});

test('a compile that fails is not kept: the next request tries again and gets the error again', async () => {
  const bytes = Uint8Array.of(0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0xff);
  const digest = sha256(bytes);
  const store = new ModuleStore();
  store.add(digest, bytes);
  const first = store.compiled(digest, undefined)!;
  await assert.rejects(first, /the module does not compile/);
  const second = store.compiled(digest, undefined)!;
  assert.notEqual(second, first);
  await assert.rejects(second, /the module does not compile/);
});
