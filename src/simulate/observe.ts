// One run of the flight in a simulation: the same pipeline as render and generate (run under the access
// policy, parse the stages, shape them into manifests), against the simulated cluster.

import type { Cluster } from '../cluster/types.js';
import { renderFlight, runCompiled, type ModuleBytes, type RunSpec } from '../flight/runner.js';
import { dashboardHealth } from '../stages/flight-status.js';
import { toManifests, type ManifestOptions } from '../stages/manifests.js';
import type { Observation } from './loop.js';

/** Why: a simulation runs the flight many times, so it compiles once and hands renderFlight a runner bound to this step's cluster. */
export async function observeFlight(
  module: ModuleBytes,
  compiled: WebAssembly.Module,
  spec: RunSpec,
  cluster: Cluster,
  options: Pick<ManifestOptions, 'keepInput' | 'allowEmpty'> = {},
): Promise<Observation> {
  const result = await renderFlight(module, spec, (_module, runSpec) => runCompiled(compiled, runSpec, cluster));
  const missing = result.refs.filter((r) => r.access === 'missing');
  const manifests = toManifests(result.stages, { release: spec.release, namespace: spec.namespace, input: spec.input, lookedUpMissing: missing.length > 0, ...options });
  return { objects: manifests.objects, statusMessage: manifests.statusMessage, flightHealth: dashboardHealth(manifests.signal), missing };
}
