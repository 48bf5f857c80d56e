// V8 settings for the long-lived service, where every request runs a fresh instance of an already compiled module.

import v8 from 'node:v8';

/**
 * With V8's default dynamic tiering, fresh instances run much of a flight in baseline (Liftoff) code and keep asking
 * for tier-up; compiling every function with the optimizing tier once, at module compile time, halves a warm run of a
 * large Go flight (see docs/benchmark.md). Only the service does this: it compiles once and runs many times.
 */
export const serviceV8Flags = ['--no-wasm-dynamic-tiering'];

// Why: must run before the service compiles its first module; flags only affect modules compiled afterwards.
export function applyServiceTuning(): void {
  for (const flag of serviceV8Flags) v8.setFlagsFromString(flag);
}
