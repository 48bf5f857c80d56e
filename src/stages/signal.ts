// The flight's done / waiting / failed signal, read one way for everything that reports on a flight: the record the
// refresher re-checks and announces from, the FlightStatus object the Argo CD dashboard shows, render and simulate.

/** How a flight's run left its orchestration. */
export type FlightState = 'done' | 'waiting' | 'failed';

export interface FlightSignal {
  state: FlightState;
  /** The flight's own words: the Ready condition's message, else its status.message. */
  message: string | undefined;
  /** Where the state came from: the flight's Ready condition (yoke's convention) or jetway's rule for flights without one. */
  source: 'ready-condition' | 'rule';
}

interface Condition {
  type?: unknown;
  status?: unknown;
  reason?: unknown;
  message?: unknown;
}

/** Reasons of a Ready=False condition that mean the flight gave up rather than waits (yoke's and kstatus' wording). */
const failureReasons = new Set(['Failed', 'Error']);

/** A string field of a plain object, else undefined. */
function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** status.message when it is a string; else the status itself when it is one. */
function statusMessage(status: unknown): string | undefined {
  if (typeof status === 'string') return text(status);
  if (typeof status !== 'object' || status === null) return undefined;
  return text((status as { message?: unknown }).message);
}

/** The Ready entry of status.conditions, as yoke's flight.Status and the ATC write it. */
function readyCondition(status: unknown): Condition | undefined {
  const conditions = typeof status === 'object' && status !== null ? (status as { conditions?: unknown }).conditions : undefined;
  if (!Array.isArray(conditions)) return undefined;
  return conditions.find((c): c is Condition => typeof c === 'object' && c !== null && (c as Condition).type === 'Ready');
}

/**
 * The signal of one successful run. yoke's convention first: status.conditions[type=Ready] True is done; False is
 * waiting, or failed when its reason is Failed or Error; Unknown is waiting. Without a Ready condition, jetway's rule:
 * a message that says the flight failed ("job two failed: ...") is failed; a message that says it waits, or a lookup
 * that found nothing, is waiting; anything else is done.
 */
export function flightSignal(status: unknown, lookedUpMissing: boolean): FlightSignal {
  const ready = readyCondition(status);
  if (ready) {
    const message = text(ready.message) ?? statusMessage(status);
    if (ready.status === 'True') return { state: 'done', message, source: 'ready-condition' };
    const failed = ready.status === 'False' && typeof ready.reason === 'string' && failureReasons.has(ready.reason);
    return { state: failed ? 'failed' : 'waiting', message, source: 'ready-condition' };
  }
  const message = statusMessage(status);
  const says = (word: RegExp) => message !== undefined && word.test(message);
  if (says(/\bfail(ed|ure|s)?\b/i) && !says(/\bwait/i)) return { state: 'failed', message, source: 'rule' };
  if (says(/\bwait/i) || lookedUpMissing) return { state: 'waiting', message, source: 'rule' };
  return { state: 'done', message, source: 'rule' };
}
