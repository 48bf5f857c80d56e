// A bounded set of flight workers kept warm and shared fairly between apps: each worker holds an instance of the module
// it ran last, ready for the next request; no app can hold every worker, the queue, or the memory of the process, and
// no worker can be wedged by one module.

import { defaultMaxQueued } from '../settings/table.js';

/** What the pool needs of a worker (a FlightWorker; a fake in unit tests). */
export interface PoolWorker {
  readonly alive: boolean;
  /** The module whose instance is ready in this worker, if any. */
  readonly prepared: WebAssembly.Module | undefined;
  /** Settles once the instance is ready; rejects when the worker dies first. */
  prepare(module: WebAssembly.Module): Promise<void>;
  terminate(): Promise<void>;
}

/** Timers the pool uses, injectable so tests can move time themselves. */
export interface PoolClock {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realClock: PoolClock = {
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface PoolOptions<W extends PoolWorker> {
  /** Workers kept; a dead one is replaced. */
  size: number;
  /** Runs one app may have on workers at once; more wait their turn. Default: half the workers, at least one. */
  perApp?: number;
  /** How long preparing an instance may take before the worker is replaced. Default 5 s. */
  prepareTimeoutMs?: number;
  /** How long a run may wait for a worker before the pool gives up on it (PoolBusy). Default 10 s. */
  queueTimeoutMs?: number;
  /** Guest memory (MiB) the running flights may reserve together; undefined: no budget. */
  memoryBudgetMib?: number | undefined;
  /** Runs that may wait for a worker at once; past it the app with the most waiting gives way (PoolBusy). Default 64. */
  maxQueued?: number | undefined;
  /** Makes a worker: `() => new FlightWorker()` in the service. */
  spawn: () => W;
  clock?: PoolClock;
  /** Told when a preparation overran and its worker was replaced. */
  onPrepareOverrun?: (module: WebAssembly.Module) => void;
}

/** Counts for /metrics and tests. */
export interface PoolStats {
  idle: number;
  preparing: number;
  running: number;
  /** Runs waiting for a worker. */
  waiting: number;
}

/** No worker became free for this run in time: the service is overloaded, which is not the flight's fault. */
export class PoolBusy extends Error {}

/** The run was cancelled (its client went away) before it finished. */
export class RunCancelled extends Error {}

/** The run's memory bound is larger than the pool's whole budget: it can never run here, so it fails at once. */
export class OverBudget extends Error {
  constructor(
    readonly memoryMib: number,
    readonly budgetMib: number,
  ) {
    super(`the flight's memory bound ${memoryMib} MiB is more than the ${budgetMib} MiB all flights in jetway serve may reserve together`);
  }
}

/** Who a run is for: the app is the unit of fairness. */
export interface RunTicket {
  app: string;
  module: WebAssembly.Module;
  /** The most guest memory the run can take (its maxMemoryMib, else the wasm limit), reserved while it runs. */
  memoryMib: number;
  /** Aborting cancels the run: a waiting run leaves the queue, a running one loses its worker. */
  signal?: AbortSignal;
}

interface Waiter<W> {
  ticket: RunTicket;
  resolve(worker: W): void;
  reject(error: Error): void;
  timer: unknown;
}

/** The default per-app share: half the workers, so one app leaves the rest to everyone else. */
export function defaultPerApp(size: number): number {
  return Math.max(1, Math.ceil(size / 2));
}

/**
 * Hands out workers, preferring one already prepared with the requested module. Waiting runs are queued per app and
 * served round-robin across apps, each app limited to `perApp` workers at once (client-go's work queue is per item;
 * here the item that must not starve the others is the app). Each run reserves its memory bound against the budget
 * while it runs; the queue is bounded, and when full the app with the most waiting runs gives one up.
 */
export class WorkerPool<W extends PoolWorker> {
  private readonly workers: W[] = [];
  private readonly running = new Set<W>();
  private readonly preparing = new Map<W, unknown>();
  private readonly perAppRunning = new Map<string, number>();
  /** The memory each running worker's run reserved. */
  private readonly reserved = new Map<W, number>();
  private readonly queues = new Map<string, Array<Waiter<W>>>();
  /** Apps with waiting runs, in the order they are next served. */
  private readonly turn: string[] = [];
  /** Modules whose preparation overran: never prepared ahead again (a run still instantiates them, under its deadline). */
  private readonly overran = new WeakSet<WebAssembly.Module>();
  private readonly clock: PoolClock;
  private closed = false;
  readonly perApp: number;
  readonly prepareTimeoutMs: number;
  readonly queueTimeoutMs: number;
  readonly memoryBudgetMib: number | undefined;
  readonly maxQueued: number;

