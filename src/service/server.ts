// `jetway serve`: warm module cache and worker pool behind a unix socket, plus health and metrics over TCP.

import { mkdir, rm } from 'node:fs/promises';
import http from 'node:http';
import { dirname } from 'node:path';
import { deadlineUnder, runCompiled, type FlightRunner, type RunSpec } from '../flight/runner.js';
import { FlightError } from '../wasi/errors.js';
import { FlightWorker } from '../wasi/flight-worker.js';
import type { RunTarget, RunTargets } from './destinations.js';
import { GenerateRoute } from './generate-handler.js';
import type { Logger } from './log.js';
import { lookupState, type Metrics } from './metrics.js';
import { ModuleStore } from './modules.js';
import { OverBudget, PoolBusy, RunCancelled, WorkerPool } from './pool.js';
import { fallbackReasons, fallbacksPath, generatePath, moduleMissing, serverTimingHeader, type FallbackReportBody, type RunRecordBody, type RunResponseBody } from './protocol.js';
import { RepoModules } from './repo-modules.js';
import { specOf } from './request.js';

/** Where run records go: stored in the cluster, where the elected refresher follows them. */
export interface RecordSink {
  record(record: RunRecordBody): Promise<void>;
  records(): unknown[];
}

export interface ServiceOptions {
  socket: string;
  /** TCP port for /metrics, /healthz, /readyz; undefined = none. */
  listen: { host: string; port: number } | undefined;
  workers: number;
  /** Runs one app may have on workers at once (default: half the workers). */
  perApp?: number | undefined;
  /** The deadline of a run that asks for none or a longer one (JETWAY_MAX_TIMEOUT). */
  maxTimeoutMs: number;
  /** The heap of each flight worker thread (JETWAY_WORKER_HEAP_MIB); default: flight-worker.ts's. */
  workerHeapMib?: number;
  /** How long preparing an instance ahead may take before its worker is replaced (default 5 s). */
  prepareTimeoutMs?: number;
  /** How long a run may wait for a worker before it is answered "overloaded" (default 10 s). */
  queueTimeoutMs?: number;
  /** Guest memory (MiB) the running flights may reserve together (JETWAY_SERVE_MEMORY_MIB); undefined: no budget. */
  memoryBudgetMib?: number | undefined;
  /** Runs that may wait for a worker at once (JETWAY_MAX_QUEUED_RUNS; default the pool's). */
  maxQueued?: number | undefined;
  /** Where an app's lookups go (its destination cluster and project scope), resolved per run; undefined: no cluster. */
  targets: RunTargets | undefined;
  sink: RecordSink;
  metrics: Metrics;
  log: Logger;
}

export interface Service {
  /** The TCP port actually bound (for tests that ask for port 0). */
  port: number | undefined;
  close(): Promise<void>;
}

const maxBody = 256 * 1024 * 1024;

/** Reads a request body, refusing absurd sizes. */
function body(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > maxBody) req.destroy(new Error('request body too large'));
      else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: http.ServerResponse, status: number, payload: unknown): void {
  const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
  res.writeHead(status, { 'Content-Type': typeof payload === 'string' ? 'text/plain' : 'application/json' }).end(text);
}

/** The memory bound of a run that sets no maxMemoryMib: wasm32's 65536 pages of 64 KiB. */
const wasmLimitMib = 4096;

/** The line an app gets when its run can never fit the service's memory budget: what to lower, or what the admin raises. */
function overBudgetMessage(error: OverBudget, maxMemoryMib: number | undefined): string {
  const bound = maxMemoryMib === undefined ? `the flight sets no maxMemoryMib, so it may take the ${error.memoryMib} MiB wasm limit,` : `the flight's maxMemoryMib ${error.memoryMib} is`;
  const fix = maxMemoryMib === undefined ? 'set maxMemoryMib (or ask the admin to set JETWAY_MAX_MEMORY_MIB)' : 'lower maxMemoryMib';
  return `${bound} more than the ${error.budgetMib} MiB all flights in jetway serve may reserve together (JETWAY_SERVE_MEMORY_MIB): ${fix}, or ask the admin to raise JETWAY_SERVE_MEMORY_MIB`;
}

