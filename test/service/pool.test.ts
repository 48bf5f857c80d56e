// The service's worker pool with fake workers and a fake clock: prepared instances, the prepare deadline, per-app
// shares and round-robin turns, the queue limit and cancellation, without threads or real time; and one real worker
// wedged in a module's start function.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCompiled } from '../../src/flight/runner.js';
import { OverBudget, PoolBusy, RunCancelled, WorkerPool, defaultPerApp, type PoolClock, type PoolWorker } from '../../src/service/pool.js';
import { FlightWorker } from '../../src/wasi/flight-worker.js';
import { tinyModule } from '../support/tiny-module.js';
import { watModule } from '../support/wat.js';

/** Timers that fire only when the test moves time. */
class FakeClock implements PoolClock {
  private now = 0;
  private next = 0;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.next;
    this.timers.set(id, { at: this.now + ms, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  advance(ms: number): void {
    this.now += ms;
    for (const [id, timer] of [...this.timers].sort((a, b) => a[1].at - b[1].at)) {
      if (timer.at > this.now || !this.timers.has(id)) continue;
      this.timers.delete(id);
      timer.fn();
    }
  }
}

/** A worker whose preparations finish when the test says so. */
class FakeWorker implements PoolWorker {
  static made = 0;
  readonly id = ++FakeWorker.made;
  alive = true;
  prepared: WebAssembly.Module | undefined;
  prepares = 0;
  private pending: { resolve(): void; reject(e: Error): void } | undefined;

  prepare(module: WebAssembly.Module): Promise<void> {
    this.prepares++;
    this.prepared = module;
    return new Promise((resolve, reject) => (this.pending = { resolve, reject }));
  }

  ready(): void {
    this.pending?.resolve();
    this.pending = undefined;
  }

  terminate(): Promise<void> {
    this.alive = false;
    this.pending?.reject(new Error('terminated'));
    return Promise.resolve();
  }
}

const moduleA = new WebAssembly.Module(tinyModule('a') as Uint8Array<ArrayBuffer>);
const moduleB = new WebAssembly.Module(tinyModule('b') as Uint8Array<ArrayBuffer>);
const settled = () => new Promise((r) => setImmediate(r));

function pool(size: number, options: { perApp?: number; memoryBudgetMib?: number; maxQueued?: number } = {}) {
  const clock = new FakeClock();
  const workers: FakeWorker[] = [];
  const overruns: WebAssembly.Module[] = [];
  const p = new WorkerPool<FakeWorker>({
    size,
    ...options,
    clock,
    spawn: () => {
      const w = new FakeWorker();
      workers.push(w);
      return w;
    },
    onPrepareOverrun: (m) => overruns.push(m),
  });
  return { pool: p, clock, workers, overruns };
}

/** A run that holds its worker until `finish()`; `worker` is the one it got. */
function hold(p: WorkerPool<FakeWorker>, app: string, module = moduleA, signal?: AbortSignal, memoryMib = 64) {
  let finish!: () => void;
  let worker: FakeWorker | undefined;
  const done = p.use({ app, module, signal, memoryMib }, (w) => {
    worker = w;
    return new Promise<void>((r) => (finish = r));
  });
  return {
    done,
    get worker() {
      return worker;
    },
    finish: () => finish(),
  };
}

/** Finishes held runs one at a time, each once it holds a worker: the order the pool serves them in. */
async function finishInPoolOrder(runs: Array<ReturnType<typeof hold>>): Promise<void> {
  const finished = new Set<ReturnType<typeof hold>>();
  for (let i = 0; i < runs.length; i++) {
    await settled();
    const current = runs.find((r) => r.worker !== undefined && !finished.has(r))!;
    finished.add(current);
    current.finish();
    await current.done;
  }
}

test('a run gets the worker whose instance was prepared with its module', async () => {
  const { pool: p, workers } = pool(2);
  const first = hold(p, 'app', moduleB);
  await settled();
  first.finish();
  await first.done;
  p.warm(moduleA);
  assert.equal(workers.filter((w) => w.prepares === 1).length, 2, 'every idle worker prepares');
  workers[1]!.ready();
  await settled();
  const run = hold(p, 'app', moduleA);
  await settled();
  assert.equal(run.worker, workers[1], 'the prepared worker, not the one still preparing');
  run.finish();
  await run.done;
});

test('a worker still preparing an instance is not handed out until it is ready', async () => {
  const { pool: p, workers } = pool(1);
  p.warm(moduleA);
  assert.deepEqual(p.stats(), { idle: 0, preparing: 1, running: 0, waiting: 0 });
  const run = hold(p, 'app');
  await settled();
  assert.equal(run.worker, undefined);
  assert.equal(p.stats().waiting, 1);
  workers[0]!.ready();
  await settled();
  assert.equal(run.worker, workers[0]);
  run.finish();
  await run.done;
});

test('a preparation past its deadline replaces the worker, and that module is never prepared ahead again', async () => {
  const { pool: p, clock, workers, overruns } = pool(2);
  p.warm(moduleA);
  clock.advance(p.prepareTimeoutMs - 1);
  assert.equal(p.stats().preparing, 2);
  clock.advance(1);
  assert.deepEqual(overruns, [moduleA, moduleA]);
  assert.equal(workers.filter((w) => !w.alive).length, 2, 'the stuck workers are terminated');
  assert.deepEqual(p.stats(), { idle: 2, preparing: 0, running: 0, waiting: 0 }, 'and replaced');
  p.warm(moduleA);
  assert.equal(p.stats().preparing, 0);
  p.warm(moduleB);
  assert.equal(p.stats().preparing, 2, 'other modules are still prepared ahead');
});

test('one app holds at most its share of the workers while another app runs at once', async () => {
  const { pool: p } = pool(4);
  assert.equal(p.perApp, 2);
  const flood = [1, 2, 3, 4].map(() => hold(p, 'flood'));
  await settled();
  assert.deepEqual(p.stats(), { idle: 2, preparing: 0, running: 2, waiting: 2 });
  const other = hold(p, 'other');
  await settled();
  assert.ok(other.worker, 'the other app runs without waiting');
  other.finish();
  for (const run of flood) {
    await settled();
    run.finish();
  }
  await Promise.all([other.done, ...flood.map((r) => r.done)]);
  assert.deepEqual(p.stats(), { idle: 4, preparing: 0, running: 0, waiting: 0 });
});

test('apps waiting for a worker take turns: another app waits for one run of a flooding app, not for all of them', async () => {
  const { pool: p } = pool(1);
  const order: string[] = [];
  const runs: Array<ReturnType<typeof hold>> = [];
  for (const app of ['flood', 'flood', 'flood', 'flood', 'flood', 'b', 'c']) {
    const run = hold(p, app);
    void run.done.then(() => order.push(app));
    runs.push(run);
  }
  await finishInPoolOrder(runs);
  assert.deepEqual(order, ['flood', 'flood', 'b', 'c', 'flood', 'flood', 'flood']);
});

test('a run that waits past the queue limit is refused as overloaded, not failed', async () => {
  const { pool: p, clock } = pool(1);
  const busy = hold(p, 'a');
  await settled();
  const waiting = p.use({ app: 'b', module: moduleA, memoryMib: 64 }, async () => 'ran');
  clock.advance(p.queueTimeoutMs);
  await assert.rejects(waiting, (e: Error) => e instanceof PoolBusy && /no flight worker was free within 10s \(--workers 1, --max-runs-per-app 1\)/.test(e.message));
  assert.equal(p.stats().waiting, 0);
  busy.finish();
  await busy.done;
});

test('a cancelled run leaves the queue if it waits, and loses its worker (replaced) if it runs', async () => {
  const { pool: p, workers } = pool(1);
  const running = new AbortController();
  const waiting = new AbortController();
  const first = hold(p, 'a', moduleA, running.signal);
  const second = p.use({ app: 'b', module: moduleA, signal: waiting.signal, memoryMib: 64 }, async () => 'ran');
  await settled();
  waiting.abort();
  await assert.rejects(second, RunCancelled);
  running.abort();
  assert.equal(workers[0]!.alive, false, 'the thread running the cancelled flight is terminated');
  first.finish(); // the task settles once its worker is gone
  await first.done;
  assert.equal(workers.length, 2);
  assert.deepEqual(p.stats(), { idle: 1, preparing: 0, running: 0, waiting: 0 });
  await assert.rejects(
    p.use({ app: 'a', module: moduleA, signal: running.signal, memoryMib: 64 }, async () => 'ran'),
    RunCancelled,
  );
});

test('runs reserve their memory bound: a run that does not fit the budget waits, and nobody overtakes it', async () => {
  const { pool: p } = pool(4, { perApp: 4, memoryBudgetMib: 256 });
  const first = hold(p, 'a', moduleA, undefined, 128);
  const second = hold(p, 'b', moduleA, undefined, 96);
  await settled();
  assert.equal(p.reservedMib, 224);
  const big = hold(p, 'c', moduleA, undefined, 128); // 224 + 128 > 256: waits for memory, not for a worker
  const small = hold(p, 'd', moduleA, undefined, 16); // would fit, but comes after the big run
  await settled();
  assert.equal(big.worker, undefined);
  assert.equal(small.worker, undefined, 'a small run does not overtake the big one (which would otherwise wait forever)');
  assert.deepEqual(p.stats(), { idle: 2, preparing: 0, running: 2, waiting: 2 });
  first.finish();
  await first.done;
  await settled();
  assert.ok(big.worker, 'the big run starts once enough memory is free');
  assert.ok(small.worker, 'and the small one behind it fits too');
  assert.equal(p.reservedMib, 96 + 128 + 16);
  for (const run of [second, big, small]) run.finish();
  await Promise.all([second.done, big.done, small.done]);
  assert.equal(p.reservedMib, 0);
});

test('a run whose memory bound is larger than the whole budget fails at once, without waiting', async () => {
  const { pool: p } = pool(2, { memoryBudgetMib: 256 });
  const busy = hold(p, 'a', moduleA, undefined, 256);
  await settled();
  await assert.rejects(
    p.use({ app: 'b', module: moduleA, memoryMib: 257 }, async () => 'ran'),
    (e: Error) => {
      assert.ok(e instanceof OverBudget);
      assert.deepEqual([e.memoryMib, e.budgetMib], [257, 256]);
      return true;
    },
  );
  assert.equal(p.stats().waiting, 0);
  busy.finish();
  await busy.done;
});

test('without a budget, memory bounds do not hold runs back', async () => {
  const { pool: p } = pool(2, { perApp: 2 });
  const runs = [hold(p, 'a', moduleA, undefined, 4096), hold(p, 'b', moduleA, undefined, 4096)];
  await settled();
  assert.ok(runs.every((r) => r.worker));
  for (const run of runs) run.finish();
  await Promise.all(runs.map((r) => r.done));
});

test('past the queue bound, a run of the app with the most waiting runs is refused naming JETWAY_MAX_QUEUED_RUNS', async () => {
  const { pool: p } = pool(1, { maxQueued: 3 });
  const busy = hold(p, 'flood');
  const queued = [hold(p, 'flood'), hold(p, 'flood'), hold(p, 'flood')];
  await settled();
  assert.equal(p.stats().waiting, 3);
  await assert.rejects(
    p.use({ app: 'flood', module: moduleA, memoryMib: 64 }, async () => 'ran'),
    (e: Error) => {
      assert.ok(e instanceof PoolBusy);
      assert.match(e.message, /^3 runs already wait for a worker \(JETWAY_MAX_QUEUED_RUNS\), 3 of them this app's$/);
      return true;
    },
  );
  assert.equal(p.stats().waiting, 3);
  for (const run of [busy, ...queued]) {
    await settled();
    run.finish();
    await run.done;
  }
});

test("a full queue makes the flooding app's newest run give way to another app's run", async () => {
  const { pool: p } = pool(1, { maxQueued: 3 });
  const order: string[] = [];
  const busy = hold(p, 'flood');
  const queued = [hold(p, 'flood'), hold(p, 'flood'), hold(p, 'flood')];
  const refused = queued[2]!.done.then(
    () => assert.fail('the newest flooding run should have given way'),
    (e: unknown) => e,
  );
  await settled();
  const other = hold(p, 'other');
  const error = await refused;
  assert.ok(error instanceof PoolBusy);
  assert.match(error.message, /3 runs already wait for a worker \(JETWAY_MAX_QUEUED_RUNS\), 3 of them this app's: its newest gave way to another app/);
  assert.equal(p.stats().waiting, 3, 'the other app took the freed place');
  for (const [name, run] of [
    ['flood', busy],
    ['flood', queued[0]!],
    ['flood', queued[1]!],
    ['other', other],
  ] as const)
    void run.done.then(() => order.push(name));
  // serve the rest in the pool's order: the other app's run comes before the flood's backlog drains
  const runs = [busy, queued[0]!, queued[1]!, other];
  await finishInPoolOrder(runs);
  await settled();
  assert.deepEqual(order, ['flood', 'flood', 'other', 'flood']);
});

test('the default share is half the workers, at least one', () => {
  assert.deepEqual([1, 2, 3, 4, 16].map(defaultPerApp), [1, 1, 2, 2, 8]);
});

test("a real worker wedged in a module's start function is replaced at the prepare deadline, and the pool runs on", async () => {
  const wedged = new WebAssembly.Module((await watModule('start-spin')) as Uint8Array<ArrayBuffer>);
  const good = new WebAssembly.Module((await watModule('yaml-stages')) as Uint8Array<ArrayBuffer>);
  let overran: (() => void) | undefined;
  const replaced = new Promise<void>((r) => (overran = r));
  const p = new WorkerPool({ size: 1, prepareTimeoutMs: 200, spawn: () => new FlightWorker(), onPrepareOverrun: () => overran!() });
  try {
    p.warm(wedged);
    await replaced;
    assert.deepEqual(p.stats(), { idle: 1, preparing: 0, running: 0, waiting: 0 });
    const spec = { input: new Uint8Array(), release: 'b', namespace: 'b', args: [], env: {}, timeoutMs: 10_000, maxMemoryMib: undefined, clusterAccess: false, resourceMatchers: [] };
    const outcome = await p.use({ app: 'b', module: good, memoryMib: 64 }, (worker) => runCompiled(good, spec, undefined, worker));
    assert.match(Buffer.from(outcome.stdout).toString(), /kind: ConfigMap/);
  } finally {
    await p.close();
  }
});
