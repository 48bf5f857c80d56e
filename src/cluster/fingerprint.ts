// A hash of what a flight saw of an object, so a later change can be told from a heartbeat.

import { createHash } from 'node:crypto';
import type { KubeObject } from './types.js';

/** Metadata fields the API server changes without the object's meaning changing. */
const bookkeeping = new Set(['resourceVersion', 'managedFields', 'generation', 'selfLink']);

/** JSON with sorted keys and no undefined members, so equal content always compares and hashes equal. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** sha256 of the object without bookkeeping; status is included because flights wait on it. */
export function fingerprint(object: KubeObject): string {
  const metadata = Object.fromEntries(Object.entries(object.metadata ?? {}).filter(([k]) => !bookkeeping.has(k)));
  return createHash('sha256')
    .update(canonical({ ...object, metadata }))
    .digest('hex');
}
