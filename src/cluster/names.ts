// Kubernetes naming rules shared by the policy, the stages and the refresher.

/** Go's schema.GroupKind.String(): `Kind` for the core group, else `Kind.group`. */
export function groupKindString(group: string, kind: string): string {
  return group === '' ? kind : `${kind}.${group}`;
}

/** The group part of an apiVersion (`apps/v1` -> `apps`, `v1` -> ``). */
export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash === -1 ? '' : apiVersion.slice(0, slash);
}
