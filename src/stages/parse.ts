// yoke's ParseStages (internal/unmarshalling.go): one object, a list, a list of lists, or a YAML/JSON document stream.

import yaml from 'js-yaml';
import { groupKindString, groupOf } from '../cluster/names.js';
import type { KubeObject } from '../cluster/types.js';
import { FlightError } from '../wasi/errors.js';
import { defaultRenderedLimit, renderedSize, renderedTooLarge, type RenderBounds } from './bounds.js';
import { flattenLists } from './lists.js';

export type Stage = KubeObject[];

/** yoke's own wording, which users search for. */
export const notResourcesMessage = 'input must be resource, list of resources, or list of list of resources';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(detail: string, stderr: string): FlightError {
  return new FlightError('output', `flight output is not Kubernetes resources: ${notResourcesMessage} (${detail})`, stderr);
}

/** Splits concatenated JSON values (`{..}{..}`), which Go's decoder accepts and YAML does not. */
function jsonStream(text: string): unknown[] | undefined {
  const values: unknown[] = [];
  let depth = 0;
  let inString = false;
  let start = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{' || c === '[') {
      if (depth === 0) start = i;
      depth++;
    } else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) {
        try {
          values.push(JSON.parse(text.slice(start, i + 1)));
        } catch {
          return undefined;
        }
      }
    } else if (depth === 0 && !/\s/.test(c ?? '')) return undefined;
  }
  return depth === 0 ? values : undefined;
}

/** Every document of stdout, JSON stream first (exact), then YAML stream; null documents dropped. */
function documents(text: string, stderr: string): unknown[] {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    const values = jsonStream(trimmed);
    if (values) return values.filter((v) => v !== null);
  }
  try {
    return yaml.loadAll(text, undefined, { schema: yaml.JSON_SCHEMA }).filter((v) => v !== null && v !== undefined);
  } catch (error) {
    const reason = error instanceof yaml.YAMLException ? error.reason || error.message : String(error);
    throw invalid(`not valid YAML or JSON: ${reason}`, stderr);
  }
}

/** Checks one element is a resource: an object with a string kind, as yoke's unstructured decoding requires. */
function resource(value: unknown, where: string, stderr: string): KubeObject {
  if (!isObject(value)) throw invalid(`${where} is ${Array.isArray(value) ? 'a list' : typeof value}, not an object`, stderr);
  if (typeof value['kind'] !== 'string' || value['kind'] === '') throw invalid(`${where} has no kind`, stderr);
  return value;
}

/**
 * Parses a flight's stdout into stages, List objects flattened as Argo CD flattens them; output that would render past
 * the bound is refused; empty output gives no stages (toManifests refuses it unless allowEmpty).
 */
export function parseStages(stdout: Uint8Array, stderr = '', bounds: RenderBounds = { maxBytes: defaultRenderedLimit, perObjectBytes: 0 }): Stage[] {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(stdout);
  const docs = documents(text, stderr);
  if (docs.length === 0) return [];
  let stages: Stage[];
  if (docs.length > 1 || isObject(docs[0])) {
    stages = [docs.map((d, i) => resource(d, `document ${i + 1}`, stderr))];
  } else if (!Array.isArray(docs[0])) {
    // a lone scalar (`hello`, `42`): yoke's message, not a TypeError
    throw invalid(`output is a ${typeof docs[0]}, not an object or a list`, stderr);
  } else {
    const list = docs[0].filter((v) => v !== null);
    if (list.every(Array.isArray)) {
      stages = list.map((stage, s) => (stage as unknown[]).filter((v) => v !== null).map((d, i) => resource(d, `stage ${s + 1} item ${i + 1}`, stderr)));
    } else {
      stages = [list.map((d, i) => resource(d, `item ${i + 1}`, stderr))];
    }
  }
  // flattened first, so each List item is counted with the metadata jetway adds to it
  const flat = stages.map((stage) => flattenLists(stage, stderr));
  checkRenderedSize(flat, bounds, stderr);
  return flat.flatMap(splitStage);
}

/** Refuses output whose rendering (aliases expanded, metadata added) would pass the bound, before anything copies it. */
function checkRenderedSize(stages: readonly Stage[], bounds: RenderBounds, stderr: string): void {
  let total = 0;
  for (const stage of stages) {
    for (const object of stage) {
      total += bounds.perObjectBytes + renderedSize(object, bounds.maxBytes - total);
      if (total > bounds.maxBytes) throw renderedTooLarge(bounds.maxBytes, stderr);
    }
  }
}

const preStageKinds = new Set(['Namespace', 'CustomResourceDefinition.apiextensions.k8s.io']);

/** yoke's rule: Namespaces and CRDs of a stage go into a stage of their own just before it. */
function splitStage(stage: Stage): Stage[] {
  const isPre = (r: KubeObject) => preStageKinds.has(groupKindString(groupOf(r.apiVersion ?? ''), r.kind ?? ''));
  const pre = stage.filter(isPre);
  const regular = stage.filter((r) => !isPre(r));
  return [pre, regular].filter((s) => s.length > 0);
}
