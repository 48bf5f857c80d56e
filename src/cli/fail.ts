// How every command fails: one line saying what failed and what to do, then the flight's own stderr, exit 1.

import { failureText } from '../argocd/failure.js';

export { failureSummary } from '../argocd/failure.js';

/** Writes the failure for a human (or Argo CD's ComparisonError) and sets a non-zero exit code; `redact` is the last step before the text leaves. */
export function reportFailure(error: unknown, what: string, redact: (text: string) => string = (text) => text): void {
  process.stderr.write(redact(failureText(error, what)));
  process.exitCode = 1;
}
