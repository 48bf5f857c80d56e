// Fault injection: which requests fail, hang, reset or wait, and how often.

import type { RequestRecord } from './server.js';

export interface FaultMatcher {
  method?: string;
  pathPrefix?: string;
  watch?: boolean;
  match?: (r: RequestRecord) => boolean;
  /** How many matching requests fail. Default 1. */
  times?: number;
}

export type FaultResponse =
  | { status: number; retryAfter?: number; message?: string }
  | { delayMs: number }
  /** Held until the returned promise settles, then served normally: lets a test decide when a request is answered. */
  | { until: (request: RequestRecord) => Promise<unknown> }
  | { hang: true }
  | { reset: true };

export interface FaultHandle {
  /** Matching requests that were hit so far. */
  readonly hits: number;
  cancel(): void;
}

/** One injected fault and how many more requests it hits. */
interface Fault {
  matcher: FaultMatcher;
  response: FaultResponse;
  left: number;
  hits: number;
}

/** The faults injected into one fake API server, in the order they were added. */
export class Faults {
  private readonly list: Fault[] = [];

  // Adds a fault for the next `times` matching requests.
  add(matcher: FaultMatcher, response: FaultResponse): FaultHandle {
    const f: Fault = { matcher, response, left: matcher.times ?? 1, hits: 0 };
    this.list.push(f);
    return {
      get hits() {
        return f.hits;
      },
      cancel: () => {
        f.left = 0;
      },
    };
  }

  // The response of the first fault that still hits this request, counted as hit.
  take(rec: RequestRecord): FaultResponse | undefined {
    const fault = this.list.find((f) => f.left > 0 && faultMatches(f.matcher, rec));
    if (!fault) return undefined;
    fault.left -= 1;
    fault.hits += 1;
    return fault.response;
  }
}

// Whether a fault applies to a request.
function faultMatches(m: FaultMatcher, r: RequestRecord): boolean {
  if (m.method && m.method.toUpperCase() !== r.method) return false;
  if (m.pathPrefix && !r.path.startsWith(m.pathPrefix)) return false;
  if (m.watch !== undefined && m.watch !== r.watch) return false;
  if (m.match && !m.match(r)) return false;
  return true;
}
