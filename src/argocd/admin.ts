// Settings for the platform team, read from the sidecar's environment so Application authors cannot lift them.

import { readFileSync } from 'node:fs';
import { defaultMaxModuleBytes, defaultMaxOciManifestBytes } from '../module/bounds.js';
import type { BuildSwitch } from '../module/build.js';
import { parseGoDuration } from '../params/duration.js';
import { ParameterError, parseMatchers } from '../params/flight-params.js';
import { defaultRenderedLimit } from '../stages/bounds.js';
import { defaultWorkerHeapMib } from '../wasi/flight-worker.js';
import { defaultStdoutLimit } from '../wasi/run.js';

export interface AdminSettings {
  /** Globs a module reference must match (JETWAY_MODULE_ALLOW); empty = any. */
  allow: string[];
  /** PEM public keys; when set, modules must be signed (JETWAY_VERIFY_KEYS: files, comma separated). */
  verifyKeys: string[];
  /** Ceiling for maxMemoryMib (JETWAY_MAX_MEMORY_MIB). */
  maxMemoryMib: number | undefined;
  /** Ceiling for the timeout, in ms (JETWAY_MAX_TIMEOUT). */
  maxTimeoutMs: number | undefined;
  /** Matchers that bound what any app's matchers can open (JETWAY_LOOKUP_CEILING). */
  lookupCeiling: string[] | undefined;
  /** Module and build cache (JETWAY_CACHE_DIR). */
  cacheDir: string;
  cacheMaxBytes: number;
  /** How long a tag or plain URL is trusted before it is resolved again (JETWAY_MUTABLE_TTL). */
  mutableTtlMs: number;
  /** The Go toolchain for `build` (JETWAY_GO). */
  go: string;
  /** Whether `build: true` may compile (JETWAY_BUILD): auto = yes unless JETWAY_MODULE_ALLOW or JETWAY_VERIFY_KEYS is set. */
  build: BuildSwitch;
  /** Bound on a module's downloaded and decompressed size (JETWAY_MAX_MODULE_BYTES). */
  maxModuleBytes: number;
  /** Bound on an OCI manifest's size (JETWAY_MAX_OCI_MANIFEST_BYTES). */
  maxOciManifestBytes: number;
  /** Bound on a flight's stdout (JETWAY_MAX_OUTPUT_BYTES). */
  maxOutputBytes: number;
  /** Bound on the rendered manifests, YAML aliases expanded and metadata added (JETWAY_MAX_RENDERED_BYTES). */
  maxRenderedBytes: number;
  /** Bound on a flight worker thread's JavaScript heap, in MiB (JETWAY_WORKER_HEAP_MIB). */
  workerHeapMib: number;
  /** The unix socket of `jetway serve` (JETWAY_SOCKET). */
  socket: string | undefined;
  /** Where `jetway serve` sees the plugin's unpacked sources, `<plugin TMPDIR>/_cmp_server` (JETWAY_SOURCES_DIR); unset = the service leaves generate to the plugin container. */
  sourcesDir: string | undefined;
}

/** The defaults fit the plugin container's 2Gi and serve's 512Mi (deploy/repo-server-patch.yaml) with room for a run's copies. */
export const defaultLimits = {
  maxModuleBytes: defaultMaxModuleBytes,
  maxOciManifestBytes: defaultMaxOciManifestBytes,
  maxOutputBytes: defaultStdoutLimit,
  maxRenderedBytes: defaultRenderedLimit,
  workerHeapMib: defaultWorkerHeapMib,
} as const;

/** Splits a comma or newline separated list, dropping blanks. */
function list(value: string | undefined): string[] {
  return (value ?? '').split(/[\n,]/).map((s) => s.trim()).filter((s) => s !== '');
}

function positiveInt(name: string, value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (!/^\d+$/.test(value) || Number(value) === 0) throw new ParameterError(name, value, 'a positive whole number');
  return Number(value);
}

function absolutePath(name: string, value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (!value.startsWith('/')) throw new ParameterError(name, value, 'an absolute directory path');
  return value;
}

function duration(name: string, value: string | undefined, fallbackMs: number): number {
  if (value === undefined || value === '') return fallbackMs;
  const parsed = parseGoDuration(value);
  if ('error' in parsed || parsed.ms <= 0) throw new ParameterError(name, value, 'a positive Go duration such as "5m"');
  return parsed.ms;
}

