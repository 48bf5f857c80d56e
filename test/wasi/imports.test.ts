// What a flight may link against (src/wasi/imports.ts): WASI preview1 and yoke's two host calls, and a `_start` to run.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { abiMismatch } from '../../src/wasi/imports.js';

const header = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
const ascii = (text: string): number[] => [text.length, ...Buffer.from(text, 'ascii')];
const section = (id: number, content: number[]): number[] => [id, content.length, ...content];

/** A module with one `() -> ()` function imported from `from`.`name`, and a defined function exported as `_start` when `start`. */
function flight(from: string, name: string, start: boolean): WebAssembly.Module {
  const bytes = [
    ...header,
    ...section(1, [0x01, 0x60, 0x00, 0x00]),
    ...section(2, [0x01, ...ascii(from), ...ascii(name), 0x00, 0x00]),
    ...section(3, [0x01, 0x00]),
    ...(start ? section(7, [0x01, ...ascii('_start'), 0x00, 0x01]) : []),
    ...section(10, [0x01, 0x02, 0x00, 0x0b]),
  ];
  return new WebAssembly.Module(Uint8Array.from(bytes));
}

test('a flight importing WASI preview1 or host.k8s_lookup, with a _start, links', () => {
  assert.equal(abiMismatch(flight('wasi_snapshot_preview1', 'fd_write', true)), undefined);
  assert.equal(abiMismatch(flight('host', 'k8s_lookup', true)), undefined);
  assert.equal(abiMismatch(flight('host', 'k8s_rest_mapping', true)), undefined);
});

test('an import jetway does not provide is named; a module without _start is told how to build a WASI command', () => {
  assert.equal(
    abiMismatch(flight('host', 'k8s_apply', true)),
    'the flight imports function host.k8s_apply, which jetway does not provide (it provides WASI preview1 and host.k8s_lookup, host.k8s_rest_mapping)',
  );
  assert.match(abiMismatch(flight('wasi_snapshot_preview1', 'no_such_call', true)) ?? '', /imports function wasi_snapshot_preview1\.no_such_call, which jetway does not provide/);
  assert.equal(abiMismatch(flight('host', 'k8s_lookup', false)), 'the module has no _start export: a flight must be a WASI command (GOOS=wasip1 GOARCH=wasm go build)');
});
