// Which objects a release owns: yoke's annotations, or the older labels (internal/revision.go).

import type { KubeObject } from '../cluster/types.js';

export const releaseAnnotation = 'instance.atc.yoke.cd/release';
export const namespaceAnnotation = 'instance.atc.yoke.cd/namespace';
const deprecatedReleaseLabel = 'app.kubernetes.io/yoke-release';
const deprecatedNamespaceLabel = 'app.kubernetes.io/yoke-release-namespace';

/** The release an object belongs to, as `namespace/release`, or undefined for objects no release owns. */
function ownerOf(object: KubeObject): string | undefined {
  const annotations = object.metadata?.annotations ?? {};
  const labels = object.metadata?.labels ?? {};
  const release = annotations[releaseAnnotation] || labels[deprecatedReleaseLabel];
  const namespace = annotations[namespaceAnnotation] || labels[deprecatedNamespaceLabel];
  return release && namespace ? `${namespace}/${release}` : undefined;
}

/** True when the object carries this run's release and namespace. */
export function isOwnedBy(object: KubeObject, release: string, namespace: string): boolean {
  return ownerOf(object) === `${namespace}/${release}`;
}
