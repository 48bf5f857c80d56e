// Runs one flight: yoke's argv and env, the limits, and the exit code turned into a result or a FlightError.

import type { HostHandler } from './states.js';
import { FlightError } from './errors.js';
import { FlightWorker, type WorkerResult } from './flight-worker.js';
import type { InstanceOrigin } from './protocol.js';

/** The yoke release jetway presents itself as: flights compare YOKE_VERSION against the SDK they need. */
export const yokeVersion = 'v0.20.27';

/** The default stdout cap (JETWAY_MAX_OUTPUT_BYTES): well under Argo CD's 100 MiB gRPC limit, far above any sane manifest set. */
export const defaultStdoutLimit = 64 * 1024 * 1024;

/** What the flight itself is given, as plain data: stdin, yoke's argv and env, and its limits. */
export interface FlightSettings {
  input: Uint8Array;
  release: string;
  namespace: string;
  args: readonly string[];
  /** The user's env; the four yoke variables are added on top and win. */
  env: Readonly<Record<string, string>>;
  /** undefined: no deadline (yoke's negative timeout). */
  timeoutMs: number | undefined;
  maxMemoryMib: number | undefined;
  /** Host-side bound on stdout bytes; default defaultStdoutLimit. */
  maxOutputBytes?: number | undefined;
  /** The heap of a worker started for this run (not a pool's); default defaultWorkerHeapMib (flight-worker.ts). */
  workerHeapMib?: number | undefined;
}

export interface FlightInvocation extends FlightSettings {
  module: WebAssembly.Module;
  host: HostHandler;
}

export interface FlightOutput {
  stdout: Uint8Array;
  stderr: string;
  durationMs: number;
  /** Whether the run found its instance prepared while the worker was idle. */
  instance: InstanceOrigin;
}

/** yoke's EvalFlight env: the user's, then YOKE_RELEASE, YOKE_NAMESPACE, NAMESPACE, YOKE_VERSION. */
export function flightEnv(invocation: Pick<FlightInvocation, 'env' | 'release' | 'namespace'>): string[] {
  const env: Record<string, string> = {
    ...invocation.env,
    YOKE_RELEASE: invocation.release,
    YOKE_NAMESPACE: invocation.namespace,
    NAMESPACE: invocation.namespace,
    YOKE_VERSION: yokeVersion,
  };
  return Object.entries(env).map(([k, v]) => `${k}=${v}`);
}

/** Turns a finished worker run into output, or a FlightError naming the cause. */
function interpret(result: WorkerResult, invocation: Pick<FlightInvocation, 'maxMemoryMib'>): Omit<FlightOutput, 'durationMs'> {
  if (result.exitCode === 0) return { stdout: result.stdout, stderr: result.stderr, instance: result.instance };
  if (/out of memory/i.test(result.stderr)) {
    const limit = invocation.maxMemoryMib === undefined ? 'the 4 GiB wasm limit' : `maxMemoryMib ${invocation.maxMemoryMib}`;
    throw new FlightError('memory', `flight ran out of memory under ${limit}: raise maxMemoryMib or make the flight allocate less`, result.stderr);
  }
  throw new FlightError('exit', `flight exited with code ${result.exitCode}`, result.stderr);
}

/** Runs the flight on the given worker (one from a pool) or on a fresh one that is torn down afterwards. */
export async function runFlight(invocation: FlightInvocation, worker?: FlightWorker): Promise<FlightOutput> {
  const own = worker === undefined;
  const runner = worker ?? new FlightWorker({ heapMib: invocation.workerHeapMib });
  const started = performance.now();
  try {
    const result = await runner.run({
      module: invocation.module,
      argv: [invocation.release, ...invocation.args],
      env: flightEnv(invocation),
      stdin: invocation.input,
      outputLimit: invocation.maxOutputBytes ?? defaultStdoutLimit,
      timeoutMs: invocation.timeoutMs,
      host: invocation.host,
    });
    return { ...interpret(result, invocation), durationMs: performance.now() - started };
  } finally {
    if (own) await runner.terminate();
  }
}
