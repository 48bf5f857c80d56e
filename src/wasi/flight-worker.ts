// One worker thread that runs flights, seen from the parent: answers its host calls, enforces the deadline.

import { MessageChannel, Worker } from 'node:worker_threads';
import type { HostCall, HostHandler } from './states.js';
import { FlightError } from './errors.js';
import type { FromWorker, InstanceOrigin, ModuleRef, RunMessage } from './protocol.js';

/** The default JavaScript heap of a flight worker thread, in MiB (JETWAY_WORKER_HEAP_MIB): the host's buffers for one run. */
export const defaultWorkerHeapMib = 128;

export interface FlightWorkerOptions {
  /** Bound on the thread's JavaScript heap (the host's buffers for a run; wasm memory is bounded by maxMemoryMib). */
  heapMib?: number | undefined;
}

const workerUrl = new URL('./worker.js', import.meta.url);

export interface WorkerRun {
  module: WebAssembly.Module;
  argv: string[];
  env: string[];
  stdin: Uint8Array;
  outputLimit: number;
  /** undefined: no deadline. */
  timeoutMs: number | undefined;
  host: HostHandler;
}

export interface WorkerResult {
  exitCode: number;
  stdout: Uint8Array;
  stderr: string;
  instance: InstanceOrigin;
}

const decoder = new TextDecoder();

const moduleIds = new WeakMap<WebAssembly.Module, number>();
let lastModuleId = 0;

// Why: a worker recognises the module of its prepared instance by this id, never by object identity.
function moduleRef(module: WebAssembly.Module): ModuleRef {
  let id = moduleIds.get(module);
  if (id === undefined) moduleIds.set(module, (id = ++lastModuleId));
  return { id, module };
}

/** A worker that can run many flights one after another, and be prepared ahead of each. */
export class FlightWorker {
  private readonly worker: Worker;
  private readonly flag = new Int32Array(new SharedArrayBuffer(4));
  private readonly answers = new MessageChannel();
  private busy = false;
  private dead = false;
  private preparedModule: WebAssembly.Module | undefined;

  private readonly heapMib: number;

  constructor(options: FlightWorkerOptions = {}) {
    this.heapMib = options.heapMib ?? defaultWorkerHeapMib;
    this.worker = new Worker(workerUrl, {
      workerData: { flag: this.flag, port: this.answers.port2 },
      transferList: [this.answers.port2],
      stdout: false,
      stderr: false,
      resourceLimits: { maxOldGenerationSizeMb: this.heapMib, maxYoungGenerationSizeMb: Math.max(4, Math.min(32, this.heapMib / 8)) },
    });
    this.worker.unref();
    this.worker.on('error', () => {
      this.dead = true;
    });
    this.worker.on('exit', () => {
      this.dead = true;
    });
  }

  get alive(): boolean {
    return !this.dead;
  }

  get idle(): boolean {
    return !this.busy && !this.dead;
  }

  /** The module whose instance is ready in this worker, if any. */
  get prepared(): WebAssembly.Module | undefined {
    return this.preparedModule;
  }

  // Why: instantiation costs as much as the run; doing it while idle takes it off the request path. The worker is busy
  // until its instance is ready, and the promise settles then (or rejects when the worker dies), so the caller can put
  // a deadline on it: instantiating runs the module's wasm `start` function, which an app author may make never return.
  prepare(module: WebAssembly.Module): Promise<void> {
    if (this.busy || this.dead) return Promise.reject(new Error('flight worker is not idle'));
    this.busy = true;
    this.preparedModule = module;
    return new Promise<void>((resolve, reject) => {
      const finish = (outcome: () => void) => {
        this.worker.off('message', onMessage);
        this.worker.off('exit', onExit);
        this.busy = false;
        outcome();
      };
      const onMessage = (message: FromWorker) => {
        if (message.type === 'prepared') finish(resolve);
      };
      const onExit = () => finish(() => reject(new Error('the flight worker exited while preparing an instance')));
      this.worker.on('message', onMessage);
      this.worker.once('exit', onExit);
      this.worker.postMessage({ type: 'prepare', module: moduleRef(module) });
    });
  }

  // Why: runs one flight; the deadline terminates the thread, which is the only way to stop a spinning guest.
  run(job: WorkerRun): Promise<WorkerResult> {
    if (this.busy || this.dead) return Promise.reject(new Error('flight worker is not idle'));
    this.busy = true;
    this.preparedModule = undefined;
    return new Promise<WorkerResult>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      let pending: HostCall | undefined; // the host call the guest is blocked on, if any
      const finish = (outcome: () => void) => {
        if (timer) clearTimeout(timer);
        this.worker.off('message', onMessage);
        this.worker.off('exit', onExit);
        this.worker.off('error', onError);
        this.busy = false;
        outcome();
      };
      const onMessage = (message: FromWorker) => {
        switch (message.type) {
          case 'host-call':
            pending = message.call;
            void job
              .host(message.call)
              .then(
                (answer) => this.answer(answer),
                (error: unknown) => this.answer({ state: 2, body: error instanceof Error ? error.message : String(error) }),
              )
              .finally(() => (pending = undefined));
            return;
          case 'exited':
            finish(() => resolve({ exitCode: message.exitCode, stdout: message.stdout, stderr: decoder.decode(message.stderr), instance: message.instance }));
            return;
          case 'aborted':
            finish(() => reject(FlightError.fromAbort(message.kind, message.message, decoder.decode(message.stderr))));
            return;
          case 'prepared':
            return;
        }
      };
      const onExit = () => finish(() => reject(new FlightError('crash', 'the flight worker exited unexpectedly', '')));
      const onError = (error: Error) => finish(() => reject(this.failure(error)));
      this.worker.on('message', onMessage);
      this.worker.once('exit', onExit);
      this.worker.once('error', onError);
      if (job.timeoutMs !== undefined) {
        timer = setTimeout(() => {
          finish(() => reject(FlightError.timeout(job.timeoutMs!, pending)));
          void this.terminate();
        }, job.timeoutMs);
      }
      const message: RunMessage = {
        type: 'run',
        module: moduleRef(job.module),
        argv: job.argv,
        env: job.env,
        stdin: job.stdin,
        outputLimit: job.outputLimit,
      };
      this.worker.postMessage(message);
    });
  }

  // Why: a worker that ran out of its heap bound is the flight's doing (host-side buffers); say which setting raises it.
  private failure(error: Error): FlightError {
    if ((error as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY') {
      return new FlightError(
        'memory',
        `the flight's host-side buffers exceeded the worker heap bound of ${this.heapMib} MiB (JETWAY_WORKER_HEAP_MIB): make the flight write and look up less, or raise JETWAY_WORKER_HEAP_MIB`,
        '',
      );
    }
    return new FlightError('crash', `the flight worker failed: ${error.message}`, '');
  }

  // Why: the worker is blocked in Atomics.wait; the answer goes on the port first, then the flag wakes it.
  private answer(answer: { state: number; body: string }): void {
    if (this.dead) return;
    this.answers.port1.postMessage(answer);
    Atomics.store(this.flag, 0, 1);
    Atomics.notify(this.flag, 0);
  }

  async terminate(): Promise<void> {
    this.dead = true;
    this.answers.port1.close();
    await this.worker.terminate();
  }
}
