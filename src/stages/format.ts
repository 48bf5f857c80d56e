// Writes manifests the way Argo CD reads them: a YAML document stream (or one JSON object per line).

import yaml from 'js-yaml';
import type { KubeObject } from '../cluster/types.js';
import { defaultRenderedLimit, renderedTooLarge } from './bounds.js';

export type OutputFormat = 'yaml' | 'json';

/** Never a bare JSON array: Argo CD rejects a top-level array. Stops at `maxBytes` (JETWAY_MAX_RENDERED_BYTES), so no more is ever built. */
export function formatManifests(objects: readonly KubeObject[], format: OutputFormat, maxBytes: number = defaultRenderedLimit): string {
  const parts: string[] = [];
  let size = 0;
  for (const o of objects) {
    const part = format === 'json' ? `${JSON.stringify(o)}\n` : `---\n${yaml.dump(o, { noRefs: true, lineWidth: -1, sortKeys: false })}`;
    size += Buffer.byteLength(part);
    if (size > maxBytes) throw renderedTooLarge(maxBytes, '');
    parts.push(part);
  }
  return parts.join('');
}
