// A global rate limit on hard refreshes: each one makes the repo-server run a flight.

import type { Clock, Timer } from './clock.js';

/** Tokens accrue at `perSecond` up to `burst`; takers wait in order. */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly waiters: Array<(taken: boolean) => void> = [];
  private timer: Timer | undefined;
  private stopped = false;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly clock: Clock,
  ) {
    if (!(perSecond > 0) || !(burst >= 1)) throw new Error(`refresh rate limit ${perSecond}/s burst ${burst} is invalid: both must be positive, burst at least 1`);
    this.tokens = burst;
    this.last = clock.now();
  }

  // Why: tokens are computed on demand from elapsed time, so an idle bucket costs no timer.
  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.perSecond) / 1000);
    this.last = now;
  }

  // Why: hands out what tokens there are, then sleeps exactly until the next one is due.
  private drain(): void {
    this.refill();
    while (this.waiters.length > 0 && this.tokens >= 1) {
      this.tokens -= 1;
      this.waiters.shift()!(true);
    }
    if (this.waiters.length > 0 && this.timer === undefined) {
      const waitMs = Math.ceil(((1 - this.tokens) * 1000) / this.perSecond);
      this.timer = this.clock.after(waitMs, () => {
        this.timer = undefined;
        this.drain();
      });
    }
  }

  /** Resolves true once a token is taken, false if the bucket is stopped first. */
  take(): Promise<boolean> {
    if (this.stopped) return Promise.resolve(false);
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      this.drain();
    });
  }

  /** Releases every waiter with false; later takes fail at once. */
  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
    for (const waiter of this.waiters.splice(0)) waiter(false);
  }
}
