// The host-side bound on what a flight's output becomes: YAML aliases expanded and jetway's metadata added, before any copy is made.

import { FlightError } from '../wasi/errors.js';

/** The default bound on rendered manifests (JETWAY_MAX_RENDERED_BYTES): under Argo CD's 100 MiB gRPC message limit. */
export const defaultRenderedLimit = 64 * 1024 * 1024;

export interface RenderBounds {
  /** Bound on the rendered YAML stream, in bytes. */
  maxBytes: number;
  /** What jetway adds to each resource (ownership annotations, label, sync wave), in bytes. */
  perObjectBytes: number;
}

/** What jetway adds to each object it emits, rendered: the two ownership annotations, the managed-by label, a sync wave, `---`. */
export function metadataBytes(release: string, namespace: string): number {
  return 180 + release.length + namespace.length;
}

/** The failure every rendered-size bound ends in: one line naming the limit and the setting that raises it. */
export function renderedTooLarge(limit: number, stderr: string): FlightError {
  return new FlightError(
    'output',
    `the flight's output renders to more than ${limit} bytes of manifests (JETWAY_MAX_RENDERED_BYTES; YAML aliases and jetway's per-object metadata count): emit fewer or smaller objects, or raise JETWAY_MAX_RENDERED_BYTES (Argo CD refuses more than 100 MiB)`,
    stderr,
  );
}

/**
 * An estimate, from below, of the YAML a parsed value renders to with aliases expanded (every visit of a shared node
 * counts again): scalars, keys, `- ` and `: `, and one byte of indentation per level (js-yaml writes two). It stops once past `budget`, so an alias bomb
 * costs at most `budget` steps, never its expanded size. Why hand-written: js-yaml has no alias-expansion limit.
 */
export function renderedSize(value: unknown, budget: number): number {
  let total = 0;
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const { value: node, depth } = stack.pop()!;
    const indent = depth;
    if (typeof node === 'string') total += node.length + 1;
    else if (node === null || typeof node !== 'object') total += String(node).length + 1;
    else if (Array.isArray(node)) {
      if (node.length === 0) total += 3;
      for (const item of node) {
        total += indent + 2;
        stack.push({ value: item, depth: depth + 1 });
      }
    } else {
      const entries = Object.entries(node);
      if (entries.length === 0) total += 3;
      for (const [key, item] of entries) {
        total += indent + key.length + 2;
        stack.push({ value: item, depth: depth + 1 });
      }
    }
    if (total > budget) return total;
  }
  return total;
}
