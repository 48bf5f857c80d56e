// Tuning of the long-lived service: V8 flags for running many fresh instances of a compiled module, and the CPUs it may use.

import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
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

/**
 * The CPUs this process may use: os.availableParallelism() (the CPU affinity), lowered to the cgroup v2 CPU quota when
 * the container has one. Why read cpu.max by hand: Node 20's libuv ignores the quota (later releases read it), and a
 * sidecar limited to 2 CPUs on a 64-core node would otherwise start 64 workers, each holding a warm instance.
 */
export function availableCpus(cores = availableParallelism(), cpuMax = readCpuMax()): number {
  const m = cpuMax === undefined ? null : /^(\d+)\s+(\d+)$/.exec(cpuMax.trim());
  const quota = m && Number(m[2]) > 0 ? Math.ceil(Number(m[1]) / Number(m[2])) : Infinity;
  return Math.max(1, Math.min(cores, quota));
}

function readCpuMax(): string | undefined {
  try {
    return readFileSync('/sys/fs/cgroup/cpu.max', 'utf8');
  } catch {
    return undefined; // no cgroup v2 (or not Linux): the affinity is all there is
  }
}

/**
 * The default pool size: one worker per available CPU, never fewer than two and at most sixteen. With one worker, a
 * single app's flight running to its deadline would make every other app wait; two on less than two CPUs share the CPU
 * instead. Each worker keeps an instance warm (17 MiB of RSS per worker for the 17 MB Go test flight, measured), so a
 * big node does not get a worker per core unless `--workers` says so.
 */
export function defaultWorkers(cpus = availableCpus()): number {
  return Math.min(16, Math.max(2, cpus));
}
