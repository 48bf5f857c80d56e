// REST paths built from a mapping (client-node's object API lower-cases paths and guesses namespaces: not used for lookups).

import type { RestMapping } from './types.js';

/** The collection path for a mapping, in a namespace or across all. */
export function collectionPath(m: Pick<RestMapping, 'Group' | 'Version' | 'Resource' | 'Namespaced'>, namespace: string): string {
  const base = m.Group === '' ? `/api/${m.Version}` : `/apis/${m.Group}/${m.Version}`;
  return m.Namespaced && namespace !== '' ? `${base}/namespaces/${encodeURIComponent(namespace)}/${m.Resource}` : `${base}/${m.Resource}`;
}

/** The path of one object. */
export function objectPath(m: Pick<RestMapping, 'Group' | 'Version' | 'Resource' | 'Namespaced'>, namespace: string, name: string): string {
  return `${collectionPath(m, namespace)}/${encodeURIComponent(name)}`;
}
