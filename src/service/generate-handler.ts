// POST /v1/generate: the whole generate done in `jetway serve`, so the process Argo CD starts only relays the answer.
// Every field of the request is untrusted: it comes from the plugin container, which unpacks app authors' repositories.

import { realpath } from 'node:fs/promises';
import { relative, sep } from 'node:path';
import { readAdminSettings } from '../argocd/admin.js';
import { Redactions } from '../argocd/redaction.js';
import { readSetting, settingsTable } from '../settings/settings.js';
import { readArgoEnvironment, repoRootOf } from '../argocd/environment.js';
import { failureText } from '../argocd/failure.js';
import { generate, type ModuleLoader } from '../argocd/generate.js';
import { parsePluginParameters } from '../argocd/parameters.js';
import { appOf, failedRecord, okRecord } from '../argocd/run-record.js';
import type { FlightRunner } from '../flight/runner.js';
import type { RunTarget } from './destinations.js';
import { isInside } from '../module/file.js';
import type { RunRecord } from '../refresher/records.js';
import { formatManifests } from '../stages/format.js';
import type { Logger } from './log.js';
import { PoolBusy, RunCancelled } from './pool.js';
import { generateDeclined, generateFailed } from './protocol.js';

export interface GenerateDeps {
  /** The service's own environment: the admin settings come from here, never from the request. */
  ownEnv: NodeJS.ProcessEnv;
  /** The cluster an app's lookups and `refs` read, by its ARGOCD_APP_NAME: its destination, resolved by the service. */
  targets(app: string): Promise<RunTarget>;
  /** The runner of this generate; `target` resolves the app's destination once, when the flight asks for cluster access. */
  runner(target: () => Promise<RunTarget>): FlightRunner;
  load: ModuleLoader;
  /** Hands the run record to the refresher (the one place records go, whichever process ran generate). */
  record(record: RunRecord): void;
}

export interface GenerateAnswer {
  status: number;
  text: string;
  /** The flight's run time in the service, when it ran. */
  runMs?: number;
}

/** The socket route: the answer with its Server-Timing; a refused record or a decline is logged (a decline once per reason), never thrown. */
export class GenerateRoute {
  private readonly declineLogged = new Set<string>();

  constructor(private readonly deps: Omit<GenerateDeps, 'runner' | 'record'> & { record(record: RunRecord): Promise<void>; log: Logger }) {}

  async answer(dir: string | null, environ: Uint8Array, runner: GenerateDeps['runner']): Promise<GenerateAnswer & { timing: string }> {
    const { log } = this.deps;
    const started = performance.now();
    const answer = await answerGenerate(dir, environ, {
      ...this.deps,
      runner,
      // the record is stored in the cluster while the answer goes out: the manifests do not wait on that write
      record: (record) => {
        Promise.resolve()
          .then(() => this.deps.record(record))
          .catch((error: unknown) => log('warn', 'run record refused', { app: record.app, error: error instanceof Error ? error.message : String(error) }));
      },
    });
    const reason = answer.text.trim();
    if (answer.status === generateDeclined && !this.declineLogged.has(reason)) {
      this.declineLogged.add(reason); // a misconfiguration declines every request: say it once
      log('warn', 'generate left to the plugin container', { reason });
    }
    const timing = [`generate;dur=${(performance.now() - started).toFixed(1)}`];
    if (answer.runMs !== undefined) timing.push(`run;dur=${answer.runMs.toFixed(1)}`);
    return { ...answer, timing: timing.join(', ') };
  }
}

/** The caller's environment is at most what Linux lets one exec carry (ARG_MAX, 2 MiB by default). */
const maxEnvironBytes = 2 * 1024 * 1024;

/**
 * JETWAY_* settings that name places, which may differ between the two containers. Every other JETWAY_* variable is
 * policy (allow-list, keys, ceilings, credentials): the service runs a generate only when the caller's equal its own,
 * so a container set up with a stricter policy than the service is never served under the laxer one.
 */
const locationSettings = new Set(['JETWAY_SOCKET', 'JETWAY_CACHE_DIR', 'JETWAY_SOURCES_DIR']);

/** Settings only `jetway serve` reads (its memory budget, queue, watch caps): generate never reads them, so they may differ. */
const serveOnlySettings = new Set(settingsTable.filter((s) => s.readBy === 'serve').map((s) => s.name));

const declined = (reason: string): GenerateAnswer => ({ status: generateDeclined, text: `${reason}\n` });

