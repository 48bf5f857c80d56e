// Validation shared by every way of asking for a run (CLI flags, Argo CD parameters): each error names the setting, the value and what is expected.

import { validateMatcher } from '../host/matcher.js';
import { parseGoDuration } from './duration.js';

/** A bad setting: the message names it, what was given and what is expected. */
export class ParameterError extends Error {
  constructor(name: string, given: string, expected: string) {
    super(`parameter ${name}: got ${JSON.stringify(given)}, expected ${expected}`);
    this.name = 'ParameterError';
  }
}

/** yoke's default timeout when none is given. */
export const defaultTimeout = '10s';

/** A Go duration; negative means no deadline (yoke), zero is refused (it could never succeed). */
export function parseTimeout(name: string, value: string): number | undefined {
  const parsed = parseGoDuration(value);
  if ('error' in parsed) throw new ParameterError(name, value, 'a Go duration such as "30s", "1m30s" or "500ms" (negative for none)');
  if (parsed.ms < 0) return undefined;
  if (parsed.ms === 0) throw new ParameterError(name, value, 'a positive duration (or negative for none); 0 would fail every run');
  return parsed.ms;
}

/** MiB of linear memory; 0 or empty means no cap, as in yoke. */
export function parseMaxMemoryMib(name: string, value: string): number | undefined {
  if (value === '' || value === '0') return undefined;
  if (!/^\d+$/.test(value) || Number(value) > 4096) throw new ParameterError(name, value, 'a whole number of MiB from 1 to 4096 (0 for no cap)');
  return Number(value);
}

/** "true" or "false", as Argo CD passes booleans. */
export function parseBoolean(name: string, value: string): boolean {
  if (value === 'true') return true;
  if (value === 'false' || value === '') return false;
  throw new ParameterError(name, value, '"true" or "false"');
}

/** Resource matchers `[namespace/]GroupKind[:name]`, each checked. */
export function parseMatchers(name: string, values: readonly string[]): string[] {
  for (const value of values) {
    const problem = validateMatcher(value);
    if (problem) throw new ParameterError(name, value, `a matcher [namespace/]GroupKind[:name] (e.g. "Secret", "default/Deployment.apps:web"); this one ${problem}`);
  }
  return [...values];
}

/** A sha256 hex digest. */
export function parseChecksum(name: string, value: string): string | undefined {
  if (value === '') return undefined;
  const hex = value.replace(/^sha256:/, '').toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new ParameterError(name, value, 'a sha256 hex digest of the decompressed module (64 hex characters)');
  return hex;
}

/** A DNS-1123 label, the shape of namespace and release names Kubernetes accepts. */
export function parseName(name: string, value: string): string {
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(value)) {
    throw new ParameterError(name, value, 'a lower-case DNS label (a-z, 0-9, "-", at most 63 characters)');
  }
  return value;
}
