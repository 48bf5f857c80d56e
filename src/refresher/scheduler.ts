// When to hard-refresh an app: debounced per app, at most once per minimum interval, globally rate-limited, confirmed by a
// generate that started after the request (asked again when Argo CD dropped it), and periodic while waiting.

import { ClusterError } from '../cluster/types.js';
import type { Clock, Timer } from './clock.js';
import type { Log } from './log.js';
import type { TokenBucket } from './token-bucket.js';

export interface RefreshTimings {
  /** Changes arriving within this window after the first one make one refresh. */
  debounceMs: number;
  /** The least time between two change-driven refreshes of one app. */
  minIntervalMs: number;
  /** The period of the fallback refresh of apps whose last run was waiting or failed. */
  waitingRefreshMs: number;
  /** How long after a hard refresh a generate that started after it is first looked for; doubles per check. */
  confirmMs: number;
  /** Checks of one unconfirmed refresh (each asks again if Argo CD dropped it) before only the periodic re-check is left. */
  confirmAttempts: number;
}

/** What Argo CD did with a refresh no generate has answered yet. */
export type RefreshState = 'pending' | 'dropped' | 'gone';

export interface RefreshSchedulerOptions extends RefreshTimings {
  bucket: TokenBucket;
  clock: Clock;
  log: Log;
  /** Performs one hard refresh of `app` stamped `at`, saying why; resolves false if the Application is gone. */
  refresh(app: string, reasons: string[], at: number): Promise<boolean>;
  /** Whether Argo CD still holds the refresh request (`pending`), removed it (`dropped`), or the Application is gone. */
  state(app: string): Promise<RefreshState>;
}

/** A hard refresh no generate has answered yet. */
interface Unconfirmed {
  requestedAt: number;
  reasons: string[];
  attempt: number;
  /** The refresh acts on changes (not the periodic re-check): a failed generate answering it plans it again, backed off. */
  changeDriven: boolean;
  timer?: Timer;
}

/** One app's planned refreshes. */
interface Plan {
  reasons: string[];
  /** When the newest pending reason was seen: a run that started later saw it. */
  seenAt?: number;
  waiting: boolean;
  dueAt?: number;
  timer?: Timer;
  periodicAt?: number;
  periodic?: Timer;
  lastAt?: number;
  unconfirmed?: Unconfirmed;
  /** Change-driven refreshes answered by a failed generate in a row: each waits twice as long before it is asked again. */
  failedInARow: number;
  retry?: { plannedAt: number; at: number; reasons: string[]; timer: Timer };
}

/** Per-app refresh timers in front of the shared rate limit. */
export class RefreshScheduler {
  private readonly plans = new Map<string, Plan>();
  /** Refreshes and confirmation checks under way, for settled(). */
  private readonly inflight = new Set<Promise<void>>();

  constructor(private readonly o: RefreshSchedulerOptions) {}

  /** Whether any tracked work is under way. */
  get busy(): boolean {
    return this.inflight.size > 0;
  }