/** Splits /proc/self/environ-style bytes (NUL-separated NAME=value) into a map; later entries win, as in getenv. */
function parseEnviron(body: Uint8Array): Map<string, string> {
  const env = new Map<string, string>();
  for (const entry of Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8').split('\0')) {
    const eq = entry.indexOf('=');
    if (eq > 0) env.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  return env;
}

/** The first policy setting on which the caller and the service differ (its name only: values may be sensitive). */
function policyMismatch(caller: Map<string, string>, own: NodeJS.ProcessEnv): string | undefined {
  const names = new Set([...caller.keys(), ...Object.keys(own)].filter((k) => k.startsWith('JETWAY_') && !locationSettings.has(k) && !serveOnlySettings.has(k)));
  return [...names].sort().find((name) => (caller.get(name) ?? '') !== (own[name] ?? ''));
}

/**
 * The source directory as the service may read it: the real path of `dir`, inside one work directory
 * `<sourcesDir>/<uuid>` (Argo CD's `_cmp_server/<uuid>/<source.path>`), with the repository root Argo CD's variables
 * imply no higher than that work directory. Anything else is declined.
 */
async function confine(dir: string, sourcesDir: string, sourcePath: string): Promise<string | GenerateAnswer> {
  if (!dir.startsWith('/') || dir.includes('\0')) return declined('the source directory must be an absolute path');
  const root = await realpath(sourcesDir).catch(() => undefined);
  if (!root) return declined(`the service cannot see the sources directory ${sourcesDir} (JETWAY_SOURCES_DIR): is the plugin's /tmp mounted into it?`);
  const real = await realpath(dir).catch(() => undefined);
  if (!real) return declined("the service cannot see the source directory: is the plugin's /tmp mounted into it at the same path?");
  const rel = relative(root, real);
  if (rel === '' || !isInside(root, real)) return declined(`the source directory is not inside ${sourcesDir}`);
  const workDir = `${root}${sep}${rel.split(sep)[0]}`;
  if (!isInside(workDir, repoRootOf(real, sourcePath))) return declined("ARGOCD_APP_SOURCE_PATH leads above the request's work directory");
  return real;
}

/** Whether the app builds its module from Go source: the service has no Go toolchain, so the plugin container builds. */
function buildsFromSource(env: NodeJS.ProcessEnv, cwd: string): boolean {
  try {
    return parsePluginParameters(readArgoEnvironment(env, cwd).parameters).build;
  } catch {
    return false; // generate reports the bad parameter itself
  }
}

// Why: the hot path of every manifest request once the service runs: one socket round trip from the plugin container.
async function answerGenerate(dir: string | null, environ: Uint8Array, deps: GenerateDeps): Promise<GenerateAnswer> {
  const sourcesDir = readSetting(deps.ownEnv, 'sourcesDir');
  if (!sourcesDir) return declined('JETWAY_SOURCES_DIR is not set on jetway serve: generate runs in the plugin container');
  if (dir === null) return declined('the request names no source directory (?dir=)');
  if (environ.byteLength > maxEnvironBytes) return declined(`the environment is larger than ${maxEnvironBytes} bytes`);
  const caller = parseEnviron(environ);
  const mismatch = policyMismatch(caller, deps.ownEnv);
  if (mismatch) return declined(`${mismatch} differs between the plugin container and jetway serve: set the same JETWAY_* settings on both`);
  const cwd = await confine(dir, sourcesDir, caller.get('ARGOCD_APP_SOURCE_PATH') ?? '');
  if (typeof cwd !== 'string') return cwd;
  // Argo CD's variables from the caller; everything else (admin settings above all) from the service's own environment
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(deps.ownEnv).filter(([k]) => !k.startsWith('ARGOCD_')));
  for (const [k, v] of caller) if (k.startsWith('ARGOCD_')) env[k] = v;
  if (buildsFromSource(env, cwd)) return declined('build: "true" runs in the plugin container, which has the Go toolchain');

  const app = appOf(env);
  const redactions = new Redactions();
  const startedAt = new Date().toISOString();
  // resolved at most once per generate, by whichever needs it first (`refs` or the flight's lookups)
  let resolving: Promise<RunTarget> | undefined;
  let destination: string | undefined;
  const target = (): Promise<RunTarget> =>
    (resolving ??= deps.targets(app).then((t) => {
      destination = t.server;
      return t;
    }));
  try {
    const admin = readAdminSettings(deps.ownEnv);
    const outcome = await generate(env, admin, cwd, { get: async () => (await target()).cluster }, redactions, deps.runner(target), deps.load);
    const text = formatManifests(outcome.objects, 'yaml');
    if (text === '') throw new Error('generate produced no manifests'); // toManifests refuses this already; never answer 200 with nothing
    deps.record(okRecord(app, outcome, redactions, startedAt));
    return { status: 200, text, runMs: outcome.durationMs };
  } catch (error) {
    // not the flight's fault (the service is overloaded, or the caller left): the plugin container generates instead
    if (error instanceof PoolBusy) return declined(`jetway serve is overloaded: ${error.message}`);
    if (error instanceof RunCancelled) return declined(error.message);
    if (env['ARGOCD_APP_NAME']) deps.record(failedRecord(app, error, redactions, startedAt, destination));
    return { status: generateFailed, text: redactions.apply(failureText(error, `generate for Application ${app}`)) };
  }
}
