// flight/runner.ts: the admin's timeout ceiling, and a run's output becoming stages or one failure, never a partial set.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deadlineUnder, renderFlight, type FlightRunner, type RunSpec } from '../../src/flight/runner.js';
import { FlightError } from '../../src/wasi/errors.js';

const spec: RunSpec = { input: new Uint8Array(), release: 'demo', namespace: 'demo', args: [], env: {}, timeoutMs: 10_000, maxMemoryMib: undefined, clusterAccess: false, resourceMatchers: [] };
const module = { bytes: new Uint8Array(), digest: '0'.repeat(64) };

/** A runner that prints `stdout` (and `stderr`) as a flight would, without running one. */
const printing =
  (stdout: string, stderr = ''): FlightRunner =>
  async () => ({ stdout: new TextEncoder().encode(stdout), stderr, refs: [], durationMs: 1 });

test('the timeout ceiling: a shorter request stands, a longer or absent one is clamped and says so', () => {
  assert.deepEqual(deadlineUnder(5_000, 60_000), { timeoutMs: 5_000, clamped: false });
  assert.deepEqual(deadlineUnder(60_000, 60_000), { timeoutMs: 60_000, clamped: false });
  assert.deepEqual(deadlineUnder(90_000, 60_000), { timeoutMs: 60_000, clamped: true });
  assert.deepEqual(deadlineUnder(undefined, 60_000), { timeoutMs: 60_000, clamped: true }, "yoke's negative timeout (none) still meets the ceiling");
});

test('output becomes stages, with the flight stderr passed on', async () => {
  const secret = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' } };
  const job = { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'one' } };
  const result = await renderFlight(module, spec, printing(JSON.stringify([[secret], [job]]), 'note\n'));
  assert.equal(result.stages.length, 2);
  assert.deepEqual(
    result.stages.map((stage) => stage.map((o) => o.kind)),
    [['ConfigMap'], ['Job']],
  );
  assert.equal(result.stderr, 'note\n');
});

test('output past the rendered bound fails as a whole, naming the setting that raises it', async () => {
  const many = Array.from({ length: 50 }, (_, i) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}` }, data: { k: 'x'.repeat(100) } }));
  await assert.rejects(renderFlight(module, spec, printing(JSON.stringify(many)), 4096), (error: unknown) => {
    assert.ok(error instanceof FlightError);
    assert.equal(error.kind, 'output');
    assert.match(error.message, /renders to more than 4096 bytes of manifests \(JETWAY_MAX_RENDERED_BYTES/);
    return true;
  });
});

test('output that is not resources fails with the flight stderr kept', async () => {
  await assert.rejects(renderFlight(module, spec, printing('just text', 'flight said why')), (error: unknown) => {
    assert.ok(error instanceof FlightError);
    assert.equal(error.stderr, 'flight said why');
    return true;
  });
});
