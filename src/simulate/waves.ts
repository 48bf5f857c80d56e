// Argo CD's order of applying manifests: by sync wave, lowest first (toManifests writes the waves, as generate does).

import { syncWaveAnnotation } from '../stages/manifests.js';
import type { KubeObject } from '../cluster/types.js';

/** Why: Argo CD applies one wave, waits for it to be healthy, then applies the next; simulate walks the same order. */
export function wavesOf(objects: readonly KubeObject[]): KubeObject[][] {
  const byWave = new Map<number, KubeObject[]>();
  for (const object of objects) {
    const wave = Number.parseInt(object.metadata?.annotations?.[syncWaveAnnotation] ?? '0', 10) || 0;
    byWave.set(wave, [...(byWave.get(wave) ?? []), object]);
  }
  return [...byWave.entries()].sort(([a], [b]) => a - b).map(([, objects]) => objects);
}
