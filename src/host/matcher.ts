// yoke's resource matchers (internal/matcher.go): `[namespace/]GroupKind[:name]`, `*` wildcards.

import { groupKindString, groupOf } from '../cluster/names.js';
import type { KubeObject } from '../cluster/types.js';

interface MatcherParts {
  namespace: string;
  groupKind: string;
  name: string;
}

/** Splits a matcher or a reference the way yoke does: a missing namespace or name means `*`. */
function parse(expr: string): MatcherParts {
  const slash = expr.indexOf('/');
  const namespace = slash === -1 ? '*' : expr.slice(0, slash);
  const rest = slash === -1 ? expr : expr.slice(slash + 1);
  const colon = rest.indexOf(':');
  return colon === -1 ? { namespace, groupKind: rest, name: '*' } : { namespace, groupKind: rest.slice(0, colon), name: rest.slice(colon + 1) };
}

/** yoke's reference string for an object: `namespace/GroupKind:name`. */
export function refString(namespace: string, groupKind: string, name: string): string {
  return `${namespace}/${groupKind}:${name}`;
}

/** yoke's MatchResource: does the matcher admit this live object? */
export function matchesObject(matcher: string, object: KubeObject): boolean {
  if (matcher === '') return false;
  if (matcher === '*') return true;
  const m = parse(matcher);
  const meta = object.metadata ?? {};
  if (m.namespace !== '*' && (meta.namespace ?? '') !== m.namespace) return false;
  if (m.groupKind !== '*' && groupKindString(groupOf(object.apiVersion ?? ''), object.kind ?? '') !== m.groupKind) return false;
  if (m.name !== '*' && (meta.name ?? '') !== m.name) return false;
  return true;
}

/** Rejects matchers yoke would silently never match, so a typo is an error instead of a Forbidden at run time. */
export function validateMatcher(matcher: string): string | undefined {
  if (matcher.trim() !== matcher || matcher === '') return 'must be a non-empty string without surrounding spaces';
  if (matcher === '*') return undefined;
  const slashes = matcher.split('/').length - 1;
  if (slashes > 1) return 'has more than one "/"; expected [namespace/]GroupKind[:name]';
  const { groupKind, name } = parse(matcher);
  if (groupKind === '') return 'has an empty GroupKind; expected [namespace/]GroupKind[:name]';
  if (name === '') return 'has an empty name after ":"';
  return undefined;
}
