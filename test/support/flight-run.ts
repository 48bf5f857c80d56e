// What the runtime tests share: the settings a test flight runs with unless a test says otherwise, and its failure.

import assert from 'node:assert/strict';
import { FlightError } from '../../src/wasi/errors.js';
import type { FlightSettings } from '../../src/wasi/run.js';

/** yoke's test cases run as release foo in namespace bar, with no input, args or env and a 10 s deadline. */
export const testSettings: FlightSettings = {
  input: new Uint8Array(),
  release: 'foo',
  namespace: 'bar',
  args: [],
  env: {},
  timeoutMs: 10_000,
  maxMemoryMib: undefined,
};

// Why: a run that should fail must fail with a FlightError, the only kind of error users are shown for a flight.
export async function flightFailure(promise: Promise<unknown>): Promise<FlightError> {
  const error = await promise.then(
    () => assert.fail('the run should have failed'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof FlightError, `expected a FlightError, got ${String(error)}`);
  return error;
}
