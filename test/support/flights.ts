// The Go test flights (test/flights/wasm/<name>.wasm.gz) and the examples, compiled once per process,
// and a KubeCluster pointed at the fake API server through a kubeconfig file, as a user would.

import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import type { FakeApiServer } from './apiserver.js';
import { KubeCluster, loadKubeConfig } from '../../src/cluster/kube.js';
import type { Cluster } from '../../src/cluster/types.js';
import { runCompiled, type FlightRunner, type ModuleBytes } from '../../src/flight/runner.js';
import { compileFlight, type CompiledFlight } from '../../src/module/compile.js';
import { sha256 } from '../../src/module/digest.js';
import { repoPath } from './paths.js';

/** The examples live outside test/flights. */
const examples = new Set(['pipeline', 'app']);

/** Where a flight's gzipped module is, relative to the repository. */
export function flightPath(name: string): string {
  return examples.has(name) ? `examples/${name}/${name}.wasm.gz` : `test/flights/wasm/${name}.wasm.gz`;
}

const bytesCache = new Map<string, Promise<Uint8Array>>();
const compiled = new Map<string, Promise<CompiledFlight>>();

/** The decompressed module bytes of a Go flight. */
export function flightBytes(name: string): Promise<Uint8Array> {
  let bytes = bytesCache.get(name);
  if (!bytes) {
    bytes = readFile(repoPath(flightPath(name))).then((gz) => new Uint8Array(gunzipSync(gz)));
    bytesCache.set(name, bytes);
  }
  return bytes;
}

/** A Go flight compiled (with its memory capped when maxMemoryMib is given), once per name and cap per process. */
export function goFlight(name: string, maxMemoryMib?: number): Promise<CompiledFlight> {
  const key = `${name}@${maxMemoryMib ?? 'none'}`;
  let flight = compiled.get(key);
  if (!flight) {
    flight = flightBytes(name).then((bytes) => compileFlight(bytes, maxMemoryMib));
    compiled.set(key, flight);
  }
  return flight;
}

/** A Go flight as the bytes and digest that renderFlight takes. */
export async function flightModule(name: string): Promise<ModuleBytes> {
  const bytes = await flightBytes(name);
  return { bytes, digest: sha256(bytes) };
}

const byDigest = new Map<string, Promise<CompiledFlight>>();

/**
 * A FlightRunner like localRunner, but compiling each module (per memory cap) once per process:
 * renderFlight(await flightModule('base'), spec, compiledRunner(cluster)) is the real pipeline minus repeated compiles.
 */
export function compiledRunner(cluster: Cluster | undefined): FlightRunner {
  return async (module, spec) => {
    const key = `${module.digest}@${spec.maxMemoryMib ?? 'none'}`;
    let flight = byDigest.get(key);
    if (!flight) {
      flight = compileFlight(module.bytes, spec.maxMemoryMib);
      byDigest.set(key, flight);
    }
    return runCompiled((await flight).module, spec, cluster);
  };
}

/** A KubeCluster built from a kubeconfig file for `token` (default: the admin token), as `jetway render --kubeconfig` does. */
export function kubeCluster(api: FakeApiServer, token?: string, timeoutMs?: number): KubeCluster {
  return new KubeCluster(loadKubeConfig({ kubeconfig: api.kubeconfig(token) }), timeoutMs);
}