/** Starts the service; resolves once the socket (and the TCP port) listen. */
export async function startService(options: ServiceOptions): Promise<Service> {
  const { metrics, log } = options;
  const modules = new ModuleStore();
  const pool = new WorkerPool({
    size: options.workers,
    perApp: options.perApp,
    prepareTimeoutMs: options.prepareTimeoutMs,
    queueTimeoutMs: options.queueTimeoutMs,
    memoryBudgetMib: options.memoryBudgetMib,
    maxQueued: options.maxQueued,
    spawn: () => new FlightWorker({ heapMib: options.workerHeapMib }),
    onPrepareOverrun: () => log('warn', 'preparing an instance overran its deadline; the worker was replaced and the module is no longer prepared ahead', { deadlineMs: pool.prepareTimeoutMs }),
  });

  /** The run target of an app; an error (one line naming the Application or cluster) when it cannot be resolved. */
  const targetOf = (app: string): Promise<RunTarget> => (options.targets ? options.targets(app) : Promise.reject(new Error('jetway serve has no cluster connection')));

  const generateRoute = new GenerateRoute({
    ownEnv: process.env,
    targets: targetOf,
    load: new RepoModules((digest) => modules.held(digest)).load,
    record: (record) => options.sink.record(record),
    log,
  });

  // Why: the one way onto a worker: the app's turn in the pool, under the service's deadline ceiling, ended when its
  // client goes away. Throws a FlightError (the flight's failure), PoolBusy (overloaded) or RunCancelled.
  // `target`: where the lookups go, resolved by the caller before the run takes a worker (only for runs with clusterAccess).
  async function runModule(module: WebAssembly.Module, requested: RunSpec, signal: AbortSignal, target: RunTarget | undefined): ReturnType<typeof runCompiled> {
    const deadline = deadlineUnder(requested.timeoutMs, options.maxTimeoutMs);
    const spec = { ...requested, timeoutMs: deadline.timeoutMs };
    const started = performance.now();
    try {
      const outcome = await pool.use({ app: spec.release, module, signal, memoryMib: spec.maxMemoryMib ?? wasmLimitMib }, (worker) =>
        runCompiled(module, spec, target?.cluster, worker, (call, answer) => metrics.lookups.inc({ call: call.op, state: lookupState(answer.state) }), target?.project),
      );
      if (target) outcome.destination = target.server;
      metrics.runs.inc({ outcome: 'ok', instance_origin: outcome.instance });
      return outcome;
    } catch (error) {
      if (signal.aborted || error instanceof RunCancelled) {
        metrics.runs.inc({ outcome: 'cancelled', instance_origin: 'unknown' });
        log('info', 'run cancelled: the generate that asked for it has gone', { app: spec.release });
        throw error instanceof RunCancelled ? error : new RunCancelled('the run was cancelled: its client went away');
      }
      if (error instanceof OverBudget) {
        metrics.runs.inc({ outcome: 'failed', instance_origin: 'unknown' });
        throw new FlightError('memory', overBudgetMessage(error, spec.maxMemoryMib), '');
      }
      if (error instanceof PoolBusy) {
        metrics.runs.inc({ outcome: 'overloaded', instance_origin: 'unknown' });
        log('warn', 'run refused: the service is overloaded', { app: spec.release, error: error.message });
        throw error;
      }
      metrics.runs.inc({ outcome: 'failed', instance_origin: 'unknown' });
      const e = error instanceof FlightError ? error : new FlightError('crash', error instanceof Error ? error.message : String(error), '');
      throw e.kind === 'timeout' && deadline.clamped ? FlightError.ceilingTimeout(deadline.timeoutMs, e) : e;
    } finally {
      metrics.runSeconds.observe((performance.now() - started) / 1000);
    }
  }

  // Why: the request path is a warm worker with an instance ready; compile and instantiate happen before, and the
  // next instance is prepared only once the answer is out (`warm`), so preparing never competes with answering.
  async function run(raw: unknown, signal: AbortSignal): Promise<{ status: number; payload: unknown; warm?: WebAssembly.Module }> {
    const { digest, ...spec } = specOf(raw);
    const compiled = modules.compiled(digest, spec.maxMemoryMib);
    if (!compiled) {
      metrics.cache.inc({ result: 'miss' });
      return { status: 404, payload: { error: moduleMissing } };
    }
    metrics.cache.inc({ result: 'hit' });
    const module = await compiled;
    // the release is the app's ARGOCD_APP_NAME (generate sets it so): its destination is resolved here, with serve's credentials
    const target = spec.clusterAccess ? await targetOf(spec.release).catch((error: unknown) => error as Error) : undefined;
    if (target instanceof Error) {
      metrics.runs.inc({ outcome: 'failed', instance_origin: 'unknown' });
      return { status: 200, payload: { ok: false, error: { kind: 'host', message: target.message, stderr: '' } } satisfies RunResponseBody };
    }
    try {
      const outcome = await runModule(module, spec, signal, target);
      const payload: RunResponseBody = { ok: true, stdout: Buffer.from(outcome.stdout).toString('base64'), stderr: outcome.stderr, refs: outcome.refs, durationMs: outcome.durationMs };
      if (outcome.destination !== undefined) payload.destination = outcome.destination;
      return { status: 200, payload, warm: module };
    } catch (error) {
      // not the flight's fault: generate runs the flight itself (it does so on any answer but 200)
      if (error instanceof PoolBusy) return { status: 503, payload: { error: `jetway serve is overloaded: ${error.message}` } };
      if (error instanceof RunCancelled) return { status: 499, payload: { error: error.message } };
      const e = error as FlightError;
      // a module that failed is not prepared ahead: its next run instantiates it under that run's deadline
      const payload: RunResponseBody = { ok: false, error: { kind: e.kind, message: e.message, stderr: e.stderr } };
      if (target) payload.destination = target.server; // the failed run's record names the cluster it read, as an ok one does
      return { status: 200, payload };
    }
  }

  /** The runner of a generate done in the service: the module it loaded itself, compiled once, on a warm worker, cancelled with its client. */
  function generateRunner(res: http.ServerResponse, signal: AbortSignal, target: () => Promise<RunTarget>): FlightRunner {
    return async (module, spec) => {
      const resolved = spec.clusterAccess ? await target() : undefined;
      const known = modules.has(module.digest);
      metrics.cache.inc({ result: known ? 'hit' : 'miss' });
      if (!known) modules.add(module.digest, module.bytes);
      const compiled = await modules.compiled(module.digest, spec.maxMemoryMib)!;
      const outcome = await runModule(compiled, spec, signal, resolved);
      res.once('finish', () => pool.warm(compiled)); // a module whose run failed is not prepared ahead
      return outcome;
    };
  }

  /** Aborts when the client hangs up before its answer is written: Argo CD killed the generate that asked. */
  function clientGone(res: http.ServerResponse): AbortSignal {
    const gone = new AbortController();
    res.once('close', () => {
      if (!res.writableEnded) gone.abort();
    });
    return gone.signal;
  }

  const socketServer = http.createServer((req, res) => {
    void (async () => {
      try {
        const url = new URL(req.url ?? '/', 'http://jetway');
        if (req.method === 'POST' && url.pathname === '/v1/run') {
          // Why: Argo CD kills generate at its deadline; a run nobody waits for must not keep a worker
          const gone = clientGone(res);
          const { status, payload, warm } = await run(JSON.parse((await body(req)).toString('utf8')) as unknown, gone);
          if (gone.aborted) return;
          if (warm) res.once('finish', () => pool.warm(warm));
          return send(res, status, payload);
        }
        if (req.method === 'POST' && url.pathname === generatePath) {
          const gone = clientGone(res);
          const answer = await generateRoute.answer(url.searchParams.get('dir'), await body(req), (target) => generateRunner(res, gone, target));
          if (gone.aborted) return;
          res.setHeader(serverTimingHeader, answer.timing);
          return send(res, answer.status, answer.text);
        }
        const put = /^\/v1\/modules\/([0-9a-f]{64})$/.exec(url.pathname);
        if (req.method === 'PUT' && put) {
          modules.add(put[1]!, await body(req));
          return send(res, 204, '');
        }
        if (req.method === 'POST' && url.pathname === '/v1/records') {
          await options.sink.record(JSON.parse((await body(req)).toString('utf8')) as RunRecordBody);
          return send(res, 204, '');
        }
        if (req.method === 'GET' && url.pathname === '/v1/records') return send(res, 200, options.sink.records());
        if (req.method === 'POST' && url.pathname === fallbacksPath) {
          const { reason } = JSON.parse((await body(req)).toString('utf8')) as FallbackReportBody;
          if (!fallbackReasons.includes(reason)) throw new Error(`reason must be one of ${fallbackReasons.join(', ')}`);
          metrics.fallbacks.inc({ reason });
          return send(res, 204, '');
        }
        send(res, 404, `no route ${req.method} ${url.pathname}`);
      } catch (error) {
        log('warn', 'bad request on the socket', { error: error instanceof Error ? error.message : String(error) });
        send(res, 400, error instanceof Error ? error.message : String(error));
      }
    })();
  });

  const opsServer = http.createServer((req, res) => {
    if (req.url === '/healthz') return send(res, 200, 'ok');
    // Readiness is per pod, so it must never gate Argo CD's repo-server on refresher work: answering here means the socket listens.
    if (req.url === '/readyz') return send(res, 200, 'ready');
    if (req.url === '/metrics') {
      const stats = pool.stats();
      for (const state of ['idle', 'preparing', 'running'] as const) options.metrics.workers.set({ state }, stats[state]);
      options.metrics.waiting.set(stats.waiting);
      options.metrics.reservedMemory.set(pool.reservedMib);
      void options.metrics.registry.metrics().then((text) => res.writeHead(200, { 'Content-Type': options.metrics.registry.contentType }).end(text));
      return;
    }
    send(res, 404, 'not found');
  });

  await mkdir(dirname(options.socket), { recursive: true });
  await rm(options.socket, { force: true });
  await new Promise<void>((resolve, reject) => socketServer.once('error', reject).listen(options.socket, resolve));
  let port: number | undefined;
  if (options.listen) {
    await new Promise<void>((resolve, reject) => opsServer.once('error', reject).listen(options.listen!.port, options.listen!.host, resolve));
    const address = opsServer.address();
    port = typeof address === 'object' && address ? address.port : undefined;
  }
  log('info', 'jetway serve listening', {
    socket: options.socket,
    port,
    workers: options.workers,
    perApp: pool.perApp,
    maxTimeoutMs: options.maxTimeoutMs,
    memoryBudgetMib: pool.memoryBudgetMib ?? null,
    maxQueued: pool.maxQueued,
  });

  return {
    port,
    async close() {
      socketServer.closeIdleConnections();
      await Promise.all([new Promise<void>((resolve) => socketServer.close(() => resolve())), options.listen ? new Promise<void>((resolve) => opsServer.close(() => resolve())) : Promise.resolve()]);
      await pool.close();
      await rm(options.socket, { force: true });
    },
  };
}
