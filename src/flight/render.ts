// The one pipeline every command shares: compiled module -> run (host calls out to the cluster) -> stages.

import type { Cluster } from '../cluster/types.js';
import type { CompiledFlight } from '../module/compile.js';
import { createAccessHost } from '../host/policy.js';
import type { LookupRef } from '../host/refs.js';
import { parseStages, type Stage } from '../stages/parse.js';
import type { FlightWorker } from '../wasi/flight-worker.js';
import { runFlight } from '../wasi/run.js';

export interface RenderRequest {
  flight: CompiledFlight;
  input: Uint8Array;
  release: string;
  namespace: string;
  args: readonly string[];
  env: Readonly<Record<string, string>>;
  timeoutMs: number | undefined;
  maxMemoryMib: number | undefined;
  /** undefined: cluster access not granted (lookups answer FeatureNotGranted). */
  cluster: Cluster | undefined;
  resourceMatchers: readonly string[];
  /** An admin ceiling on what matchers may open. */
  ceiling?: readonly string[] | undefined;
}

export interface RenderResult {
  stages: Stage[];
  refs: LookupRef[];
  stderr: string;
  durationMs: number;
}

/** Runs the flight and parses its output; any failure throws, so no caller can emit a partial set. */
export async function renderFlight(request: RenderRequest, worker?: FlightWorker): Promise<RenderResult> {
  const access = createAccessHost({
    cluster: request.cluster,
    release: request.release,
    namespace: request.namespace,
    matchers: request.resourceMatchers,
    ceiling: request.ceiling,
  });
  const output = await runFlight(
    {
      module: request.flight.module,
      input: request.input,
      release: request.release,
      namespace: request.namespace,
      args: request.args,
      env: request.env,
      timeoutMs: request.timeoutMs,
      maxMemoryMib: request.maxMemoryMib,
      host: (call) => access.handle(call),
    },
    worker,
  );
  return { stages: parseStages(output.stdout, output.stderr), refs: access.refs(), stderr: output.stderr, durationMs: output.durationMs };
}