  /** Resolves once every refresh and confirmation check started so far has ended (timers not yet due are not waited for). */
  async settled(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  // Why: work a timer starts is tracked, so settled() covers it.
  private track(work: Promise<void>): Promise<void> {
    const running = work.finally(() => this.inflight.delete(running));
    this.inflight.add(running);
    return running;
  }

  // Why: every entry point works on the same per-app state, created on first use.
  private plan(app: string): Plan {
    let plan = this.plans.get(app);
    if (!plan) this.plans.set(app, (plan = { reasons: [], waiting: false, failedInARow: 0 }));
    return plan;
  }

  /** Plans a refresh of `app` because of `reason`; reasons arriving before it fires share it. */
  changed(app: string, reason: string): void {
    const plan = this.plan(app);
    const now = this.o.clock.now();
    plan.seenAt = now;
    if (!plan.reasons.includes(reason)) plan.reasons.push(reason);
    if (plan.timer) return;
    plan.dueAt = Math.max(now + this.o.debounceMs, (plan.lastAt ?? -Infinity) + this.o.minIntervalMs);
    plan.timer = this.o.clock.after(plan.dueAt - now, () => {
      plan.timer = undefined;
      plan.dueAt = undefined;
      // a change-driven refresh also carries the changes a pending retry would have asked for again
      const reasons = [...new Set([...(plan.retry?.reasons ?? []), ...plan.reasons.splice(0)])];
      plan.retry?.timer.cancel();
      plan.retry = undefined;
      void this.track(this.fire(app, plan, reasons, 0, true));
    });
  }

  /**
   * A generate of `app` started at `startedAt`: it answers every refresh requested before and, if it succeeded, acted on
   * every change seen before; changes seen and refreshes requested after it started still stand.
   */
  ran(app: string, startedAt: number, succeeded: boolean): void {
    const plan = this.plans.get(app);
    if (!plan) return;
    // a failed run answered the request but acted on no change (Argo CD keeps the last good manifests): changes stay planned
    if (succeeded && plan.reasons.length > 0 && plan.seenAt !== undefined && startedAt >= plan.seenAt) {
      plan.timer?.cancel();
      plan.timer = undefined;
      plan.dueAt = undefined;
      plan.reasons = [];
    }
    if (succeeded) plan.failedInARow = 0;
    // a good run that started after a retry was planned acted on its changes
    if (succeeded && plan.retry && startedAt >= plan.retry.plannedAt) {
      plan.retry.timer.cancel();
      plan.retry = undefined;
    }
    if (plan.unconfirmed && startedAt >= plan.unconfirmed.requestedAt) {
      const answered = plan.unconfirmed;
      answered.timer?.cancel();
      plan.unconfirmed = undefined;
      if (!succeeded && answered.changeDriven) this.retryFailed(app, plan, answered.reasons);
    }
  }

  // Why: a generate can fail for a passing reason (the API server answering 500, a registry down) while the change it was
  // asked for still stands; the change is asked for again, backed off per failure in a row up to the periodic re-check's
  // period, so a stage does not wait for that period after a blip, and a flight that keeps failing costs little.
  private retryFailed(app: string, plan: Plan, reasons: string[]): void {
    plan.failedInARow++;
    const delay = Math.min(this.o.waitingRefreshMs, Math.max(this.o.minIntervalMs, this.o.debounceMs) * 2 ** (plan.failedInARow - 1));
    plan.retry?.timer.cancel();
    this.o.log('info', `the generate answering the hard refresh of ${app} failed: asking again in ${Math.round(delay / 1000)} s`, { app, failedInARow: plan.failedInARow });
    const retry = {
      plannedAt: this.o.clock.now(),
      at: this.o.clock.now() + delay,
      reasons,
      timer: this.o.clock.after(delay, () => {
        if (plan.retry !== retry) return;
        plan.retry = undefined;
        if (this.plans.get(app) === plan) void this.track(this.fire(app, plan, reasons, 0, true));
      }),
    };
    plan.retry = retry;
  }

  /** Arms the fallback periodic refresh while the app's last run was waiting or failed; disarms it otherwise. */
  waiting(app: string, waiting: boolean): void {
    const plan = this.plan(app);
    plan.periodic?.cancel();
    plan.periodic = undefined;
    plan.periodicAt = undefined;
    plan.waiting = waiting;
    if (waiting) this.armPeriodic(app, plan);
  }

  // Why: the periodic refresh counts from the last refresh of any kind, so a change-driven one postpones it.
  private armPeriodic(app: string, plan: Plan): void {
    plan.periodic?.cancel();
    plan.periodicAt = this.o.clock.now() + this.o.waitingRefreshMs;
    plan.periodic = this.o.clock.after(this.o.waitingRefreshMs, () => {
      plan.periodic = undefined;
      plan.periodicAt = undefined;
      const reason = plan.waiting
        ? `the flight is waiting or failed: periodic re-check every ${Math.round(this.o.waitingRefreshMs / 1000)} s`
        : 'an earlier hard refresh was never followed by a generate: last-resort re-check';
      void this.track(
        this.fire(app, plan, [reason], 0, false).then(() => {
          if (this.plans.get(app) === plan && plan.waiting && plan.periodic === undefined) this.armPeriodic(app, plan);
        }),
      );
    });
  }

  /** Refreshes `app` as soon as the rate limit allows, outside change tracking. */
  async now(app: string, reason: string): Promise<void> {
    await this.track(this.fire(app, this.plan(app), [reason], 0, false));
  }

  /** When the next refresh of `app` is planned, if one is. */
  nextRefreshAt(app: string): number | undefined {
    const plan = this.plans.get(app);
    const times = [plan?.dueAt, plan?.periodicAt, plan?.retry?.at].filter((t): t is number => t !== undefined);
    return times.length > 0 ? Math.min(...times) : undefined;
  }

  /** When a hard refresh of `app` was requested that no generate has answered yet, if one was. */
  unansweredSince(app: string): number | undefined {
    return this.plans.get(app)?.unconfirmed?.requestedAt;
  }

  /** Forgets `app` entirely (its record was dropped). */
  forget(app: string): void {
    const plan = this.plans.get(app);
    if (!plan) return;
    plan.timer?.cancel();
    plan.periodic?.cancel();
    plan.retry?.timer.cancel();
    plan.unconfirmed?.timer?.cancel();
    this.plans.delete(app);
  }

  /** Clears every timer. */
  stop(): void {
    for (const app of [...this.plans.keys()]) this.forget(app);
  }

  // Why: the rate limit is taken last, so a refresh waiting for a token is never doubled by the debounce.
  private async fire(app: string, plan: Plan, reasons: string[], attempt: number, changeDriven: boolean): Promise<void> {
    plan.lastAt = this.o.clock.now();
    if (!(await this.o.bucket.take()) || this.plans.get(app) !== plan) return;
    if (plan.periodic) this.armPeriodic(app, plan);
    // Registered before the PATCH is sent: the generate answering it may report before the PATCH's response arrives.
    const u: Unconfirmed = { requestedAt: this.o.clock.now(), reasons, attempt, changeDriven };
    plan.unconfirmed?.timer?.cancel();
    plan.unconfirmed = u;
    let requested: boolean;
    try {
      requested = await this.o.refresh(app, reasons, u.requestedAt);
    } catch (error) {
      if (plan.unconfirmed === u) plan.unconfirmed = undefined;
      const transient = error instanceof ClusterError && error.reason === 'Error';
      this.o.log('warn', `hard refresh of ${app} failed${transient ? ', will retry' : ''}: ${(error as Error).message}`, { app });
      if (transient && this.plans.get(app) === plan) for (const reason of reasons) this.changed(app, reason);
      return;
    }
    if (requested && this.plans.get(app) === plan && plan.unconfirmed === u) this.armConfirm(app, plan, u);
  }

  // Why: released Argo CD (v3.5.1) removes a refresh request that arrives while it reconciles the app, with no generate
  // for it (argo-cd#28603 fixes that on master only), so a request counts as done only once a generate started after it.
  private armConfirm(app: string, plan: Plan, u: Unconfirmed): void {
    u.timer = this.o.clock.after(this.o.confirmMs * 2 ** u.attempt, () => {
      u.timer = undefined;
      void this.track(this.confirm(app, plan, u));
    });
  }

  // Why: still requested = Argo CD is busy, wait longer; removed without a generate = dropped, ask again; both bounded.
  private async confirm(app: string, plan: Plan, u: Unconfirmed): Promise<void> {
    let state: RefreshState;
    try {
      state = await this.o.state(app);
    } catch (error) {
      this.o.log('warn', `cannot read the Application of ${app} to confirm its hard refresh: ${(error as Error).message}`, { app });
      state = 'pending';
    }
    if (state === 'gone' || this.plans.get(app) !== plan || plan.unconfirmed !== u) return;
    if (u.attempt + 1 >= this.o.confirmAttempts) {
      plan.unconfirmed = undefined;
      this.o.log('warn', `no generate of ${app} followed its hard refresh after ${this.o.confirmAttempts} checks: leaving it to the periodic re-check`, { app });
      if (!plan.periodic) this.armPeriodic(app, plan);
      return;
    }
    if (state === 'pending') {
      u.attempt++;
      this.armConfirm(app, plan, u);
      return;
    }
    this.o.log('info', `Argo CD removed the hard refresh of ${app} without a generate: asking again`, { app, attempt: u.attempt + 1 });
    await this.fire(app, plan, u.reasons, u.attempt + 1, u.changeDriven);
  }
}
