// The run request as the service accepts it: every field the client sent is checked before it reaches a worker.

import type { RunSpec } from '../flight/runner.js';
import type { RunRequestBody } from './protocol.js';

/** A request the service refuses (answered 400), naming the field. */
export class BadRequest extends Error {}

const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');
const wholeOrNull = (v: unknown, min: number, max: number): v is number | null => v === null || (Number.isInteger(v) && (v as number) >= min && (v as number) <= max);
// Why 2^31-1: the largest delay a Node timer honours; a longer one fires at once.
const positiveOrNull = (v: unknown): v is number | null => v === null || (typeof v === 'number' && v > 0 && v <= 2 ** 31 - 1);

/** Turns the wire request into a RunSpec, checking every field the client sent. */
export function specOf(raw: unknown): RunSpec & { digest: string } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new BadRequest('the run request must be a JSON object');
  const r = raw as Partial<Record<keyof RunRequestBody, unknown>>;
  if (typeof r.digest !== 'string' || !/^[0-9a-f]{64}$/.test(r.digest)) throw new BadRequest('digest must be a sha256 hex string');
  if (typeof r.release !== 'string' || typeof r.namespace !== 'string' || typeof r.input !== 'string') throw new BadRequest('release, namespace and input must be strings');
  if (r.release === '') throw new BadRequest('release must not be empty');
  if (!strings(r.args) || !strings(r.resourceMatchers) || (r.lookupCeiling !== null && !strings(r.lookupCeiling)))
    throw new BadRequest('args, resourceMatchers and lookupCeiling must be string lists');
  if (typeof r.env !== 'object' || r.env === null || Array.isArray(r.env) || !Object.values(r.env).every((v) => typeof v === 'string')) throw new BadRequest('env must map strings to strings');
  if (!positiveOrNull(r.timeoutMs)) throw new BadRequest('timeoutMs must be a positive whole number of milliseconds or null');
  if (!wholeOrNull(r.maxMemoryMib, 1, 4096)) throw new BadRequest('maxMemoryMib must be a whole number from 1 to 4096 or null');
  if (typeof r.clusterAccess !== 'boolean') throw new BadRequest('clusterAccess must be a boolean');
  return {
    digest: r.digest,
    input: Buffer.from(r.input, 'base64'),
    release: r.release,
    namespace: r.namespace,
    args: r.args,
    env: r.env as Record<string, string>,
    timeoutMs: r.timeoutMs ?? undefined,
    maxMemoryMib: r.maxMemoryMib ?? undefined,
    clusterAccess: r.clusterAccess,
    resourceMatchers: r.resourceMatchers,
    lookupCeiling: r.lookupCeiling ?? undefined,
  };
}
