// How every command fails: one line saying what failed and what to do, then the flight's own stderr, exit 1.

import { FlightError } from '../wasi/errors.js';

/** The failure in one line for run records and Events: a flight's non-zero exit says nothing, so its last stderr line is added. */
export function failureSummary(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const last = error instanceof FlightError && error.kind === 'exit' ? error.stderr.trim().split('\n').at(-1)?.trim() : undefined;
  return last ? `${message}: ${last}` : message;
}

/** Writes the failure for a human (or Argo CD's ComparisonError) and sets a non-zero exit code; `redact` is the last step before the text leaves. */
export function reportFailure(error: unknown, what: string, redact: (text: string) => string = (text) => text): void {
  const message = error instanceof Error ? error.message : String(error);
  const lines = [`jetway: ${what} failed: ${message.replace(/\s*\n\s*/g, ' ')}`];
  if (error instanceof FlightError && error.stderr.trim() !== '') lines.push('--- flight stderr ---', error.stderr.trimEnd());
  process.stderr.write(redact(lines.join('\n')) + '\n');
  process.exitCode = 1;
}
