// generate's side of the socket: hand the run to the warm service, or fall back to running in-process when it does not answer.

import http from 'node:http';
import type { FlightRunner, ModuleBytes, RunOutcome, RunSpec } from '../flight/runner.js';
import { FlightError } from '../wasi/errors.js';
import {
  fallbacksPath,
  generateDeclined,
  generateFailed,
  generatePath,
  moduleMissing,
  modulePath,
  type FallbackReason,
  type FallbackReportBody,
  type RunRecordBody,
  type RunRequestBody,
  type RunResponseBody,
} from './protocol.js';

/** The service did not serve the run (not there, too slow, or an error answer): the caller runs the flight itself. */
class ServiceUnavailable extends Error {
  constructor(
    message: string,
    readonly reason: FallbackReason,
  ) {
    super(message);
  }
}

/** Our own deadline, told apart from a socket that is missing or refused. */
class ServiceTimeout extends Error {}

/** One request over the unix socket; `timeoutMs` 0 for none. */
function call(socket: string, method: string, path: string, body: Uint8Array | string, timeoutMs: number): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: socket, method, path, headers: { 'Content-Type': typeof body === 'string' ? 'application/json' : 'application/octet-stream' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (e) => reject(new ServiceUnavailable(e.message, 'unreachable')));
    });
    if (timeoutMs > 0) req.setTimeout(timeoutMs, () => req.destroy(new ServiceTimeout(`jetway serve did not answer within ${timeoutMs} ms`)));
    req.on('error', (e) => reject(new ServiceUnavailable(e.message, e instanceof ServiceTimeout ? 'timeout' : 'unreachable')));
    req.end(body);
  });
}

function encode(module: ModuleBytes, spec: RunSpec): string {
  const body: RunRequestBody = {
    digest: module.digest,
    input: Buffer.from(spec.input).toString('base64'),
    release: spec.release,
    namespace: spec.namespace,
    args: [...spec.args],
    env: { ...spec.env },
    timeoutMs: spec.timeoutMs ?? null,
    maxMemoryMib: spec.maxMemoryMib ?? null,
    clusterAccess: spec.clusterAccess,
    resourceMatchers: [...spec.resourceMatchers],
    lookupCeiling: spec.lookupCeiling ? [...spec.lookupCeiling] : null,
  };
  return JSON.stringify(body);
}

/**
 * A runner that prefers the service at `socket` and uses `fallback` when the service is down; `onFallback` hears why, and
 * `onDestination` the cluster the service resolved the run's lookups to, whether the run succeeded or failed (a failed
 * generate's run record names it too).
 */
export function serviceRunner(socket: string, fallback: FlightRunner, onFallback?: (reason: FallbackReason, message: string) => void, onDestination?: (server: string) => void): FlightRunner {
  return async (module, spec) => {
    // the service enforces the flight's own deadline; this one only guards against a wedged service
    const timeoutMs = (spec.timeoutMs ?? 50_000) + 5_000;
    try {
      const body = encode(module, spec);
      let res = await call(socket, 'POST', '/v1/run', body, timeoutMs);
      if (res.status === 404 && res.text.includes(moduleMissing)) {
        const put = await call(socket, 'PUT', modulePath(module.digest), module.bytes, timeoutMs);
        if (put.status !== 204) throw new ServiceUnavailable(`module upload answered ${put.status}: ${put.text}`, 'error');
        res = await call(socket, 'POST', '/v1/run', body, timeoutMs);
      }
      if (res.status !== 200) throw new ServiceUnavailable(`run answered ${res.status}: ${res.text.slice(0, 200)}`, 'error');
      const answer = JSON.parse(res.text) as RunResponseBody;
      if (typeof answer.destination === 'string') onDestination?.(answer.destination);
      if (!answer.ok) throw new FlightError(answer.error.kind, answer.error.message, answer.error.stderr);
      const outcome: RunOutcome = { stdout: Buffer.from(answer.stdout, 'base64'), stderr: answer.stderr, refs: answer.refs, durationMs: answer.durationMs };
      if (typeof answer.destination === 'string') outcome.destination = answer.destination;
      return outcome;
    } catch (error) {
      if (!(error instanceof ServiceUnavailable)) throw error;
      onFallback?.(error.reason, error.message);
      return fallback(module, spec);
    }
  };
}

/**
 * What the service said about a whole generate: manifests, the lines for stderr of a failed generate, or why it declined
 * (a misconfiguration its log names too; the caller then generates itself, and says it where the cluster is needed).
 */
export type GenerateReply = { ok: true; manifests: string } | { ok: false; stderr: string } | { declined: string };

/**
 * Asks the service to do the whole generate for the source directory `dir`, sending the caller's environment as
 * /proc/self/environ holds it (the launcher sends that very file); undefined when the service is down.
 */
export async function generateInService(socket: string, dir: string, env: NodeJS.ProcessEnv): Promise<GenerateReply | undefined> {
  const environ = Object.entries(env)
    .map(([k, v]) => `${k}=${v ?? ''}\0`)
    .join('');
  try {
    // no deadline of its own: the service enforces the flight's, and Argo CD's ends the whole request
    const res = await call(socket, 'POST', `${generatePath}?dir=${encodeURIComponent(dir)}`, Buffer.from(environ), 0);
    if (res.status === 200 && res.text !== '') return { ok: true, manifests: res.text };
    if (res.status === generateFailed && res.text !== '') return { ok: false, stderr: res.text };
    if (res.status === generateDeclined && res.text.trim() !== '') return { declined: res.text.trim().split('\n')[0]!.slice(0, 500) };
    return undefined;
  } catch (error) {
    if (error instanceof ServiceUnavailable) return undefined;
    throw error;
  }
}

/** Tells the service what a run saw; best effort, since the service re-learns everything on its start. */
export async function postRecord(socket: string, record: RunRecordBody): Promise<void> {
  await call(socket, 'POST', '/v1/records', JSON.stringify(record), 2_000).catch(() => undefined);
}

/**
 * Tells the service a run fell back to in-process, so `/metrics` counts it; best effort. When the service was not
 * there at all it usually is not there a moment later either, so those fallbacks are counted only if it came back.
 */
export async function reportFallback(socket: string, reason: FallbackReason): Promise<void> {
  const body: FallbackReportBody = { reason };
  await call(socket, 'POST', fallbacksPath, JSON.stringify(body), 2_000).catch(() => undefined);
}

/** Reads the service's records, for `jetway status`. */
export async function fetchRecords(socket: string): Promise<unknown> {
  const res = await call(socket, 'GET', '/v1/records', '', 5_000);
  if (res.status !== 200) throw new Error(`jetway serve answered ${res.status}: ${res.text}`);
  return JSON.parse(res.text);
}