  constructor(private readonly options: PoolOptions<W>) {
    this.clock = options.clock ?? realClock;
    this.perApp = options.perApp ?? defaultPerApp(options.size);
    this.prepareTimeoutMs = options.prepareTimeoutMs ?? 5_000;
    this.queueTimeoutMs = options.queueTimeoutMs ?? 10_000;
    this.memoryBudgetMib = options.memoryBudgetMib;
    this.maxQueued = options.maxQueued ?? defaultMaxQueued;
    for (let i = 0; i < options.size; i++) this.workers.push(options.spawn());
  }

  stats(): PoolStats {
    return { idle: this.idle().length, preparing: this.preparing.size, running: this.running.size, waiting: this.waiting() };
  }

  /** Guest memory (MiB) reserved by the running flights. */
  get reservedMib(): number {
    let total = 0;
    for (const mib of this.reserved.values()) total += mib;
    return total;
  }

  private waiting(): number {
    let waiting = 0;
    for (const queue of this.queues.values()) waiting += queue.length;
    return waiting;
  }

  /** Runs `task` on a worker for the ticket's module; the worker is released when the task settles. */
  async use<T>(ticket: RunTicket, task: (worker: W) => Promise<T>): Promise<T> {
    const worker = await this.acquire(ticket);
    if (ticket.signal?.aborted) {
      this.release(worker, ticket.app);
      throw new RunCancelled('the run was cancelled before it started');
    }
    // a cancelled run loses its worker: terminating the thread is the only way to stop a guest; the pool replaces it
    const cancel = () => void worker.terminate();
    ticket.signal?.addEventListener('abort', cancel, { once: true });
    try {
      return await task(worker);
    } finally {
      ticket.signal?.removeEventListener('abort', cancel);
      this.release(worker, ticket.app);
    }
  }

