// `jetway serve`: warm module cache and worker pool behind a unix socket, plus health and metrics over TCP.

import { mkdir, rm } from 'node:fs/promises';
import http from 'node:http';
import { dirname } from 'node:path';
import type { Cluster } from '../cluster/types.js';
import { runCompiled, type FlightRunner, type RunSpec } from '../flight/render.js';
import { FlightError } from '../wasi/errors.js';
import { GenerateRoute } from './generate-handler.js';
import type { Logger } from './log.js';
import { lookupState, type Metrics } from './metrics.js';
import { ModuleStore } from './modules.js';
import { WorkerPool } from './pool.js';
import {
  fallbackReasons,
  fallbacksPath,
  generatePath,
  moduleMissing,
  serverTimingHeader,
  type FallbackReportBody,
  type RunRecordBody,
  type RunRequestBody,
  type RunResponseBody,
} from './protocol.js';
import { RepoModules } from './repo-modules.js';

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
  cluster: Cluster | undefined;
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

/** Turns the wire request into a RunSpec, checking every field the client sent. */
function specOf(raw: RunRequestBody): RunSpec {
  const strings = (v: unknown) => Array.isArray(v) && v.every((s) => typeof s === 'string');
  if (typeof raw.digest !== 'string' || !/^[0-9a-f]{64}$/.test(raw.digest)) throw new Error('digest must be a sha256 hex string');
  if (typeof raw.release !== 'string' || typeof raw.namespace !== 'string' || typeof raw.input !== 'string') throw new Error('release, namespace and input must be strings');
  if (!strings(raw.args) || !strings(raw.resourceMatchers) || (raw.ceiling !== null && !strings(raw.ceiling))) throw new Error('args, resourceMatchers and ceiling must be string lists');
  if (typeof raw.env !== 'object' || raw.env === null || !Object.values(raw.env).every((v) => typeof v === 'string')) throw new Error('env must map strings to strings');
  return {
    input: Buffer.from(raw.input, 'base64'),
    release: raw.release,
    namespace: raw.namespace,
    args: raw.args,
    env: raw.env,
    timeoutMs: raw.timeoutMs ?? undefined,
    maxMemoryMib: raw.maxMemoryMib ?? undefined,
    clusterAccess: raw.clusterAccess === true,
    resourceMatchers: raw.resourceMatchers,
    ceiling: raw.ceiling ?? undefined,
  };
}

/** Starts the service; resolves once the socket (and the TCP port) listen. */
export async function startService(options: ServiceOptions): Promise<Service> {
  const { metrics, log } = options;
  const modules = new ModuleStore();
  const pool = new WorkerPool(options.workers);
  const generateRoute = new GenerateRoute({
    ownEnv: process.env,
    cluster: { get: () => (options.cluster ? Promise.resolve(options.cluster) : Promise.reject(new Error('jetway serve has no cluster connection'))) },
    load: new RepoModules().load,
    record: (record) => options.sink.record(record),
    log,
  });

  // Why: the request path is a warm worker with an instance ready; compile and instantiate happen before, and the
  // next instance is prepared only once the answer is out (`warm`), so preparing never competes with answering.
  async function runModule(module: WebAssembly.Module, spec: RunSpec): ReturnType<typeof runCompiled> {
    const started = performance.now();
    try {
      const outcome = await pool.use(module, (worker) =>
        runCompiled(module, spec, options.cluster, worker, (call, answer) => metrics.lookups.inc({ call: call.op, state: lookupState(answer.state) })),
      );
      metrics.runs.inc({ outcome: 'ok', instance_origin: outcome.instance });
      return outcome;
    } catch (error) {
      metrics.runs.inc({ outcome: 'failed', instance_origin: 'unknown' });
      throw error instanceof FlightError ? error : new FlightError('crash', error instanceof Error ? error.message : String(error), '');
    } finally {
      metrics.runSeconds.observe((performance.now() - started) / 1000);
    }
  }

  async function run(raw: RunRequestBody): Promise<{ status: number; payload: unknown; warm?: WebAssembly.Module }> {
    const spec = specOf(raw);
    const compiled = modules.compiled(raw.digest, spec.maxMemoryMib);
    if (!compiled) {
      metrics.cache.inc({ result: 'miss' });
      return { status: 404, payload: { error: moduleMissing } };
    }
    metrics.cache.inc({ result: 'hit' });
    const module = await compiled;
    try {
      const outcome = await runModule(module, spec);
      const payload: RunResponseBody = { ok: true, stdout: Buffer.from(outcome.stdout).toString('base64'), stderr: outcome.stderr, refs: outcome.refs, durationMs: outcome.durationMs };
      return { status: 200, payload, warm: module };
    } catch (error) {
      const e = error as FlightError;
      const payload: RunResponseBody = { ok: false, error: { kind: e.kind, message: e.message, stderr: e.stderr } };
      return { status: 200, payload, warm: module };
    }
  }

  /** The runner of a generate done in the service: the module it loaded itself, compiled once, on a warm worker. */
  function generateRunner(res: http.ServerResponse): FlightRunner {
    return async (module, spec) => {
      const known = modules.has(module.digest);
      metrics.cache.inc({ result: known ? 'hit' : 'miss' });
      if (!known) modules.add(module.digest, module.bytes);
      const compiled = await modules.compiled(module.digest, spec.maxMemoryMib)!;
      res.once('finish', () => pool.warm(compiled));
      return runModule(compiled, spec);
    };
  }

  const socketServer = http.createServer((req, res) => {
    void (async () => {
      try {
        const url = new URL(req.url ?? '/', 'http://jetway');
        if (req.method === 'POST' && url.pathname === '/v1/run') {
          const { status, payload, warm } = await run(JSON.parse((await body(req)).toString('utf8')) as RunRequestBody);
          if (warm) res.once('finish', () => pool.warm(warm));
          return send(res, status, payload);
        }
        if (req.method === 'POST' && url.pathname === generatePath) {
          const answer = await generateRoute.answer(url.searchParams.get('dir'), await body(req), generateRunner(res));
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
  log('info', 'jetway serve listening', { socket: options.socket, port, workers: options.workers });

  return {
    port,
    async close() {
      socketServer.closeIdleConnections();
      await Promise.all([
        new Promise<void>((resolve) => socketServer.close(() => resolve())),
        options.listen ? new Promise<void>((resolve) => opsServer.close(() => resolve())) : Promise.resolve(),
      ]);
      await pool.close();
      await rm(options.socket, { force: true });
    },
  };
}
