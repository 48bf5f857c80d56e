// The plugin's job, end to end: Argo CD env -> parameters -> module -> run -> manifests. Any failure throws.

import type { Cluster } from '../cluster/types.js';
import { localRunner, renderFlight, type FlightRunner, type ModuleBytes } from '../flight/runner.js';
import type { LookupRef } from '../host/refs.js';
import { buildFromSource, checkBuildAllowed } from '../module/build.js';
import { sha256 } from '../module/digest.js';
import { loadModule, type LoadOptions } from '../module/load.js';
import { destinationServesFlightStatus } from '../stages/flight-status.js';
import { toManifests, type Manifests } from '../stages/manifests.js';
import { FlightError } from '../wasi/errors.js';
import { applyCeilings, type AdminSettings } from './admin.js';
import { readArgoEnvironment, type ArgoEnvironment } from './environment.js';
import { composeInput } from './input.js';
import { parsePluginParameters, type PluginParameters } from './parameters.js';
import type { Redactions } from './redaction.js';
import { expandModuleUrl } from './templating.js';

export interface GenerateOutcome extends Manifests {
  env: ArgoEnvironment;
  /** The destination does not serve the FlightStatus CRD, so the dashboard cannot show the flight's health. */
  flightStatusCrdMissing: boolean;
  refs: LookupRef[];
  moduleDigest: string;
  durationMs: number;
  /** The cluster the lookups read, when `jetway serve` resolved it. */
  destination?: string;
}

/** Loads a module reference with its digest; `jetway serve` passes one that remembers repository modules by content. */
export type ModuleLoader = (ref: string, options: LoadOptions) => Promise<ModuleBytes>;

/** The cluster connection, opened on first use (LazyKube in a generate process, the service's own in `jetway serve`). */
export interface ClusterSource {
  get(): Promise<Cluster>;
}

/** The module and its digest: built from the source directory, or loaded from the wasm reference (refs filled in, then checked by the allow-list). */
async function moduleOf(
  params: PluginParameters,
  env: ArgoEnvironment,
  admin: AdminSettings,
  cwd: string,
  cluster: () => Promise<Cluster>,
  processEnv: NodeJS.ProcessEnv,
  redactions: Redactions,
  load: ModuleLoader,
): Promise<ModuleBytes> {
  if (params.build) {
    checkBuildAllowed(admin);
    const scope = { release: env.appName, namespace: env.destinationNamespace };
    const { bytes } = await buildFromSource(cwd, { go: admin.go, cacheDir: admin.cacheDir, cacheMaxBytes: admin.cacheMaxBytes, repoRoot: env.repoRoot, ...scope, env: processEnv });
    return { bytes, digest: sha256(bytes) };
  }
  const reach = { namespace: env.destinationNamespace, lookupCeiling: admin.lookupCeiling };
  redactions.addUserinfo(params.wasm!);
  const ref = await expandModuleUrl(params.wasm!, params.secretRefs, cluster, reach, redactions);
  return load(ref, {
    baseDir: cwd,
    repoRoot: env.repoRoot,
    checksum: params.checksum,
    insecure: params.insecure,
    cacheDir: admin.cacheDir,
    cacheMaxBytes: admin.cacheMaxBytes,
    mutableTtlMs: admin.mutableTtlMs,
    allow: admin.allow,
    verify: admin.verifyKeys,
    dockerConfigDir: admin.dockerConfig,
    maxModuleBytes: admin.maxModuleBytes,
    maxOciManifestBytes: admin.maxOciManifestBytes,
    // a warning can name the filled-in URL: it leaves through the same redaction as failures
    warn: (message) => process.stderr.write(redactions.apply(`jetway: warning: ${message}`) + '\n'),
  });
}

/**
 * Runs one generate for the Application described by `processEnv`, in `cwd` (the repository copy), under the admin's
 * settings (read once by the caller); the caller owns `kube`, and every Secret value read is added to `redactions`,
 * which the caller applies to whatever it writes.
 */
export async function generate(
  processEnv: NodeJS.ProcessEnv,
  admin: AdminSettings,
  cwd: string,
  kube: ClusterSource,
  redactions: Redactions,
  runner?: FlightRunner,
  load: ModuleLoader = loadModule,
): Promise<GenerateOutcome> {
  const env = readArgoEnvironment(processEnv, cwd);
  const params = parsePluginParameters(env.parameters);
  const limits = applyCeilings(admin, params);
  const cluster = () => kube.get();
  const input = await composeInput(params, env.repoRoot, cwd, { maxBytes: admin.maxInputBytes, maxListIndex: admin.maxInputListIndex });
  const module = await moduleOf(params, env, admin, cwd, cluster, processEnv, redactions, load);
  const spec = {
    input,
    release: env.appName,
    namespace: env.destinationNamespace,
    args: params.args,
    env: env.flightEnv,
    timeoutMs: limits.timeoutMs,
    maxMemoryMib: limits.maxMemoryMib,
    maxOutputBytes: admin.maxOutputBytes,
    workerHeapMib: admin.workerHeapMib,
    clusterAccess: params.clusterAccess,
    resourceMatchers: params.resourceMatchers,
    lookupCeiling: admin.lookupCeiling,
  };
  const result = await renderFlight(module, spec, runner ?? localRunner(cluster), admin.maxRenderedBytes).catch((error: unknown) => {
    throw error instanceof FlightError && error.kind === 'timeout' && limits.timeoutClamped ? FlightError.ceilingTimeout(limits.timeoutMs, error) : error;
  });
  const flightStatus = destinationServesFlightStatus(env.apiVersions);
  const manifests = toManifests(result.stages, {
    release: env.appName,
    namespace: env.destinationNamespace,
    input,
    lookedUpMissing: result.refs.some((r) => r.access === 'missing'),
    keepInput: params.keepInput,
    allowEmpty: params.allowEmpty,
    flightStatus,
  });
  const outcome: GenerateOutcome = { ...manifests, env, flightStatusCrdMissing: !flightStatus, refs: result.refs, moduleDigest: module.digest, durationMs: result.durationMs };
  if (result.destination !== undefined) outcome.destination = result.destination;
  return outcome;
}
