// The plugin's job, end to end: Argo CD env -> parameters -> module -> run -> manifests. Any failure throws.

import type { LazyKube } from '../cluster/connect.js';
import type { Cluster } from '../cluster/types.js';
import { localRunner, renderFlight, type FlightRunner } from '../flight/render.js';
import type { LookupRef } from '../host/refs.js';
import { buildFromSource, checkBuildAllowed } from '../module/build.js';
import { sha256 } from '../module/compile.js';
import { loadModule } from '../module/load.js';
import { applyCeilings, readAdminSettings, type AdminSettings } from './admin.js';
import { readArgoEnvironment, type ArgoEnvironment } from './environment.js';
import { composeInput } from './input.js';
import { destinationServesFlightStatus } from './flight-status.js';
import { toManifests, type Manifests } from './output.js';
import { parsePluginParameters, type PluginParameters } from './parameters.js';
import { expandModuleUrl } from './templating.js';

export interface GenerateOutcome extends Manifests {
  env: ArgoEnvironment;
  /** The destination does not serve the FlightStatus CRD, so the dashboard cannot show the flight's health. */
  flightStatusCrdMissing: boolean;
  refs: LookupRef[];
  moduleDigest: string;
  durationMs: number;
}

/** The module bytes: built from the source directory, or loaded from the wasm reference. */
async function moduleBytes(params: PluginParameters, env: ArgoEnvironment, admin: AdminSettings, cwd: string, cluster: () => Promise<Cluster>, processEnv: NodeJS.ProcessEnv): Promise<Uint8Array> {
  if (params.build) {
    checkBuildAllowed(admin);
    const scope = { release: env.appName, namespace: env.destinationNamespace };
    return (await buildFromSource(cwd, { go: admin.go, cacheDir: admin.cacheDir, cacheMaxBytes: admin.cacheMaxBytes, repoRoot: env.repoRoot, ...scope, env: processEnv })).bytes;
  }
  const ref = await expandModuleUrl(params.wasm!, params.refs, cluster, env.destinationNamespace);
  try {
    const loaded = await loadModule(ref, {
      baseDir: cwd,
      repoRoot: env.repoRoot,
      checksum: params.checksum,
      insecure: params.insecure,
      cacheDir: admin.cacheDir,
      cacheMaxBytes: admin.cacheMaxBytes,
      mutableTtlMs: admin.mutableTtlMs,
      allow: admin.allow,
      verify: admin.verifyKeys,
      maxModuleBytes: admin.maxModuleBytes,
      maxOciManifestBytes: admin.maxOciManifestBytes,
      warn: (message) => process.stderr.write(`jetway: warning: ${message}\n`),
    });
    return loaded.bytes;
  } catch (error) {
    // the expanded URL holds values from Secrets (refs); the error is shown in the Argo CD UI, so it names the template instead
    if (ref !== params.wasm && error instanceof Error) error.message = error.message.split(ref).join(params.wasm!);
    throw error;
  }
}

/** Runs one generate for the Application described by `processEnv`, in `cwd` (the repository copy); the caller owns `kube`. */
export async function generate(processEnv: NodeJS.ProcessEnv, cwd: string, kube: LazyKube, runner?: FlightRunner): Promise<GenerateOutcome> {
  const env = readArgoEnvironment(processEnv, cwd);
  const admin = readAdminSettings(processEnv);
  const params = parsePluginParameters(env.parameters);
  const limits = applyCeilings(admin, params);
  const cluster = () => kube.get();
  const input = await composeInput(params, env.repoRoot, cwd);
  const bytes = await moduleBytes(params, env, admin, cwd, cluster, processEnv);
  const module = { bytes, digest: sha256(bytes) };
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
    ceiling: admin.lookupCeiling,
  };
  const result = await renderFlight(module, spec, runner ?? localRunner(cluster), admin.maxRenderedBytes);
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
  return { ...manifests, env, flightStatusCrdMissing: !flightStatus, refs: result.refs, moduleDigest: module.digest, durationMs: result.durationMs };
}
