// Argo CD flattens List objects before it applies anything (argo-cd reposerver/repository: obj.IsList() ->
// EachListItem), so jetway flattens them the same way first: the empty-output rule, the flight's identity and the
// ownership and sync-wave annotations then see exactly the objects Argo CD will apply.

import type { KubeObject } from '../cluster/types.js';
import { FlightError } from '../wasi/errors.js';

/** unstructured.IsList: any object whose `items` is an array is a list, whatever its kind says. */
function isList(object: KubeObject): boolean {
  return Array.isArray((object as { items?: unknown }).items);
}

/** Argo CD drops an object whose `items` is null and that has no spec or status (an empty List as Go marshals it). */
function isNullList(object: KubeObject): boolean {
  return 'items' in object && (object as { items?: unknown }).items === null && !('spec' in object) && !('status' in object);
}

/** One level, as EachListItem does; each item must be an object with a kind, as Argo CD requires of every object. */
export function flattenLists(stage: KubeObject[], stderr = ''): KubeObject[] {
  return stage.flatMap((object) => {
    if (isNullList(object)) return [];
    if (!isList(object)) return [object];
    const items = (object as { items: unknown[] }).items;
    return items.map((item, i) => {
      if (typeof item !== 'object' || item === null || Array.isArray(item) || typeof (item as KubeObject).kind !== 'string' || (item as KubeObject).kind === '') {
        throw new FlightError(
          'output',
          `flight output is not Kubernetes resources: ${object.kind} ${object.metadata?.name ?? ''} item ${i + 1} is not an object with a kind`.replace('  ', ' '),
          stderr,
        );
      }
      return item as KubeObject;
    });
  });
}
