// How a failed generate reads, in one place: the same lines whether generate ran in-process or in `jetway serve`.

import { FlightError } from '../wasi/errors.js';

/** The failure in one line for run records and Events: a flight's non-zero exit says nothing, so its last stderr line is added. */
export function failureSummary(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const last = error instanceof FlightError && error.kind === 'exit' ? error.stderr.trim().split('\n').at(-1)?.trim() : undefined;
  return last ? `${message}: ${last}` : message;
}

/** One line saying what failed (what Argo CD shows as the ComparisonError), then the flight's own stderr. */
export function failureText(error: unknown, what: string): string {
  const message = error instanceof Error ? error.message : String(error);
  const lines = [`jetway: ${what} failed: ${message.replace(/\s*\n\s*/g, ' ')}`];
  if (error instanceof FlightError && error.stderr.trim() !== '') lines.push('--- flight stderr ---', error.stderr.trimEnd());
  return lines.join('\n') + '\n';
}
