// Every way a flight run can fail, as one error type whose message is the single line users read.

import type { AbortKind } from './protocol.js';

export type FlightFailure = 'exit' | 'trap' | 'timeout' | 'memory' | 'output-limit' | 'instantiate' | 'host' | 'crash' | 'module' | 'output';

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
        return new FlightError('output-limit', `${message}: the flight's output is capped; raise the stdout limit only if the flight really emits that much`, stderr);
      case 'host':
        return new FlightError('host', `flight broke the host ABI: ${message}`, stderr);
      case 'instantiate':
        return new FlightError('instantiate', `could not instantiate the flight module: ${message}`, stderr);
      case 'trap':
        return new FlightError('trap', `flight crashed (wasm trap: ${message})`, stderr);
    }
  }

  static timeout(ms: number): FlightError {
    return new FlightError('timeout', `flight timed out after ${formatMs(ms)}: raise the timeout parameter or make the flight finish sooner`, '');
  }
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
