// When to hard-refresh an app: debounced per app, at most once per minimum interval, globally rate-limited, periodic while waiting.

import { ClusterError } from '../cluster/types.js';
import type { Log } from './log.js';
import type { TokenBucket } from './token-bucket.js';

export interface RefreshTimings {
  /** Changes arriving within this window after the first one make one refresh. */
  debounceMs: number;
  /** The least time between two refreshes of one app. */
  minIntervalMs: number;
  /** The period of the fallback refresh of apps whose last run was waiting or failed. */
  waitingRefreshMs: number;
}

export interface RefreshSchedulerOptions extends RefreshTimings {
  bucket: TokenBucket;
  log: Log;
  /** Performs one hard refresh of `app`, saying why. */
  refresh(app: string, reasons: string[]): Promise<void>;
}

/** One app's planned refreshes. */
interface Plan {
  reasons: string[];
  waiting: boolean;
  dueAt?: number;
  timer?: NodeJS.Timeout;
  periodicAt?: number;
  periodic?: NodeJS.Timeout;
  lastAt?: number;
}

/** Per-app refresh timers in front of the shared rate limit. */
export class RefreshScheduler {
  private readonly plans = new Map<string, Plan>();

  constructor(private readonly o: RefreshSchedulerOptions) {}

  // Why: every entry point works on the same per-app state, created on first use.
  private plan(app: string): Plan {
    let plan = this.plans.get(app);
    if (!plan) this.plans.set(app, (plan = { reasons: [], waiting: false }));
    return plan;
  }

  /** Plans a refresh of `app` because of `reason`; reasons arriving before it fires share it. */
  changed(app: string, reason: string): void {
    const plan = this.plan(app);
    if (!plan.reasons.includes(reason)) plan.reasons.push(reason);
    if (plan.timer) return;
    const now = Date.now();
    plan.dueAt = Math.max(now + this.o.debounceMs, (plan.lastAt ?? -Infinity) + this.o.minIntervalMs);
    plan.timer = setTimeout(() => {
      plan.timer = undefined;
      plan.dueAt = undefined;
      void this.fire(app, plan, plan.reasons.splice(0));
    }, plan.dueAt - now);
  }

  /** Drops planned change refreshes of `app`: a newer run has seen those changes. */
  superseded(app: string): void {
    const plan = this.plans.get(app);
    if (!plan) return;
    clearTimeout(plan.timer);
    plan.timer = undefined;
    plan.dueAt = undefined;
    plan.reasons = [];
  }

  /** Arms the fallback periodic refresh while the app's last run was waiting or failed; disarms it otherwise. */
  waiting(app: string, waiting: boolean): void {
    const plan = this.plan(app);
    clearTimeout(plan.periodic);
    plan.periodic = undefined;
    plan.periodicAt = undefined;
    plan.waiting = waiting;
    if (waiting) this.armPeriodic(app, plan);
  }

  // Why: the periodic refresh counts from the last refresh of any kind, so a change-driven one postpones it.
  private armPeriodic(app: string, plan: Plan): void {
    clearTimeout(plan.periodic);
    plan.periodicAt = Date.now() + this.o.waitingRefreshMs;
    plan.periodic = setTimeout(() => {
      plan.periodic = undefined;
      plan.periodicAt = undefined;
      void this.fire(app, plan, [`the flight is waiting or failed: periodic re-check every ${Math.round(this.o.waitingRefreshMs / 1000)} s`]).then(() => {
        if (this.plans.get(app) === plan && plan.waiting && plan.periodic === undefined) this.armPeriodic(app, plan);
      });
    }, this.o.waitingRefreshMs);
  }

  /** Refreshes `app` as soon as the rate limit allows, outside change tracking (start-up). */
  async now(app: string, reason: string): Promise<void> {
    await this.fire(app, this.plan(app), [reason]);
  }

  /** When the next refresh of `app` is planned, if one is. */
  nextRefreshAt(app: string): number | undefined {
    const plan = this.plans.get(app);
    const times = [plan?.dueAt, plan?.periodicAt].filter((t): t is number => t !== undefined);
    return times.length > 0 ? Math.min(...times) : undefined;
  }

  /** Forgets `app` entirely (its record was dropped). */
  forget(app: string): void {
    const plan = this.plans.get(app);
    if (!plan) return;
    clearTimeout(plan.timer);
    clearTimeout(plan.periodic);
    this.plans.delete(app);
  }

  /** Clears every timer. */
  stop(): void {
    for (const app of [...this.plans.keys()]) this.forget(app);
  }

  // Why: the rate limit is taken last, so a refresh waiting for a token is never doubled by the debounce.
  private async fire(app: string, plan: Plan, reasons: string[]): Promise<void> {
    plan.lastAt = Date.now();
    if (!(await this.o.bucket.take()) || this.plans.get(app) !== plan) return;
    if (plan.periodic) this.armPeriodic(app, plan);
    try {
      await this.o.refresh(app, reasons);
    } catch (error) {
      const transient = error instanceof ClusterError && error.reason === 'Error';
      this.o.log('warn', `hard refresh of ${app} failed${transient ? ', will retry' : ''}: ${(error as Error).message}`, { app });
      if (transient && this.plans.get(app) === plan) for (const reason of reasons) this.changed(app, reason);
    }
  }
}
