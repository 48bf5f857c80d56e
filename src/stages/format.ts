// Writes manifests the way Argo CD reads them: a YAML document stream (or one JSON object per line).

import yaml from 'js-yaml';
import type { KubeObject } from '../cluster/types.js';

export type OutputFormat = 'yaml' | 'json';

/** Never a bare JSON array: Argo CD rejects a top-level array. */
export function formatManifests(objects: readonly KubeObject[], format: OutputFormat): string {
  if (format === 'json') return objects.map((o) => JSON.stringify(o)).join('\n') + '\n';
  return objects.map((o) => `---\n${yaml.dump(o, { noRefs: true, lineWidth: -1, sortKeys: false })}`).join('');
}
