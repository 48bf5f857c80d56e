// yokecd's input: a string as given, or inputFiles merged in order with `a.b` / `list.0` / `list.-1` paths set over them.

import { readFile, realpath } from 'node:fs/promises';
import { resolve } from 'node:path';
import yaml from 'js-yaml';
import { ParameterError } from '../params/flight-params.js';
import { isInside } from '../module/file.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isMap(value: unknown): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** mergo.Merge WithOverride: maps merge key by key, everything else is replaced. */
function merge(base: Record<string, Json>, over: Record<string, Json>): Record<string, Json> {
  const out: Record<string, Json> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const current = out[k];
    out[k] = isMap(current) && isMap(v) ? merge(current, v) : v;
  }
  return out;
}

/** Splits an sjson path at unescaped dots (`a\.b` is one key). */
function segments(path: string): string[] {
  return path.split(/(?<!\\)\./).map((s) => s.replace(/\\\./g, '.'));
}

/** sjson.Set: creates maps, or arrays for numeric keys; `-1` appends. */
function setPath(root: Record<string, Json>, path: string, value: Json): void {
  const keys = segments(path);
  if (keys.some((k) => k === '')) throw new ParameterError(`input.${path}`, path, 'a path of non-empty keys such as "a.b", "list.0" or "list.-1"');
  let node: Json = root;
  keys.forEach((key, i) => {
    const last = i === keys.length - 1;
    const nextIsIndex = !last && /^(-1|\d+)$/.test(keys[i + 1]!);
    const fresh = (): Json => (nextIsIndex ? [] : {});
    if (Array.isArray(node)) {
      if (!/^(-1|\d+)$/.test(key)) throw new ParameterError(`input.${path}`, key, 'a numeric index or -1 for a list');
      const index = key === '-1' ? node.length : Number(key);
      while (node.length < index) node.push(null);
      if (last) node[index] = value;
      else {
        const child: Json | undefined = node[index];
        if (child === undefined || child === null || typeof child !== 'object') node[index] = fresh();
        node = node[index]!;
      }
    } else if (isMap(node)) {
      if (last) node[key] = value;
      else {
        const child: Json | undefined = node[key];
        if (child === undefined || child === null || typeof child !== 'object') node[key] = fresh();
        node = node[key]!;
      }
    }
  });
}

/** Reads one input file, confined to the repository and required to hold a map. */
async function readInputFile(repoRoot: string, cwd: string, file: string): Promise<Record<string, Json>> {
  let path: string;
  try {
    path = await realpath(resolve(cwd, file));
  } catch {
    throw new ParameterError('inputFiles', file, 'a YAML or JSON file in the repository (this one does not exist)');
  }
  if (!isInside(await realpath(repoRoot), path)) throw new ParameterError('inputFiles', file, 'a file inside the repository (this path leaves it)');
  let doc: unknown;
  try {
    doc = yaml.load(await readFile(path, 'utf8'));
  } catch (error) {
    throw new ParameterError('inputFiles', file, `valid YAML or JSON (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`);
  }
  if (doc === null || doc === undefined) return {};
  if (!isMap(doc)) throw new ParameterError('inputFiles', file, 'a YAML or JSON map at the top level');
  return doc;
}

export interface InputSpec {
  input: { text: string } | { paths: Record<string, string> } | undefined;
  inputFiles: readonly string[];
}

/** The bytes the flight reads on stdin. A string input wins over files, as in yokecd. */
export async function composeInput(spec: InputSpec, repoRoot: string, cwd: string): Promise<Uint8Array> {
  if (spec.input && 'text' in spec.input) return new TextEncoder().encode(spec.input.text);
  let result: Record<string, Json> = {};
  for (const file of spec.inputFiles) result = merge(result, await readInputFile(repoRoot, cwd, file));
  if (spec.input && 'paths' in spec.input) {
    for (const path of Object.keys(spec.input.paths).sort()) {
      const raw = spec.input.paths[path]!;
      let value: Json;
      try {
        value = (yaml.load(raw) ?? null) as Json;
      } catch {
        throw new ParameterError(`input.${path}`, raw, 'a YAML value');
      }
      setPath(result, path, value);
    }
  }
  if (Object.keys(result).length === 0 && spec.inputFiles.length === 0 && !spec.input) return new Uint8Array();
  return new TextEncoder().encode(JSON.stringify(result));
}
