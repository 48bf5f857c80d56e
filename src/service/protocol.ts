// The contract between `jetway generate` and `jetway serve` over the unix socket, in one place.

import type { LookupRef } from '../host/refs.js';
import type { FlightFailure } from '../wasi/errors.js';

/** POST /v1/run: the module travels by digest; the service answers 404 `module-missing` when it needs the bytes. */
export interface RunRequestBody {
  digest: string;
  /** base64 of the flight's stdin. */
  input: string;
  release: string;
  namespace: string;
  args: string[];
  env: Record<string, string>;
  timeoutMs: number | null;
  maxMemoryMib: number | null;
  clusterAccess: boolean;
  resourceMatchers: string[];
  lookupCeiling: string[] | null;
}

/** `destination`: the server URL of the cluster the service resolved the run's lookups to (RunRecord.destination), ok or not. */
export type RunResponseBody =
  | { ok: true; stdout: string; stderr: string; refs: LookupRef[]; durationMs: number; destination?: string }
  | { ok: false; error: { kind: FlightFailure; message: string; stderr: string }; destination?: string };

export const moduleMissing = 'module-missing';

/** PUT /v1/modules/<digest>: raw module bytes. */
export const modulePath = (digest: string) => `/v1/modules/${digest}`;

/** POST /v1/records: what generate learned from one run, for the refresher. GET /v1/records lists them. */
export type { RunRecord as RunRecordBody } from '../refresher/records.js';

/** Why generate ran a flight in-process: no socket or refused (`unreachable`), no answer in time (`timeout`), an error answer (`error`). */
export const fallbackReasons = ['unreachable', 'timeout', 'error'] as const;
export type FallbackReason = (typeof fallbackReasons)[number];

/** POST /v1/fallbacks: generate ran a flight in-process, and tells the service afterwards so `/metrics` counts it. */
export interface FallbackReportBody {
  reason: FallbackReason;
}
export const fallbacksPath = '/v1/fallbacks';

/**
 * POST /v1/generate?dir=<the app's source directory>: the whole generate done by the service, for the launcher
 * (bin/jetway-generate, over curl) and for `jetway generate`. The body is the caller's environment as
 * /proc/self/environ holds it (NUL-separated `NAME=value`); the service keeps only Argo CD's variables from it and
 * reads the source directory itself, through the plugin container's /tmp mounted at the same path.
 * Answers: 200 with the YAML stream; 422 with the lines for stderr when generate failed (exit 1); 503 with a reason
 * when the service declines (the caller then runs `jetway generate` in-process). Any other answer is a decline too.
 */
export const generatePath = '/v1/generate';
export const generateFailed = 422;
export const generateDeclined = 503;
/** Timings of a generate answer: `generate;dur=<ms>` (the whole generate in the service) and `run;dur=<ms>` (the flight's run). */
export const serverTimingHeader = 'Server-Timing';
