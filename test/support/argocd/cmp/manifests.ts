// Turns generate's stdout into manifests as the repo-server does (apimachinery util/yaml/decoder.go, sigs.k8s.io/yaml).

import yaml from 'js-yaml';
import { goJson } from './request-env.js';

/** A failure to turn stdout into manifests; `message` is Argo CD's text. */
export class ManifestParseError extends Error {
  override name = 'ManifestParseError';
}

// sigs.k8s.io/yaml uses yaml.v2, where y/yes/on/n/no/off (any case form) are booleans, unlike js-yaml's YAML 1.2.
const yaml11Bool = new yaml.Type('tag:yaml.org,2002:bool', {
  kind: 'scalar',
  resolve: (data: string | null) => data !== null && YAML11_BOOLS.has(data),
  construct: (data: string) => /^(y|yes|on|true)$/i.test(data),
  predicate: (v: unknown) => typeof v === 'boolean',
  represent: (v: object) => String(v),
});
const YAML11_BOOLS = new Set(['y', 'yes', 'on', 'true', 'n', 'no', 'off', 'false'].flatMap((w) => [w, w.toUpperCase(), w[0]!.toUpperCase() + w.slice(1)]));
const GO_YAML_SCHEMA = yaml.DEFAULT_SCHEMA.extend({ implicit: [yaml11Bool] });
export const GO_SPACE = '\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';

// kube.SplitYAMLToString in the sidecar: a JSON stream when stdout starts with `{`, else a YAML stream; empty and `null` documents dropped.
export function splitManifestStream(stdout: string): unknown[] {
  const docs: unknown[] = [];
  let pos = 0;
  let firstError: string | undefined;
  if (new RegExp(`^[${GO_SPACE}]*\\{`).test(stdout)) {
    let count = 0;
    for (;;) {
      const start = skipJsonSpace(stdout, pos);
      if (start === stdout.length) return docs;
      let value: unknown;
      try {
        const end = scanJsonValue(stdout, start);
        value = JSON.parse(stdout.slice(start, end));
        pos = end;
      } catch (e) {
        // YAMLOrJSONDecoder: after more than one JSON document the stream is JSON for sure; else retry as YAML.
        if (count > 1) throw new ManifestParseError(`failed to unmarshal manifest: ${message(e)}`);
        firstError = `json: offset ${start + 1}: ${message(e)}`;
        break;
      }
      count++;
      if (value !== null) docs.push(value);
    }
    // consumeWhitespace: eat blanks up to and including the first newline before switching to YAML.
    const blank = new RegExp(`^[${GO_SPACE}]*?(\\n|(?=[^${GO_SPACE}])|$)`).exec(stdout.slice(pos));
    pos += blank?.[0].length ?? 0;
  }
  for (const doc of yamlDocuments(stdout.slice(pos))) {
    let value: unknown;
    try {
      value = yaml.load(doc, { schema: GO_YAML_SCHEMA });
    } catch (e) {
      throw new ManifestParseError(`failed to unmarshal manifest: ${firstError ?? `error converting YAML to JSON: yaml: ${message(e)}`}`);
    }
    firstError = undefined;
    if (value !== null && value !== undefined) docs.push(value);
  }
  return docs;
}

// YAMLReader.Read: documents split on lines starting with `---`, which may only be followed by a comment.
function yamlDocuments(text: string): string[] {
  const docs: string[] = [];
  let current = '';
  for (const line of text.split(/(?<=\n)/)) {
    if (line.startsWith('---')) {
      const rest = line.slice(3).trim();
      if (rest !== '' && !rest.startsWith('#')) {
        throw new ManifestParseError(`failed to unmarshal manifest: invalid Yaml document separator: ${rest}`);
      }
      if (current !== '') {
        docs.push(current);
        current = '';
        continue;
      }
    }
    current += line;
  }
  if (current !== '') docs.push(current);
  return docs;
}

// Go's json.Decoder skips only these four bytes between values.
function skipJsonSpace(s: string, pos: number): number {
  while (pos < s.length && ' \t\r\n'.includes(s[pos]!)) pos++;
  return pos;
}

// Finds where the JSON value starting at `start` ends (strings, nesting and bare literals), for JSON.parse to validate.
function scanJsonValue(s: string, start: number): number {
  let depth = 0;
  let i = start;
  do {
    const c = s[i];
    if (c === '"') {
      for (i++; i < s.length && s[i] !== '"'; i++) if (s[i] === '\\') i++;
      if (i >= s.length) throw new Error('unexpected end of JSON input');
      i++;
    } else if (c === '{' || c === '[') {
      depth++;
      i++;
    } else if (c === '}' || c === ']') {
      depth--;
      i++;
    } else if (depth === 0) {
      const literal = /^[^\s{}[\]",:]+/.exec(s.slice(i));
      if (literal === null) throw new Error(`invalid character '${c}' looking for beginning of value`);
      i += literal[0].length;
    } else {
      i++;
    }
  } while (depth > 0 && i < s.length);
  if (depth > 0) throw new Error('unexpected end of JSON input');
  return i;
}

// The repo-server's second pass (kube.SplitYAML into Unstructured) and GenerateManifests' List flattening.
export function toManifests(documents: unknown[]): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const doc of documents) {
    const obj = unstructured(doc);
    const items = obj.items;
    if (Array.isArray(items)) {
      for (const item of items) {
        if (item === null || typeof item !== 'object' || Array.isArray(item)) {
          throw new ManifestParseError('items member is not an object: map[string]interface {}');
        }
        out.push(item as Record<string, unknown>);
      }
    } else if (!(items === null && 'items' in obj && !('spec' in obj) && !('status' in obj))) {
      out.push(obj);
    }
  }
  return out;
}

// Unstructured.UnmarshalJSON: a JSON object whose kind is set and whose apiVersion parses.
function unstructured(doc: unknown): Record<string, unknown> {
  const wrap = (inner: string) =>
    new ManifestParseError(`failed to convert CMP manifests to unstructured objects: failed to unmarshal manifest: error unmarshaling JSON: while decoding JSON: ${inner}`);
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    const type = Array.isArray(doc) ? 'array' : typeof doc === 'boolean' ? 'bool' : typeof doc;
    throw wrap(`json: cannot unmarshal ${type} into Go value of type map[string]interface {}`);
  }
  const obj = doc as Record<string, unknown>;
  const apiVersion = typeof obj.apiVersion === 'string' ? obj.apiVersion : '';
  const kindless = typeof obj.kind !== 'string' || obj.kind === '' || apiVersion.split('/').length > 2;
  if (kindless) throw wrap(`Object 'Kind' is missing in '${goJson(obj)}'`);
  return obj;
}

// The text of a thrown value.
export function message(e: unknown): string {
  return e instanceof yaml.YAMLException ? e.reason : e instanceof Error ? e.message : String(e);
}
