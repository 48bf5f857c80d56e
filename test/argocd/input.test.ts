// yokecd's input composition: inputFiles merged in order, `input` paths set over them, and the bounds an author cannot pass.

import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { composeInput, type InputLimits } from '../../src/argocd/input.js';

const limits: InputLimits = { maxBytes: 1024 * 1024, maxListIndex: 100 };
const dir = mkdtempSync(join(tmpdir(), 'jetway-input-'));
writeFileSync(join(dir, 'a.yaml'), 'a: {x: 1, y: [1]}\n__proto__: {polluted: true}\n');
writeFileSync(join(dir, 'b.yaml'), 'a: {y: [2], z: 3}\n');

const compose = async (input: Record<string, string> | undefined, files: string[], bounds = limits) =>
  JSON.parse(new TextDecoder().decode(await composeInput({ input: input && { paths: input }, inputFiles: files }, dir, dir, bounds))) as Record<string, unknown>;

test('files merge map by map, later files win, paths set over them; a __proto__ key in a file is data, not a prototype', async () => {
  const out = await compose({ 'a.list.-1': 'first', 'a.list.2': 'third', 'b\\.c': '{k: v}' }, ['a.yaml', 'b.yaml']);
  assert.deepEqual(out, JSON.parse('{"a":{"x":1,"y":[2],"z":3,"list":["first",null,"third"]},"__proto__":{"polluted":true},"b.c":{"k":"v"}}'));
  assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
});

test('path segments that name prototypes are refused, wherever they sit', async () => {
  for (const path of ['__proto__.x', 'a.constructor.prototype.x', 'a.prototype']) {
    await assert.rejects(compose({ [path]: '1' }, []), /expected a name other than "__proto__", "constructor" or "prototype"/, path);
  }
  assert.equal(({} as Record<string, unknown>)['x'], undefined);
});

test('an inherited name (toString) is just a key', async () => {
  assert.deepEqual(await compose({ 'toString.x': '1' }, []), { toString: { x: 1 } });
});

test('the bounds name the settings that raise them', async () => {
  await assert.rejects(compose({ 'list.101': 'x' }, []), /at most 100 \(the admin limit JETWAY_MAX_INPUT_LIST_INDEX raises it\)/);
  assert.equal(((await compose({ 'list.100': 'x' }, [])) as { list: unknown[] }).list.length, 101);
  await assert.rejects(compose({ big: 'x'.repeat(200) }, [], { maxBytes: 100, maxListIndex: 100 }), /JETWAY_MAX_INPUT_BYTES/);
  writeFileSync(join(dir, 'bomb.yaml'), 'a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n');
  await assert.rejects(compose(undefined, ['bomb.yaml'], { maxBytes: 2000, maxListIndex: 100 }), /once inputFiles are merged and YAML aliases expanded/);
  assert.equal(((await compose(undefined, ['bomb.yaml'], { maxBytes: 10_000, maxListIndex: 100 })) as { c: unknown[][] }).c.length, 10);
});
