// How a setting's text becomes a value: each parser names the setting, the value and what is expected when it refuses.

import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseGoDuration } from '../params/duration.js';
import { validateMatcher } from '../host/matcher.js';

/** A bad admin setting: the message names the variable, what was given and what is expected, in one line. */
export class SettingError extends Error {
  constructor(
    readonly setting: string,
    given: string,
    expected: string,
  ) {
    super(`admin setting ${setting}: got ${JSON.stringify(given)}, expected ${expected} (fix the jetway container's environment)`);
    this.name = 'SettingError';
  }
}

/** Parses one variable's text; `raw` is undefined or '' when the variable is unset. */
export type Parser<T> = (raw: string | undefined, name: string) => T;

const unset = (raw: string | undefined): raw is undefined => raw === undefined || raw === '';

/** Splits a comma or newline separated list, dropping blanks. */
export function list(raw: string | undefined): string[] {
  return (raw ?? '')
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** A whole number > 0, or `fallback` when unset. */
export function positiveInt<F extends number | undefined>(fallback: F): Parser<number | F> {
  return (raw, name) => {
    if (unset(raw)) return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) === 0 || !Number.isSafeInteger(Number(raw))) throw new SettingError(name, raw, 'a positive whole number');
    return Number(raw);
  };
}

/** A whole number from 1 to `max`, or `fallback` when unset. */
export function boundedInt<F extends number | undefined>(fallback: F, max: number, unit: string): Parser<number | F> {
  return (raw, name) => {
    if (unset(raw)) return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) === 0 || Number(raw) > max) throw new SettingError(name, raw, `a whole number of ${unit} from 1 to ${max}`);
    return Number(raw);
  };
}

/** One of a few words, or `fallback` when unset. */
export function oneOf<W extends string>(words: readonly W[], fallback: W): Parser<W> {
  return (raw, name) => {
    if (unset(raw)) return fallback;
    if (!(words as readonly string[]).includes(raw))
      throw new SettingError(
        name,
        raw,
        words
          .map((w) => JSON.stringify(w))
          .join(', ')
          .replace(/, ([^,]*)$/, ' or $1'),
      );
    return raw as W;
  };
}

/** A positive Go duration in ms, or `fallback` when unset. */
export function duration<F extends number | undefined>(fallback: F): Parser<number | F> {
  return (raw, name) => {
    if (unset(raw)) return fallback;
    const parsed = parseGoDuration(raw);
    if ('error' in parsed || parsed.ms <= 0) throw new SettingError(name, raw, 'a positive Go duration such as "5m" or "30s"');
    return parsed.ms;
  };
}

/** A number parsed by `parse`, refused above `max` with `expected`. */
export function atMost(parse: Parser<number>, max: number, expected: string): Parser<number> {
  return (raw, name) => {
    const value = parse(raw, name);
    if (value > max) throw new SettingError(name, raw!, expected);
    return value;
  };
}

/** Free text (a path, a command), or `fallback` when unset. */
export function text<F extends string | undefined>(fallback: F): Parser<string | F> {
  return (raw) => (unset(raw) ? fallback : raw);
}

/** An absolute directory path (where another container's files are seen), or undefined when unset. */
export function absolutePath(raw: string | undefined, name: string): string | undefined {
  if (unset(raw)) return undefined;
  if (!raw.startsWith('/')) throw new SettingError(name, raw, 'an absolute directory path');
  return raw;
}

/** A file that must be readable now, so a wrong mount names the setting instead of failing later. */
export function readableFile(raw: string | undefined, name: string): string | undefined {
  if (unset(raw)) return undefined;
  try {
    readFileSync(raw);
  } catch (error) {
    throw new SettingError(name, raw, `a readable file (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  return raw;
}

/** PEM public key files, each read and parsed now; which key types yoke signs with is checked when a module is verified. */
export function pemFiles(raw: string | undefined, name: string): string[] {
  return list(raw).map((file) => {
    let pem: string;
    try {
      pem = readFileSync(file, 'utf8');
    } catch {
      throw new SettingError(name, file, 'readable PEM public key files, comma separated');
    }
    try {
      createPublicKey(pem);
    } catch {
      throw new SettingError(name, file, 'PEM public key files, comma separated (this file holds no PEM key)');
    }
    return pem;
  });
}

/** Resource matchers, or undefined (no ceiling) when unset. */
export function matchers(raw: string | undefined, name: string): string[] | undefined {
  const values = list(raw);
  for (const value of values) {
    const problem = validateMatcher(value);
    if (problem) throw new SettingError(name, value, `matchers [namespace/]GroupKind[:name], comma separated; this one ${problem}`);
  }
  return values.length === 0 ? undefined : values;
}
