// HTTPS to the API server with client-node's credentials: per-call timeout, bounded retries, Status bodies turned into ClusterErrors.

import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { KubeConfig } from '@kubernetes/client-node';
import { Backoff } from './backoff.js';
import { ClusterError } from './types.js';

export interface RequestOptions {
  method?: string;
  body?: string;
  contentType?: string;
  accept?: string;
  timeoutMs?: number;
}

export interface Response {
  status: number;
  text: string;
}

export interface RetryPolicy {
  /** Attempts after the first, for 429, 5xx and transport failures. */
  retries: number;
  baseDelayMs: number;
}

const defaultRetry: RetryPolicy = { retries: 3, baseDelayMs: 200 };

/** The message of a Kubernetes `Status` body, or the raw text when it is not one. */
function statusMessage(text: string, status: number): string {
  try {
    const body = JSON.parse(text) as { kind?: string; message?: string };
    if (body.kind === 'Status' && body.message) return body.message;
  } catch {
    // not JSON: fall through
  }
  return text.trim().slice(0, 300) || `HTTP ${status}`;
}

/** Maps an HTTP failure to the host states flights see. */
export function failureFor(method: string, path: string, status: number, text: string): ClusterError {
  const message = statusMessage(text, status);
  if (status === 404) return new ClusterError('NotFound', message);
  if (status === 401) return new ClusterError('Unauthenticated', message);
  if (status === 403) return new ClusterError('Forbidden', message);
  return new ClusterError('Error', `${method} ${path}: the API server answered ${status}: ${message}`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One connection pool and credential source for all calls to one API server. */
export class KubeHttp {
  private agent: https.Agent | undefined;
  readonly server: string;

  constructor(
    private readonly kc: KubeConfig,
    private readonly retry: RetryPolicy = defaultRetry,
    private readonly timeoutMs = 10_000,
  ) {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('the kubeconfig has no current cluster');
    this.server = cluster.server.replace(/\/+$/, '');
  }

  // Why: credentials (tokens rotate) are fetched per call, the TLS connection pool once.
  private async options(method: string, headers: Record<string, string>): Promise<https.RequestOptions> {
    const opts: https.RequestOptions = { method, headers: {} };
    await this.kc.applyToHTTPSOptions(opts);
    this.agent ??= new https.Agent({
      keepAlive: true,
      ca: opts.ca,
      cert: opts.cert,
      key: opts.key,
      ...(opts.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: opts.rejectUnauthorized }),
      ...(opts.servername ? { servername: opts.servername } : {}),
    });
    return { method, agent: this.agent, headers: { ...(opts.headers as Record<string, string>), ...headers }, ...(opts.auth ? { auth: opts.auth } : {}) };
  }

  // Why: a single attempt; transport problems become ClusterError('Error'), never NotFound.
  private async once(path: string, options: RequestOptions): Promise<Response> {
    const method = options.method ?? 'GET';
    const headers: Record<string, string> = { Accept: options.accept ?? 'application/json' };
    if (options.contentType) headers['Content-Type'] = options.contentType;
    const opts = await this.options(method, headers);
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    return new Promise<Response>((resolve, reject) => {
      const req = https.request(new URL(this.server + path), opts, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', (e) => reject(new ClusterError('Error', `${method} ${path}: ${e.message}`)));
      });
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      req.on('error', (e) => reject(new ClusterError('Error', `${method} ${path}: cannot reach the API server at ${this.server}: ${e.message}`)));
      req.end(options.body);
    });
  }

  /** A request with retries for 429, 5xx and transport failures; other statuses are returned as they are. */
  async request(path: string, options: RequestOptions = {}): Promise<Response> {
    const backoff = new Backoff({ baseMs: this.retry.baseDelayMs, capMs: 5_000 });
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await this.once(path, options);
        if (res.status !== 429 && res.status < 500) return res;
        if (attempt >= this.retry.retries) return res;
      } catch (error) {
        if (attempt >= this.retry.retries) throw error;
      }
      await sleep(backoff.next());
    }
  }

  /** GET a JSON document, or throw the ClusterError its status means. */
  async getJson<T>(path: string, accept?: string): Promise<T> {
    const res = await this.request(path, accept ? { accept } : {});
    if (res.status >= 200 && res.status < 300) return JSON.parse(res.text) as T;
    throw failureFor('GET', path, res.status, res.text);
  }

  /** A long-lived streaming GET (watches); the caller owns the response. */
  async stream(path: string, accept: string): Promise<IncomingMessage> {
    const opts = await this.options('GET', { Accept: accept });
    return new Promise((resolve, reject) => {
      const req = https.request(new URL(this.server + path), opts, resolve);
      req.on('error', (e) => reject(new ClusterError('Error', `GET ${path}: ${e.message}`)));
      req.end();
    });
  }

  close(): void {
    this.agent?.destroy();
  }
}
