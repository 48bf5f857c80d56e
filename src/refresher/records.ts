// What one generate run left behind for the refresher: the objects it looked up and how it ended. Never object contents.

import type { FlightState } from '../stages/signal.js';
import type { LookupRef } from '../host/refs.js';

/** One run of an app's flight, keyed by `app` (ARGOCD_APP_NAME: `<name>` or `<appNamespace>_<name>`). */
export interface RunRecord {
  app: string;
  refs: LookupRef[];
  outcome: 'ok' | 'failed';
  /** The flight's status message, or the error of a failed run. */
  statusMessage?: string;
  /** The flight reported a status other than a final one: it waits on cluster state (signal === 'waiting'). */
  waiting: boolean;
  /** The flight's done / waiting / failed signal (src/stages/signal.ts); absent on failed runs. */
  signal?: FlightState;
  /** The destination cluster lacks the FlightStatus CRD, so the dashboard cannot follow the flight (deploy/flight-status). */
  flightStatusCrdMissing?: boolean;
  /** ISO timestamp of when generate started: a hard refresh requested before it is answered by this run. */
  startedAt: string;
  /** ISO timestamp of when the run ended. */
  ranAt: string;
  moduleDigest?: string;
  /** The destination cluster the flight's lookups read (its Argo CD server URL, as resolved); absent: the in-cluster destination. Watches for this record go there. */
  destination?: string;
}

/** A record as `jetway status` shows it: with the next planned hard refresh, when one is planned. */
export interface RecordView extends RunRecord {
  nextRefreshAt?: string;
  /** Why nothing this run looked up is watched (a limit was reached); the app is re-checked periodically instead. */
  notWatched?: string;
  /** A hard refresh was requested then and no generate has started since. */
  refreshUnansweredSince?: string;
}

/** Why a run record is unusable, or undefined when it is well formed: records arrive over a socket from generate. */
export function recordProblem(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') return 'a run record must be an object';
  const r = value as Record<string, unknown>;
  if (typeof r['app'] !== 'string' || r['app'] === '') return 'a run record needs "app" (ARGOCD_APP_NAME)';
  if (r['outcome'] !== 'ok' && r['outcome'] !== 'failed') return `run record of ${r['app']}: "outcome" must be "ok" or "failed"`;
  if (typeof r['waiting'] !== 'boolean') return `run record of ${r['app']}: "waiting" must be a boolean`;
  if (r['signal'] !== undefined && !['done', 'waiting', 'failed'].includes(r['signal'] as string)) return `run record of ${r['app']}: "signal" must be done, waiting or failed`;
  if (r['flightStatusCrdMissing'] !== undefined && typeof r['flightStatusCrdMissing'] !== 'boolean') return `run record of ${r['app']}: "flightStatusCrdMissing" must be a boolean`;
  if (r['destination'] !== undefined && (typeof r['destination'] !== 'string' || r['destination'] === '')) return `run record of ${r['app']}: "destination" must be a non-empty string`;
  for (const at of ['startedAt', 'ranAt']) {
    if (typeof r[at] !== 'string' || Number.isNaN(Date.parse(r[at]))) return `run record of ${r['app']}: "${at}" must be an ISO timestamp`;
  }
  if (!Array.isArray(r['refs'])) return `run record of ${r['app']}: "refs" must be an array`;
  for (const ref of r['refs'] as unknown[]) {
    const f = ref as Record<string, unknown> | null;
    const strings = ['ref', 'group', 'version', 'resource', 'kind', 'namespace', 'name'];
    if (f === null || typeof f !== 'object' || strings.some((k) => typeof f[k] !== 'string')) {
      return `run record of ${r['app']}: each ref needs ${strings.join(', ')} as strings`;
    }
    if (!['owned', 'matched', 'missing'].includes(f['access'] as string)) return `run record of ${r['app']}: ref ${String(f['ref'])} has an unknown access`;
    for (const optional of ['fingerprint', 'resourceVersion']) {
      if (f[optional] !== undefined && typeof f[optional] !== 'string') return `run record of ${r['app']}: ref ${String(f['ref'])} has a non-string ${optional}`;
    }
  }
  return undefined;
}
