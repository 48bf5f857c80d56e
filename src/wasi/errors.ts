// Every way a flight run can fail, as one error type whose message is the single line users read.

import type { HostCall } from './states.js';
import type { AbortKind } from './protocol.js';

export type FlightFailure = 'exit' | 'trap' | 'timeout' | 'memory' | 'output-limit' | 'instantiate' | 'host' | 'crash' | 'output';

/** A failed run: `message` says what failed and what to do; `stderr` is the flight's own stderr. */
export class FlightError extends Error {
  constructor(
    readonly kind: FlightFailure,
    message: string,
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'FlightError';
  }

  static fromAbort(kind: AbortKind, message: string, stderr: string): FlightError {
    switch (kind) {
      case 'output-limit':
        return new FlightError('output-limit', `${message}: the flight's output is capped; make it write less, or raise JETWAY_MAX_OUTPUT_BYTES if it really emits that much`, stderr);
      case 'host':
        return new FlightError('host', `flight broke the host ABI: ${message}`, stderr);
      case 'instantiate':
        return new FlightError('instantiate', `could not instantiate the flight module: ${message}`, stderr);
      case 'trap':
        return new FlightError('trap', `flight crashed (wasm trap: ${message})`, stderr);
    }
  }

  // Why: a run that asked for no deadline (or a longer one) was stopped by the admin's ceiling, not by its own timeout.
  // A timeout that already names the ceiling is kept: the service may have applied a lower one than generate's.
  static ceilingTimeout(ms: number, error?: FlightError): FlightError {
    if (error?.message.includes('JETWAY_MAX_TIMEOUT')) return error;
    return new FlightError(
      'timeout',
      `flight timed out after ${formatMs(ms)}, the admin ceiling JETWAY_MAX_TIMEOUT for flights with no timeout or a longer one: make the flight finish sooner, or ask the admin to raise JETWAY_MAX_TIMEOUT`,
      '',
    );
  }

  // Why: a deadline that struck while the cluster had not answered is the cluster's slowness, not the flight's; say which.
  static timeout(ms: number, pending?: HostCall): FlightError {
    if (pending) {
      return new FlightError(
        'timeout',
        `flight timed out after ${formatMs(ms)} waiting for the cluster to answer ${describeCall(pending)}: check that the API server is reachable and healthy, or raise the timeout parameter`,
        '',
      );
    }
    return new FlightError('timeout', `flight timed out after ${formatMs(ms)}: raise the timeout parameter or make the flight finish sooner`, '');
  }
}

/** A host call as a user names the object: `a lookup of Job pipelines/one (batch/v1)`. */
function describeCall(call: HostCall): string {
  if (call.op === 'k8s_rest_mapping') return `a kind lookup of ${call.kind} (${call.groupOrAPIVersion || 'core'})`;
  return `a lookup of ${call.kind} ${call.namespace ? `${call.namespace}/` : ''}${call.name} (${call.apiVersion})`;
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
