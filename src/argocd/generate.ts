// The plugin's job, end to end: Argo CD env -> parameters -> module -> run -> manifests. Any failure throws.

import type { Cluster } from '../cluster/types.js';
import { localRunner, renderFlight, type FlightRunner, type ModuleBytes } from '../flight/render.js';
import type { LookupRef } from '../host/refs.js';
import { buildFromSource, checkBuildAllowed } from '../module/build.js';
import { sha256 } from '../module/compile.js';
import { loadModule, type LoadOptions } from '../module/load.js';
import { applyCeilings, readAdminSettings, type AdminSettings } from './admin.js';
import { readArgoEnvironment, type ArgoEnvironment } from './environment.js';
import { composeInput } from './input.js';
import { toManifests, type Manifests } from './output.js';
import { parsePluginParameters, type PluginParameters } from './parameters.js';
import { expandModuleUrl } from './templating.js';

export interface GenerateOutcome extends Manifests {
  env: ArgoEnvironment;
  refs: LookupRef[];
  moduleDigest: string;
  durationMs: number;
}

/** Loads a module reference with its digest; `jetway serve` passes one that remembers repository modules by content. */
export type ModuleLoader = (ref: string, options: LoadOptions) => Promise<ModuleBytes>;

/** The cluster connection, opened on first use (LazyKube in a generate process, the service's own in `jetway serve`). */
export interface ClusterSource {
  get(): Promise<Cluster>;
}

/** The module and its digest: built from the source directory, or loaded from the wasm reference. */
async function moduleOf(
  params: PluginParameters,
  env: ArgoEnvironment,
  admin: AdminSettings,
  cwd: string,
  cluster: () => Promise<Cluster>,
  processEnv: NodeJS.ProcessEnv,
  load: ModuleLoader,
): Promise<ModuleBytes> {
  if (params.build) {
    checkBuildAllowed(admin);
    const scope = { release: env.appName, namespace: env.destinationNamespace };
    const { bytes } = await buildFromSource(cwd, { go: admin.go, cacheDir: admin.cacheDir, cacheMaxBytes: admin.cacheMaxBytes, repoRoot: env.repoRoot, ...scope, env: processEnv });
    return { bytes, digest: sha256(bytes) };
  }
  const ref = await expandModuleUrl(params.wasm!, params.refs, cluster, env.destinationNamespace);
  try {
    return await load(ref, {
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
  } catch (error) {
    // the expanded URL holds values from Secrets (refs); the error is shown in the Argo CD UI, so it names the template instead
    if (ref !== params.wasm && error instanceof Error) error.message = error.message.split(ref).join(params.wasm!);
    throw error;
  }
}

/** Runs one generate for the Application described by `processEnv`, in `cwd` (the repository copy); the caller owns `kube`. */
export async function generate(processEnv: NodeJS.ProcessEnv, cwd: string, kube: ClusterSource, runner?: FlightRunner, load: ModuleLoader = loadModule): Promise<GenerateOutcome> {
  const env = readArgoEnvironment(processEnv, cwd);
  const admin = readAdminSettings(processEnv);
  const params = parsePluginParameters(env.parameters);
  const limits = applyCeilings(admin, params);
  const cluster = () => kube.get();
  const input = await composeInput(params, env.repoRoot, cwd);
  const module = await moduleOf(params, env, admin, cwd, cluster, processEnv, load);
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
  const manifests = toManifests(result.stages, env.appName, env.destinationNamespace, input);
  return { ...manifests, env, refs: result.refs, moduleDigest: module.digest, durationMs: result.durationMs };
}
