// The one pipeline every command shares: module -> run (host calls out to the cluster) -> stages.

import { deferredCluster } from '../cluster/connect.js';
import type { Cluster } from '../cluster/types.js';
import { compileFlight } from '../module/compile.js';
import { createAccessHost } from '../host/policy.js';
import type { ProjectScope } from '../host/project-scope.js';
import type { LookupRef } from '../host/refs.js';
import type { HostAnswer, HostCall } from '../wasi/states.js';
import { defaultRenderedLimit, metadataBytes } from '../stages/bounds.js';
import { parseStages, type Stage } from '../stages/parse.js';
import { FlightWorker } from '../wasi/flight-worker.js';
import { runFlight, type FlightOutput, type FlightSettings } from '../wasi/run.js';

/** Module bytes and their sha256: what travels to a runner. */
export interface ModuleBytes {
  bytes: Uint8Array;
  digest: string;
}

/** Everything a run needs besides the cluster, as plain data (it crosses the service socket). */
export interface RunSpec extends FlightSettings {
  clusterAccess: boolean;
  resourceMatchers: readonly string[];
  /** An admin ceiling on what matchers may open. */
  lookupCeiling?: readonly string[] | undefined;
}

export interface RunOutcome {
  stdout: Uint8Array;
  stderr: string;
  refs: LookupRef[];
  durationMs: number;
  /** The server URL of the cluster the run's lookups read, when `jetway serve` resolved it (RunRecord.destination). */
  destination?: string;
}

export interface RenderResult {
  stages: Stage[];
  refs: LookupRef[];
  stderr: string;
  durationMs: number;
  destination?: string;
}

/**
 * A run's deadline under the admin's ceiling (JETWAY_MAX_TIMEOUT): a run that asks for none or a longer one gets the
 * ceiling, and `clamped` says so, so a timeout can name the ceiling instead of the app's own parameter.
 */
export function deadlineUnder(requestedMs: number | undefined, ceilingMs: number): { timeoutMs: number; clamped: boolean } {
  if (requestedMs !== undefined && requestedMs <= ceilingMs) return { timeoutMs: requestedMs, clamped: false };
  return { timeoutMs: ceilingMs, clamped: true };
}

/** Something that runs a flight: in this process, or the warm service. */
export type FlightRunner = (module: ModuleBytes, spec: RunSpec) => Promise<RunOutcome>;

/** Runs a compiled module under the access policy; the service and the local runner both end here. */
export async function runCompiled(
  module: WebAssembly.Module,
  spec: RunSpec,
  cluster: Cluster | undefined,
  worker?: FlightWorker,
  observe?: (call: HostCall, answer: HostAnswer) => void,
  project?: ProjectScope,
): Promise<RunOutcome & Pick<FlightOutput, 'instance'>> {
  const access = createAccessHost({
    cluster: spec.clusterAccess ? cluster : undefined,
    release: spec.release,
    namespace: spec.namespace,
    matchers: spec.resourceMatchers,
    lookupCeiling: spec.lookupCeiling,
    project,
  });
  const output = await runFlight(
    {
      ...spec,
      module,
      host: async (call) => {
        const answer = await access.handle(call);
        observe?.(call, answer);
        return answer;
      },
    },
    worker,
  );
  return { ...output, refs: access.refs() };
}

/** The in-process runner: compile, then run on a fresh worker started meanwhile. */
export function localRunner(cluster: () => Promise<Cluster | undefined>): FlightRunner {
  return async (module, spec) => {
    // Why: opening a connection imports client-node (most of a second of CPU); begun now, it overlaps compiling the
    // module and running the flight up to its first lookup, instead of adding to them (docs/benchmark.md)
    const connection = spec.clusterAccess ? cluster() : undefined;
    connection?.catch(() => undefined); // a failure to connect is the first lookup's error, as before
    // Why: a worker thread starts a new isolate and loads the WASI shim (tens of ms); started first, it boots while
    // the module compiles
    const worker = new FlightWorker({ heapMib: spec.workerHeapMib });
    try {
      const { module: compiled } = await compileFlight(module.bytes, spec.maxMemoryMib);
      return await runCompiled(compiled, spec, connection ? deferredCluster(connection) : undefined, worker);
    } finally {
      await worker.terminate();
    }
  };
}

/** Runs the flight and parses its output; any failure throws, so no caller can emit a partial set; `maxRenderedBytes` bounds what the output renders to. */
export async function renderFlight(module: ModuleBytes, spec: RunSpec, runner: FlightRunner, maxRenderedBytes = defaultRenderedLimit): Promise<RenderResult> {
  const outcome = await runner(module, spec);
  const bounds = { maxBytes: maxRenderedBytes, perObjectBytes: metadataBytes(spec.release, spec.namespace) };
  const result: RenderResult = { stages: parseStages(outcome.stdout, outcome.stderr, bounds), refs: outcome.refs, stderr: outcome.stderr, durationMs: outcome.durationMs };
  if (outcome.destination !== undefined) result.destination = outcome.destination;
  return result;
}
