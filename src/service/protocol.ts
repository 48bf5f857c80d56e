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
  ceiling: string[] | null;
}

export type RunResponseBody =
  | { ok: true; stdout: string; stderr: string; refs: LookupRef[]; durationMs: number }
  | { ok: false; error: { kind: FlightFailure; message: string; stderr: string } };

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
