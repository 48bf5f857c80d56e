// How every command fails: one line saying what failed and what to do, then the flight's own stderr, exit 1.

import { failureText } from '../argocd/failure.js';

export { failureSummary } from '../argocd/failure.js';

/** Writes the failure for a human (or Argo CD's ComparisonError) and sets a non-zero exit code. */
export function reportFailure(error: unknown, what: string): void {
  process.stderr.write(failureText(error, what));
  process.exitCode = 1;
}
