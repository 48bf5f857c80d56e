// Kubernetes and Argo CD naming rules shared by the policy, the stages, generate and the refresher.

/** Go's schema.GroupKind.String(): `Kind` for the core group, else `Kind.group`. */
export function groupKindString(group: string, kind: string): string {
  return group === '' ? kind : `${kind}.${group}`;
}

/** An apiVersion's group and version (`apps/v1` -> apps, v1; `v1` -> the core group ``, v1): the one place it is split. */
export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash === -1 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/** The group part of an apiVersion (`apps/v1` -> `apps`, `v1` -> ``). */
export function groupOf(apiVersion: string): string {
  return splitApiVersion(apiVersion).group;
}

/** ARGOCD_APP_NAME taken apart: `<name>` (namespace undefined: Argo CD's own) or `<appNamespace>_<name>` (`_` is valid in neither). */
export function splitAppName(appName: string): { namespace: string | undefined; name: string } {
  const underscore = appName.indexOf('_');
  return underscore === -1 ? { namespace: undefined, name: appName } : { namespace: appName.slice(0, underscore), name: appName.slice(underscore + 1) };
}
