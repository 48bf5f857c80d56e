// What one generate tells the refresher, built in one place for generate in-process and generate in `jetway serve`.

import type { RunRecord } from '../refresher/records.js';
import { failureSummary } from './failure.js';
import type { GenerateOutcome } from './generate.js';
import type { Redactions } from './redaction.js';

/** The record of a generate that produced manifests; the flight's status message may echo a ref's value, so it is redacted. */
export function okRecord(app: string, outcome: GenerateOutcome, redactions: Redactions, startedAt: string): RunRecord {
  const statusMessage = outcome.statusMessage === undefined ? undefined : redactions.apply(outcome.statusMessage);
  // the flight's signal (src/stages/signal.ts) decides waiting: the refresher then also re-checks the app periodically
  const waiting = outcome.signal.state === 'waiting';
  const record: RunRecord = {
    app,
    refs: outcome.refs,
    outcome: 'ok',
    statusMessage,
    waiting,
    signal: outcome.signal.state,
    flightStatusCrdMissing: outcome.flightStatusCrdMissing,
    startedAt,
    ranAt: new Date().toISOString(),
    moduleDigest: outcome.moduleDigest,
  };
  if (outcome.destination !== undefined) record.destination = outcome.destination;
  return record;
}

/** The record of a generate that failed; the refresher re-checks failed apps on its own schedule. */
export function failedRecord(app: string, error: unknown, redactions: Redactions, startedAt: string, destination?: string): RunRecord {
  const record: RunRecord = { app, refs: [], outcome: 'failed', statusMessage: redactions.apply(failureSummary(error)), waiting: false, startedAt, ranAt: new Date().toISOString() };
  if (destination !== undefined) record.destination = destination;
  return record;
}

/** The generate's Application, for records and the failure line: ARGOCD_APP_NAME, or a placeholder when Argo CD did not set it. */
export function appOf(env: NodeJS.ProcessEnv): string {
  return env['ARGOCD_APP_NAME'] || '(unknown)';
}
