// Stages -> what Argo CD applies: sync waves, yoke's ownership metadata, and the flight's own identity object taken out.

import type { KubeObject } from '../cluster/types.js';
import { namespaceAnnotation, releaseAnnotation } from '../host/ownership.js';
import type { Stage } from '../stages/parse.js';

export const syncWaveAnnotation = 'argocd.argoproj.io/sync-wave';
export const managedByLabel = 'app.kubernetes.io/managed-by';
export const manager = 'jetway';

export interface Manifests {
  objects: KubeObject[];
  /** The identity object's status, when the flight emitted one (yoke ATC style). */
  status: unknown;
  /** A one-line summary of that status for events and `jetway status`. */
  statusMessage: string | undefined;
}

interface Identity {
  apiVersion: string;
  kind: string;
  name: string;
}

/** The input's apiVersion/kind/name when the input is an object that has them. */
export function identityOf(input: Uint8Array): Identity | undefined {
  if (input.byteLength === 0) return undefined;
  try {
    const value = JSON.parse(new TextDecoder().decode(input)) as KubeObject;
    const name = value?.metadata?.name;
    if (typeof value?.apiVersion === 'string' && typeof value.kind === 'string' && typeof name === 'string') {
      return { apiVersion: value.apiVersion, kind: value.kind, name };
    }
  } catch {
    // not a JSON object: no identity
  }
  return undefined;
}

/** The status's `message` when it has one, else its JSON. */
function summarize(status: unknown): string | undefined {
  if (status === undefined || status === null) return undefined;
  if (typeof status === 'object' && typeof (status as { message?: unknown }).message === 'string') return (status as { message: string }).message;
  return typeof status === 'string' ? status : JSON.stringify(status);
}

function withMetadata(object: KubeObject, release: string, namespace: string, wave: number | undefined): KubeObject {
  const metadata = object.metadata ?? {};
  const annotations: Record<string, string> = { ...(metadata.annotations ?? {}), [releaseAnnotation]: release, [namespaceAnnotation]: namespace };
  if (wave !== undefined) annotations[syncWaveAnnotation] = String(wave);
  return { ...object, metadata: { ...metadata, labels: { ...(metadata.labels ?? {}), [managedByLabel]: manager }, annotations } };
}

/** Shapes a run's stages into the manifests for Argo CD; waves only when two stages or more remain (as yokecd). */
export function toManifests(stages: readonly Stage[], release: string, namespace: string, input: Uint8Array): Manifests {
  const identity = identityOf(input);
  let status: unknown;
  const isIdentity = (o: KubeObject) => identity !== undefined && o.apiVersion === identity.apiVersion && o.kind === identity.kind && o.metadata?.name === identity.name;
  const kept = stages
    .map((stage) =>
      stage.filter((o) => {
        if (!isIdentity(o)) return true;
        status = o['status'];
        return false;
      }),
    )
    .filter((stage) => stage.length > 0);
  if (kept.length === 0) {
    throw new Error('the flight emitted only its own input object: there are no resources to apply, and empty output would prune the app');
  }
  const waves = kept.length >= 2;
  return {
    objects: kept.flatMap((stage, i) => stage.map((o) => withMetadata(o, release, namespace, waves ? i : undefined))),
    status,
    statusMessage: summarize(status),
  };
}
