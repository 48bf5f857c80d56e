// A bounded set of flight workers kept warm: each holds an instance of the module it ran last, ready for the next request.

import { FlightWorker } from '../wasi/flight-worker.js';

/** Hands out workers, preferring one already prepared with the requested module; waits when all are busy. */
export class WorkerPool {
  private readonly workers: FlightWorker[] = [];
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly size: number) {
    for (let i = 0; i < size; i++) this.workers.push(new FlightWorker());
  }

  // Why: a terminated worker (timeout) is replaced so the pool never shrinks.
  private heal(): void {
    for (let i = 0; i < this.workers.length; i++) {
      if (!this.workers[i]!.alive) this.workers[i] = new FlightWorker();
    }
  }

  private pick(module: WebAssembly.Module): FlightWorker | undefined {
    this.heal();
    const idle = this.workers.filter((w) => w.idle);
    return idle.find((w) => w.prepared === module) ?? idle.find((w) => w.prepared === undefined) ?? idle[0];
  }

  /** Runs `task` on a worker for `module`; the worker is released when the task settles. */
  async use<T>(module: WebAssembly.Module, task: (worker: FlightWorker) => Promise<T>): Promise<T> {
    let worker = this.pick(module);
    while (!worker) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
      worker = this.pick(module);
    }
    try {
      return await task(worker);
    } finally {
      this.waiting.shift()?.();
    }
  }

  /** Prepares idle, unprepared workers with `module` while nothing else is happening. */
  warm(module: WebAssembly.Module): void {
    this.heal();
    for (const w of this.workers) if (w.idle && w.prepared === undefined) w.prepare(module);
  }

  get capacity(): number {
    return this.size;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
