// The flight runtime: limits, crashes and lying guests end in clear errors and the host lives on.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileFlight } from '../../src/module/compile.js';
import { State, type HostCall } from '../../src/wasi/states.js';
import { runFlight, type FlightInvocation } from '../../src/wasi/run.js';
import { watModule } from '../support/wat.js';
import { flightFailure, testSettings } from '../support/flight-run.js';

async function invocation(name: string, overrides: Partial<FlightInvocation> = {}): Promise<FlightInvocation> {
  const { module } = await compileFlight(await watModule(name), overrides.maxMemoryMib);
  return {
    ...testSettings,
    module,
    host: async () => ({ state: State.NotFound, body: 'not found' }),
    ...overrides,
  };
}

test('a trapping flight fails with a wasm trap', async () => {
  const error = await flightFailure(runFlight(await invocation('trap')));
  assert.equal(error.kind, 'trap');
  assert.match(error.message, /flight crashed \(wasm trap: unreachable/);
});

test('a spinning flight is stopped by the timeout and the host keeps working', async () => {
  const started = Date.now();
  const error = await flightFailure(runFlight(await invocation('spin', { timeoutMs: 200 })));
  assert.equal(error.kind, 'timeout');
  assert.match(error.message, /flight timed out after 200ms/);
  assert.ok(Date.now() - started < 5000);
  // the process is healthy: another run works
  await assert.rejects(runFlight(await invocation('trap')), /wasm trap/);
});

test('a deadline that strikes while a lookup is unanswered blames the cluster and names the lookup', async () => {
  let asked = false;
  const never = () => ((asked = true), new Promise<never>(() => undefined));
  // the deadline leaves the worker ample time to start and reach its lookup on a loaded machine (200 ms did not, in CI)
  const error = await flightFailure(runFlight(await invocation('lookup-loop', { timeoutMs: 3_000, host: never })));
  assert.ok(asked, 'the flight reached its lookup before the deadline');
  assert.equal(error.kind, 'timeout');
  assert.match(error.message, /^flight timed out after 3s waiting for the cluster to answer a lookup of Job demo-one \(batch\/v1\): check that the API server is reachable/);
});

test('200 MB of stdout is refused at the cap', async () => {
  const error = await flightFailure(runFlight(await invocation('flood')));
  assert.equal(error.kind, 'output-limit');
  assert.match(error.message, /flight wrote more than 67108864 bytes to stdout/);
});

test('an import jetway does not provide is refused before the flight runs', async () => {
  await assert.rejects(invocation('unknown-import'), /imports function host\.k8s_delete, which jetway does not provide/);
});

test('a name pointer past the end of memory gets an Error state and a message, without reaching the host', async () => {
  const calls: HostCall[] = [];
  const error = await flightFailure(
    runFlight(
      await invocation('lying-length', {
        host: async (call) => {
          calls.push(call);
          return { state: State.OK, body: '{}' };
        },
      }),
    ),
  );
  assert.equal(error.message, 'flight exited with code 2');
  assert.match(error.stderr, /host\.k8s_lookup: argument name \(address 65000, length 100000\) lies outside the flight's 65536-byte memory/);
  assert.deepEqual(calls, []);
});

test('a malloc returning an out-of-bounds address stops the run instead of writing there', async () => {
  const error = await flightFailure(runFlight(await invocation('lying-malloc', { host: async () => ({ state: State.OK, body: '{"Kind":"X"}' }) })));
  assert.equal(error.kind, 'host');
  assert.match(error.message, /flight broke the host ABI: flight's malloc\(12\) returned address 2147483632 length 12, outside its 65536-byte memory/);
});

test('a state pointer outside memory stops the run', async () => {
  const error = await flightFailure(runFlight(await invocation('bad-state')));
  assert.equal(error.kind, 'host');
  assert.match(error.message, /state pointer 268435456 outside its 65536-byte memory/);
});

test('maxMemoryMib caps how far the flight can grow, and running out is reported as memory', async () => {
  const error = await flightFailure(runFlight(await invocation('grow', { maxMemoryMib: 4 })));
  assert.equal(error.kind, 'memory');
  assert.match(error.message, /flight ran out of memory under maxMemoryMib 4: raise maxMemoryMib/);
});
