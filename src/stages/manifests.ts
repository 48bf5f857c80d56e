// Stages -> what Argo CD applies: the flight's own input object taken out (it carries the flight's status), the
// empty-output rule, sync waves, yoke's ownership metadata, and the FlightStatus object the dashboard reads.

import yaml from 'js-yaml';
import type { KubeObject } from '../cluster/types.js';
import { namespaceAnnotation, releaseAnnotation } from '../host/ownership.js';
import { flightStatusObject } from './flight-status.js';
import type { Stage } from './parse.js';
import { flightSignal, type FlightSignal } from './signal.js';

export const syncWaveAnnotation = 'argocd.argoproj.io/sync-wave';
const managedByLabel = 'app.kubernetes.io/managed-by';
export const manager = 'jetway';

export interface Manifests {
  objects: KubeObject[];
  /** The identity object's status, when the flight emitted one (yoke ATC style). */
  status: unknown;
  /** A one-line summary of that status for events and `jetway status`. */
  statusMessage: string | undefined;
  /** Done, waiting or failed, from the flight's Ready condition or jetway's rule (src/stages/signal.ts). */
  signal: FlightSignal;
}

export interface ManifestOptions {
  release: string;
  namespace: string;
  /** The flight's stdin: its own object, when it is one, is the status carrier. */
  input: Uint8Array;
  /** A lookup of this run found nothing: without a Ready condition, the flight is waiting. */
  lookedUpMissing: boolean;
  /** `keepInput: "true"`: the flight re-emits its input as a real resource, so it stays in the manifests. */
  keepInput?: boolean;
  /** `allowEmpty: "true"`: zero resources are rendered on purpose. */
  allowEmpty?: boolean;
  /** Emit the FlightStatus object (the destination serves its CRD). */
  flightStatus?: boolean;
}

interface Identity {
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string | undefined;
}

/** The input's apiVersion/kind/name(/namespace) when the input, YAML or JSON, is one object that has them. */
function identityOf(input: Uint8Array): Identity | undefined {
  if (input.byteLength === 0) return undefined;
  let value: unknown;
  try {
    // JSON is YAML: one parser reads both, as yoke's SDK flights do (yaml.NewYAMLToJSONDecoder)
    value = yaml.load(new TextDecoder().decode(input), { schema: yaml.JSON_SCHEMA });
  } catch {
    return undefined;
  }
  const object = value as KubeObject | null;
  if (typeof object !== 'object' || object === null || Array.isArray(object)) return undefined;
  const metadata = object.metadata;
  if (typeof object.apiVersion !== 'string' || typeof object.kind !== 'string' || typeof metadata?.name !== 'string') return undefined;
  return { apiVersion: object.apiVersion, kind: object.kind, name: metadata.name, namespace: typeof metadata.namespace === 'string' && metadata.namespace !== '' ? metadata.namespace : undefined };
}

/** The same object as the input: apiVersion, kind and name equal; namespaces equal once an empty one means the destination. */
function isIdentity(identity: Identity | undefined, object: KubeObject, namespace: string): boolean {
  if (!identity) return false;
  const ns = object.metadata?.namespace || namespace;
  return object.apiVersion === identity.apiVersion && object.kind === identity.kind && object.metadata?.name === identity.name && ns === (identity.namespace ?? namespace);
}

function withMetadata(object: KubeObject, release: string, namespace: string, wave: number | undefined): KubeObject {
  const metadata = object.metadata ?? {};
  const annotations: Record<string, string> = { ...(metadata.annotations ?? {}), [releaseAnnotation]: release, [namespaceAnnotation]: namespace };
  if (wave !== undefined) annotations[syncWaveAnnotation] = String(wave);
  return { ...object, metadata: { ...metadata, labels: { ...(metadata.labels ?? {}), [managedByLabel]: manager }, annotations } };
}

/** The highest sync wave among the objects (Argo CD reads a missing or unparsable annotation as wave 0). */
function lastWave(objects: readonly KubeObject[]): number {
  return objects.reduce((max, o) => {
    const wave = Number.parseInt(o.metadata?.annotations?.[syncWaveAnnotation] ?? '0', 10);
    return Number.isNaN(wave) ? max : Math.max(max, wave);
  }, 0);
}

/** The error for output with nothing to apply, naming the parameter that allows it. */
function emptyOutput(identityOnly: boolean): Error {
  const what = identityOnly ? 'only its own input object' : 'no resources (Lists flattened)';
  return new Error(`the flight emitted ${what}: empty output would make Argo CD prune the whole app, so it is refused; set the parameter allowEmpty: "true" if the app should have no resources`);
}

/** Shapes a run's stages into the manifests for Argo CD; waves only when two stages or more remain (as yokecd). */
export function toManifests(stages: readonly Stage[], options: ManifestOptions): Manifests {
  const { release, namespace } = options;
  const identity = identityOf(options.input);
  let status: unknown;
  let sawIdentity = false;
  const kept = stages
    .map((stage) =>
      stage.filter((o) => {
        if (!isIdentity(identity, o, namespace)) return true;
        sawIdentity = true;
        status = o['status'];
        return options.keepInput === true;
      }),
    )
    .filter((stage) => stage.length > 0);
  if (kept.length === 0 && !options.allowEmpty) throw emptyOutput(sawIdentity);
  const waves = kept.length >= 2;
  const objects = kept.flatMap((stage, i) => stage.map((o) => withMetadata(o, release, namespace, waves ? i : undefined)));
  const signal = flightSignal(status, options.lookedUpMissing);
  if (options.flightStatus) objects.push(withMetadata(flightStatusObject(release, signal, lastWave(objects)), release, namespace, undefined));
  return { objects, status, statusMessage: signal.message, signal };
}
