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
export function availableCpus(cores = availableParallelism(), cpuMax = readCgroupFile('cpu.max')): number {
  const m = cpuMax === undefined ? null : /^(\d+)\s+(\d+)$/.exec(cpuMax.trim());
  const quota = m && Number(m[2]) > 0 ? Math.ceil(Number(m[1]) / Number(m[2])) : Infinity;
  return Math.max(1, Math.min(cores, quota));
}

/** A file of this container's cgroup v2 root (`cpu.max`, `memory.max`); undefined where there is none. */
function readCgroupFile(name: string): string | undefined {
  try {
    return readFileSync(`/sys/fs/cgroup/${name}`, 'utf8');
  } catch {
    return undefined; // no cgroup v2 (or not Linux): no limit is known
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

/** What the flights' memory budget leaves for the process itself: Node, the Kubernetes client, compiled modules. */
const processHeadroomMib = 256;

/** The container's memory limit in MiB (cgroup v2 `memory.max`), undefined when it has none (or is not cgroup v2). */
export function containerMemoryMib(memoryMax = readCgroupFile('memory.max')): number | undefined {
  const bytes = memoryMax === undefined ? NaN : Number(memoryMax.trim());
  return Number.isSafeInteger(bytes) && bytes > 0 ? Math.floor(bytes / (1024 * 1024)) : undefined;
}

/**
 * JETWAY_SERVE_MEMORY_MIB when unset: the container's limit less every worker's JavaScript heap and the process's
 * headroom, so the flights' wasm memory cannot push the container past its limit; undefined (no budget) without a limit.
 * Why derived: the limit is the admin's one statement of how much memory the service has, in deploy/ and in Helm values.
 */
export function defaultMemoryBudgetMib(workers: number, workerHeapMib: number, limitMib = containerMemoryMib()): number | undefined {
  if (limitMib === undefined) return undefined;
  const budget = limitMib - workers * workerHeapMib - processHeadroomMib;
  if (budget < 1) {
    throw new Error(
      `the container's memory limit of ${limitMib} MiB leaves no memory for flights after ${workers} worker heaps of ${workerHeapMib} MiB (JETWAY_WORKER_HEAP_MIB) and ${processHeadroomMib} MiB for the process: raise the limit, lower --workers, or set JETWAY_SERVE_MEMORY_MIB`,
    );
  }
  return budget;
}
