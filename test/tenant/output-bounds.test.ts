// Tenant attacks on the host's memory through what a flight writes (issue 11 item 5): the run fails with the bound's
// one line, nothing is emitted, and `jetway generate`'s peak RSS (all threads, reported by the process itself) stays
// under a stated figure. Every run goes through Argo CD's cmp-server imitation.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { watModule } from '../support/wat.js';
import { failed, startSidecar, tenantApp, type Sidecar } from '../support/sidecar.js';

const MiB = 1024 * 1024;
let sidecar: Sidecar;

/** Flight output (YAML) of 1.3 KB whose aliases expand to 10^7 strings: over 100 MB of manifests once rendered. */
function aliasBombOutput(): string {
  const lines = ['kind: ConfigMap', 'apiVersion: v1', 'metadata: {name: bomb}', 'anchors:', '  l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
  for (let i = 1; i <= 6; i++) lines.push(`  l${i}: &l${i} [${Array.from({ length: 10 }, () => `*l${i - 1}`).join(', ')}]`);
  lines.push('data: {bomb: *l6}');
  return `${lines.join('\n')}\n`;
}

before(async () => {
  sidecar = await startSidecar(
    {
      'writes/flight.wasm': await watModule('one-byte-writes'),
      'echo/flight.wasm': await watModule('print-input'),
      'tiny/flight.wasm': await watModule('tiny-objects'),
    },
    // 1 MiB instead of the 64 MiB default keeps the one-byte loops short (64 Mi host calls take minutes); the bound is what is tested
    { JETWAY_MAX_OUTPUT_BYTES: String(1 * MiB) },
  );
});

after(async () => {
  await sidecar?.close();
});

test('a flight writing one byte per fd_write to stdout under maxMemoryMib 1 is stopped at the output bound', async (t) => {
  const { outcome, peakRssBytes } = await sidecar.measured(
    tenantApp('stdout-bytes', 'writes', [
      { name: 'wasm', string: 'flight.wasm' },
      { name: 'maxMemoryMib', string: '1' },
      { name: 'timeout', string: '5m' },
    ]),
  );
  assert.match(failed(outcome).message, /flight wrote more than 1048576 bytes to stdout \(JETWAY_MAX_OUTPUT_BYTES\)/);
  t.diagnostic(`peak RSS ${Math.round(peakRssBytes / MiB)} MiB`);
  assert.ok(peakRssBytes < 256 * MiB, `peak RSS ${Math.round(peakRssBytes / MiB)} MiB`);
});

test('a flight writing one byte per fd_write to stderr under maxMemoryMib 1 is stopped at the output bound', async (t) => {
  const { outcome, peakRssBytes } = await sidecar.measured(
    tenantApp('stderr-bytes', 'writes', [
      { name: 'args', array: ['stderr'] },
      { name: 'wasm', string: 'flight.wasm' },
      { name: 'maxMemoryMib', string: '1' },
      { name: 'timeout', string: '5m' },
    ]),
  );
  assert.match(failed(outcome).message, /flight wrote more than 1048576 bytes to stderr \(JETWAY_MAX_OUTPUT_BYTES\)/);
  t.diagnostic(`peak RSS ${Math.round(peakRssBytes / MiB)} MiB`);
  assert.ok(peakRssBytes < 256 * MiB, `peak RSS ${Math.round(peakRssBytes / MiB)} MiB`);
});

test('YAML aliases in flight output cannot expand 1.3 KB into more manifests than the rendered bound', async (t) => {
  const bomb = aliasBombOutput();
  assert.ok(bomb.length < 1400);
  const { outcome, peakRssBytes } = await sidecar.measured(
    tenantApp('aliases', 'echo', [
      { name: 'input', string: bomb },
      { name: 'wasm', string: 'flight.wasm' },
    ]),
  );
  assert.match(failed(outcome).message, /the flight's output renders to more than 67108864 bytes of manifests \(JETWAY_MAX_RENDERED_BYTES; YAML aliases and jetway's per-object metadata count\)/);
  t.diagnostic(`peak RSS ${Math.round(peakRssBytes / MiB)} MiB`);
  assert.ok(peakRssBytes < 256 * MiB, `peak RSS ${Math.round(peakRssBytes / MiB)} MiB`);
});

test('millions of tiny objects cannot grow past the rendered bound once jetway adds its metadata', async (t) => {
  // the default output bound: 24 MB of stdout is well within it
  const defaults = await startSidecar({ 'tiny/flight.wasm': await watModule('tiny-objects') });
  try {
    const { outcome, peakRssBytes } = await defaults.measured(tenantApp('tiny', 'tiny', [{ name: 'wasm', string: 'flight.wasm' }]));
    t.diagnostic(`peak RSS ${Math.round(peakRssBytes / MiB)} MiB`);
    assert.match(failed(outcome).message, /the flight's output renders to more than 67108864 bytes of manifests \(JETWAY_MAX_RENDERED_BYTES/);
    assert.ok(peakRssBytes < 512 * MiB, `peak RSS ${Math.round(peakRssBytes / MiB)} MiB`);
  } finally {
    await defaults.close();
  }
});