function buildSwitch(value: string | undefined): BuildSwitch {
  if (value === undefined || value === '') return 'auto';
  if (value === 'auto' || value === 'on' || value === 'off') return value;
  throw new ParameterError('JETWAY_BUILD', value, '"on", "off" or "auto"');
}

/** Reads and validates every admin setting; a bad one stops generate with its name. */
export function readAdminSettings(env: NodeJS.ProcessEnv): AdminSettings {
  const ceiling = list(env['JETWAY_LOOKUP_CEILING']);
  return {
    allow: list(env['JETWAY_MODULE_ALLOW']),
    verifyKeys: list(env['JETWAY_VERIFY_KEYS']).map((file) => {
      try {
        return readFileSync(file, 'utf8');
      } catch {
        throw new ParameterError('JETWAY_VERIFY_KEYS', file, 'readable PEM public key files');
      }
    }),
    maxMemoryMib: positiveInt('JETWAY_MAX_MEMORY_MIB', env['JETWAY_MAX_MEMORY_MIB']),
    maxTimeoutMs: env['JETWAY_MAX_TIMEOUT'] ? duration('JETWAY_MAX_TIMEOUT', env['JETWAY_MAX_TIMEOUT'], 0) : undefined,
    lookupCeiling: ceiling.length === 0 ? undefined : parseMatchers('JETWAY_LOOKUP_CEILING', ceiling),
    cacheDir: env['JETWAY_CACHE_DIR'] || `${env['TMPDIR'] || '/tmp'}/jetway-cache`,
    cacheMaxBytes: positiveInt('JETWAY_CACHE_MAX_BYTES', env['JETWAY_CACHE_MAX_BYTES']) ?? 1024 * 1024 * 1024,
    mutableTtlMs: duration('JETWAY_MUTABLE_TTL', env['JETWAY_MUTABLE_TTL'], 5 * 60_000),
    go: env['JETWAY_GO'] || 'go',
    build: buildSwitch(env['JETWAY_BUILD']),
    maxModuleBytes: positiveInt('JETWAY_MAX_MODULE_BYTES', env['JETWAY_MAX_MODULE_BYTES']) ?? defaultLimits.maxModuleBytes,
    maxOciManifestBytes: positiveInt('JETWAY_MAX_OCI_MANIFEST_BYTES', env['JETWAY_MAX_OCI_MANIFEST_BYTES']) ?? defaultLimits.maxOciManifestBytes,
    maxOutputBytes: positiveInt('JETWAY_MAX_OUTPUT_BYTES', env['JETWAY_MAX_OUTPUT_BYTES']) ?? defaultLimits.maxOutputBytes,
    maxRenderedBytes: positiveInt('JETWAY_MAX_RENDERED_BYTES', env['JETWAY_MAX_RENDERED_BYTES']) ?? defaultLimits.maxRenderedBytes,
    workerHeapMib: positiveInt('JETWAY_WORKER_HEAP_MIB', env['JETWAY_WORKER_HEAP_MIB']) ?? defaultLimits.workerHeapMib,
    socket: env['JETWAY_SOCKET'] || undefined,
    sourcesDir: absolutePath('JETWAY_SOURCES_DIR', env['JETWAY_SOURCES_DIR']),
  };
}

/** Applies the ceilings: asking for more than the admin allows is an error, asking for nothing gets the ceiling. */
export function applyCeilings(
  admin: Pick<AdminSettings, 'maxMemoryMib' | 'maxTimeoutMs'>,
  app: { maxMemoryMib: number | undefined; timeoutMs: number | undefined },
): { maxMemoryMib: number | undefined; timeoutMs: number | undefined } {
  if (admin.maxMemoryMib !== undefined && app.maxMemoryMib !== undefined && app.maxMemoryMib > admin.maxMemoryMib) {
    throw new ParameterError('maxMemoryMib', String(app.maxMemoryMib), `at most ${admin.maxMemoryMib} (the admin ceiling JETWAY_MAX_MEMORY_MIB)`);
  }
  if (admin.maxTimeoutMs !== undefined && (app.timeoutMs === undefined || app.timeoutMs > admin.maxTimeoutMs)) {
    throw new ParameterError('timeout', app.timeoutMs === undefined ? 'none' : `${app.timeoutMs}ms`, `at most ${admin.maxTimeoutMs}ms (the admin ceiling JETWAY_MAX_TIMEOUT)`);
  }
  return { maxMemoryMib: app.maxMemoryMib ?? admin.maxMemoryMib, timeoutMs: app.timeoutMs };
}