  /** Prepares idle, unprepared workers with `module` while nothing else is happening, each under the prepare deadline. */
  warm(module: WebAssembly.Module): void {
    if (this.closed || this.overran.has(module)) return;
    this.heal();
    for (const worker of this.idle()) {
      if (worker.prepared !== undefined) continue;
      // Why: the deadline is the pool's, not the worker's: a stuck `start` function wedges the thread, so only
      // replacing the worker frees the core it burns.
      const timer = this.clock.setTimeout(() => {
        if (!this.preparing.has(worker)) return;
        this.preparing.delete(worker);
        this.overran.add(module);
        this.options.onPrepareOverrun?.(module);
        void worker.terminate();
        this.dispatch();
      }, this.prepareTimeoutMs);
      this.preparing.set(worker, timer);
      worker.prepare(module).then(
        () => this.prepared(worker, timer),
        () => this.prepared(worker, timer),
      );
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const queue of this.queues.values()) for (const waiter of queue.splice(0)) this.settle(waiter, () => waiter.reject(new PoolBusy('jetway serve is shutting down')));
    for (const timer of this.preparing.values()) this.clock.clearTimeout(timer);
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private prepared(worker: W, timer: unknown): void {
    if (this.preparing.get(worker) !== timer) return; // the deadline already replaced it
    this.clock.clearTimeout(timer);
    this.preparing.delete(worker);
    this.dispatch();
  }

  private idle(): W[] {
    return this.workers.filter((w) => w.alive && !this.running.has(w) && !this.preparing.has(w));
  }

  // Why: a terminated worker (timeout, cancellation, overrun) is replaced so the pool never shrinks.
  private heal(): void {
    if (this.closed) return;
    for (let i = 0; i < this.workers.length; i++) {
      const worker = this.workers[i]!;
      if (worker.alive || this.running.has(worker)) continue;
      this.preparing.delete(worker);
      this.workers[i] = this.options.spawn();
    }
  }

  private acquire(ticket: RunTicket): Promise<W> {
    if (this.closed) return Promise.reject(new PoolBusy('jetway serve is shutting down'));
    if (ticket.signal?.aborted) return Promise.reject(new RunCancelled('the run was cancelled before it started'));
    if (this.memoryBudgetMib !== undefined && ticket.memoryMib > this.memoryBudgetMib) return Promise.reject(new OverBudget(ticket.memoryMib, this.memoryBudgetMib));
    if (this.waiting() >= this.maxQueued && !this.makeRoomFor(ticket.app)) {
      return Promise.reject(new PoolBusy(`${this.maxQueued} runs already wait for a worker (JETWAY_MAX_QUEUED_RUNS), ${this.queues.get(ticket.app)?.length ?? 0} of them this app's`));
    }
    return new Promise<W>((resolve, reject) => {
      const waiter: Waiter<W> = {
        ticket,
        resolve,
        reject,
        timer: this.clock.setTimeout(() => {
          if (this.dequeue(waiter)) {
            this.settle(waiter, () => reject(new PoolBusy(`no flight worker was free within ${this.queueTimeoutMs / 1000}s (${this.limits()})`)));
          }
        }, this.queueTimeoutMs),
      };
      ticket.signal?.addEventListener(
        'abort',
        () => {
          if (this.dequeue(waiter)) this.settle(waiter, () => reject(new RunCancelled('the run was cancelled while waiting for a worker')));
        },
        { once: true },
      );
      let queue = this.queues.get(ticket.app);
      if (!queue) this.queues.set(ticket.app, (queue = []));
      queue.push(waiter);
      if (!this.turn.includes(ticket.app)) this.turn.push(ticket.app);
      this.dispatch();
    });
  }

  /** The limits a waiting run met, as the admin sets them. */
  private limits(): string {
    const memory = this.memoryBudgetMib === undefined ? '' : `, JETWAY_SERVE_MEMORY_MIB ${this.memoryBudgetMib} with ${this.reservedMib} MiB reserved`;
    return `--workers ${this.options.size}, --max-runs-per-app ${this.perApp}${memory}`;
  }

  // Why: a full queue must not let one app's flood lock every other app out of it: the newest run of the app with the
  // most waiting runs gives way to an app with fewer; false when the newcomer's own app has the most (it is refused).
  private makeRoomFor(app: string): boolean {
    const mine = this.queues.get(app)?.length ?? 0;
    let longest: Array<Waiter<W>> | undefined;
    for (const queue of this.queues.values()) if (!longest || queue.length > longest.length) longest = queue;
    if (!longest || longest.length <= mine + 1) return false;
    const evicted = longest[longest.length - 1]!;
    this.dequeue(evicted);
    this.settle(evicted, () =>
      evicted.reject(new PoolBusy(`${this.maxQueued} runs already wait for a worker (JETWAY_MAX_QUEUED_RUNS), ${longest.length + 1} of them this app's: its newest gave way to another app`)),
    );
    return true;
  }

  private settle(waiter: Waiter<W>, outcome: () => void): void {
    this.clock.clearTimeout(waiter.timer);
    outcome();
  }

  /** Takes a waiter out of its queue; false when it was already served or dropped. */
  private dequeue(waiter: Waiter<W>): boolean {
    const queue = this.queues.get(waiter.ticket.app);
    const index = queue?.indexOf(waiter) ?? -1;
    if (index < 0) return false;
    queue!.splice(index, 1);
    if (queue!.length === 0) this.forget(waiter.ticket.app);
    return true;
  }

  private forget(app: string): void {
    this.queues.delete(app);
    const at = this.turn.indexOf(app);
    if (at >= 0) this.turn.splice(at, 1);
  }

  // Why: one place decides who runs next: the first app in turn that is under its share gets the best idle worker, then
  // goes to the back of the line, so an app with a hundred waiting runs is served as often as an app with one. When that
  // run's memory bound does not fit what the running flights left of the budget, nobody overtakes it (a big run would
  // otherwise wait forever behind small ones): it starts once enough runs have finished.
  private dispatch(): void {
    this.heal();
    for (;;) {
      const idle = this.idle();
      if (idle.length === 0) return;
      const app = this.turn.find((a) => (this.perAppRunning.get(a) ?? 0) < this.perApp);
      if (app === undefined) return;
      const queue = this.queues.get(app)!;
      const memoryMib = queue[0]!.ticket.memoryMib;
      if (this.memoryBudgetMib !== undefined && this.reservedMib + memoryMib > this.memoryBudgetMib) return;
      const waiter = queue.shift()!;
      this.turn.splice(this.turn.indexOf(app), 1);
      if (queue.length === 0) this.queues.delete(app);
      else this.turn.push(app);
      const module = waiter.ticket.module;
      const worker = idle.find((w) => w.prepared === module) ?? idle.find((w) => w.prepared === undefined) ?? idle[0]!;
      this.running.add(worker);
      this.reserved.set(worker, memoryMib);
      this.perAppRunning.set(app, (this.perAppRunning.get(app) ?? 0) + 1);
      this.settle(waiter, () => waiter.resolve(worker));
    }
  }

  private release(worker: W, app: string): void {
    this.running.delete(worker);
    this.reserved.delete(worker);
    const count = (this.perAppRunning.get(app) ?? 1) - 1;
    if (count === 0) this.perAppRunning.delete(app);
    else this.perAppRunning.set(app, count);
    this.dispatch();
  }
}
