// A Clock that moves only when a test says so: timers fire in order of due time, none before its time.

import { sleepOn, type Clock, type Timer } from '../../src/refresher/clock.js';

interface Pending {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/** Time under the test's control, starting at the real time (run records compare with it). */
export class ManualClock implements Clock {
  private t: number;
  private seq = 0;
  private timers: Pending[] = [];

  constructor(start = Date.now()) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  after(ms: number, fn: () => void): Timer {
    const entry: Pending = { at: this.t + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.timers.push(entry);
    return { cancel: () => void (entry.cancelled = true) };
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, ms, signal);
  }

  /** Moves time forward by `ms`, firing each timer due on the way at its own time, earliest (then oldest) first. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (let next = this.due(end); next; next = this.due(end)) {
      this.timers = this.timers.filter((p) => p !== next);
      this.t = next.at;
      next.fn();
    }
    this.t = end;
  }

  /** Due times of the timers not yet fired or cancelled, soonest first. */
  get pending(): number[] {
    return this.timers
      .filter((p) => !p.cancelled)
      .map((p) => p.at)
      .sort((a, b) => a - b);
  }

  // Why: the earliest live timer due by `end`, so advance() fires in time order even when a timer arms another.
  private due(end: number): Pending | undefined {
    this.timers = this.timers.filter((p) => !p.cancelled);
    let best: Pending | undefined;
    for (const p of this.timers) if (p.at <= end && (!best || p.at < best.at || (p.at === best.at && p.seq < best.seq))) best = p;
    return best;
  }
}

/**
 * Waits for `check` while letting the clock run: each round advances `stepMs` and yields to real I/O, so backoff sleeps
 * and retries elapse in simulated time; fails with `what` after `rounds` rounds. While `busy()` says real I/O is still
 * in flight, the clock holds still, so a slow machine cannot turn one request's latency into seconds of simulated time.
 */
export async function runUntil(clock: ManualClock, what: string, check: () => boolean, stepMs = 50, rounds = 400, busy: () => boolean = () => false): Promise<void> {
  for (let i = 0, held = 0; !check();) {
    if (busy()) {
      if (++held > 6_000) throw new Error(`timed out waiting until ${what}: I/O still in flight after 30 s`);
    } else {
      if (i++ >= rounds) throw new Error(`timed out waiting until ${what} (${(rounds * stepMs) / 1000} s of simulated time)`);
      clock.advance(stepMs);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}
