// yokecd's input: a string as given, or inputFiles merged in order with `a.b` / `list.0` / `list.-1` paths set over them.

import { readFile, realpath, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import yaml from 'js-yaml';
import { ParameterError } from '../params/flight-params.js';
import { checkKey } from '../params/keys.js';
import { isInside } from '../module/file.js';

type Json = null | boolean | number | string | Json[] | JsonMap;
type JsonMap = { [key: string]: Json };

/** Admin bounds on what an input may grow to (JETWAY_MAX_INPUT_BYTES, JETWAY_MAX_INPUT_LIST_INDEX). */
export interface InputLimits {
  maxBytes: number;
  maxListIndex: number;
}

/** The input outgrew JETWAY_MAX_INPUT_BYTES (YAML aliases let a small file describe a huge one). */
function tooLarge(limits: InputLimits): ParameterError {
  return new ParameterError(
    'input',
    `more than ${limits.maxBytes} bytes`,
    `an input of at most ${limits.maxBytes} bytes once inputFiles are merged and YAML aliases expanded (the admin limit JETWAY_MAX_INPUT_BYTES raises it)`,
  );
}

/** Counts bytes of work and output against the input bound, so alias expansion stops at the bound instead of at the heap's. */
class Budget {
  private spent = 0;
  constructor(readonly limits: InputLimits) {}

  spend(bytes: number): void {
    this.spent += bytes;
    if (this.spent > this.limits.maxBytes) throw tooLarge(this.limits);
  }
}

function isMap(value: unknown): value is JsonMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A map without a prototype: any key an author writes (`__proto__` included) is just a key. */
function emptyMap(): JsonMap {
  return Object.create(null) as JsonMap;
}

/** An own value only: an inherited one (`toString`, `__proto__`) is never a child. */
function own(map: JsonMap, key: string): Json | undefined {
  return Object.hasOwn(map, key) ? map[key] : undefined;
}

/** mergo.Merge WithOverride: maps merge key by key, everything else is replaced; built into prototype-less maps. */
function merge(base: JsonMap, over: JsonMap, budget: Budget): JsonMap {
  const out = emptyMap();
  for (const [k, v] of Object.entries(base)) out[k] = v;
  for (const [k, v] of Object.entries(over)) {
    budget.spend(k.length + 4);
    const current = own(out, k);
    out[k] = isMap(current) && isMap(v) ? merge(current, v, budget) : v;
  }
  return out;
}

/** Splits an sjson path at unescaped dots (`a\.b` is one key); no key may name a prototype. */
function segments(path: string): string[] {
  return path.split(/(?<!\\)\./).map((s) => checkKey(`input.${path}`, s.replace(/\\\./g, '.')));
}

/** A list index from a path key, within the admin's bound; `-1` appends. */
function listIndex(path: string, key: string, list: Json[], limits: InputLimits): number {
  if (!/^(-1|\d+)$/.test(key)) throw new ParameterError(`input.${path}`, key, 'a numeric index or -1 for a list');
  const index = key === '-1' ? list.length : Number(key);
  if (index > limits.maxListIndex) throw new ParameterError(`input.${path}`, key, `a list index of at most ${limits.maxListIndex} (the admin limit JETWAY_MAX_INPUT_LIST_INDEX raises it)`);
  return index;
}

/** sjson.Set: creates maps, or arrays for numeric keys; `-1` appends. */
function setPath(root: JsonMap, path: string, value: Json, limits: InputLimits): void {
  const keys = segments(path);
  if (keys.some((k) => k === '')) throw new ParameterError(`input.${path}`, path, 'a path of non-empty keys such as "a.b", "list.0" or "list.-1"');
  let node: Json = root;
  keys.forEach((key, i) => {
    const last = i === keys.length - 1;
    const nextIsIndex = !last && /^(-1|\d+)$/.test(keys[i + 1]!);
    const fresh = (): Json => (nextIsIndex ? [] : emptyMap());
    if (Array.isArray(node)) {
      const index = listIndex(path, key, node, limits);
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
        const child = own(node, key);
        if (child === undefined || child === null || typeof child !== 'object') node[key] = fresh();
        node = own(node, key)!;
      }
    }
  });
}

/** Walks the input as JSON.stringify would, aliases expanded, and stops at the bound instead of building a huge string. */
function checkSize(value: Json, budget: Budget): void {
  if (Array.isArray(value)) {
    budget.spend(2);
    for (const item of value) {
      budget.spend(1);
      checkSize(item, budget);
    }
  } else if (isMap(value)) {
    budget.spend(2);
    for (const [k, v] of Object.entries(value)) {
      budget.spend(jsonBytes(k) + 1);
      checkSize(v, budget);
    }
  } else budget.spend(jsonBytes(value));
}

/** Bytes of one scalar as JSON, escapes included. */
function jsonBytes(value: string | number | boolean | null): number {
  return Buffer.byteLength(JSON.stringify(value));
}

/** Reads one input file, confined to the repository, no larger than the input bound, and required to hold a map. */
async function readInputFile(repoRoot: string, cwd: string, file: string, limits: InputLimits): Promise<JsonMap> {
  let path: string;
  try {
    path = await realpath(resolve(cwd, file));
  } catch {
    throw new ParameterError('inputFiles', file, 'a YAML or JSON file in the repository (this one does not exist)');
  }
  if (!isInside(await realpath(repoRoot), path)) throw new ParameterError('inputFiles', file, 'a file inside the repository (this path leaves it)');
  // read whole only when it fits: a file past the bound is refused before it is read
  const size = (await stat(path)).size;
  if (size > limits.maxBytes) throw new ParameterError('inputFiles', file, `a file of at most ${limits.maxBytes} bytes (it has ${size}; the admin limit JETWAY_MAX_INPUT_BYTES raises it)`);
  let doc: unknown;
  try {
    doc = yaml.load(await readFile(path, 'utf8'));
  } catch (error) {
    throw new ParameterError('inputFiles', file, `valid YAML or JSON (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`);
  }
  if (doc === null || doc === undefined) return emptyMap();
  if (!isMap(doc)) throw new ParameterError('inputFiles', file, 'a YAML or JSON map at the top level');
  return doc;
}

export interface InputSpec {
  input: { text: string } | { paths: Record<string, string> } | undefined;
  inputFiles: readonly string[];
}

/** The bytes the flight reads on stdin, within the admin's bounds. A string input wins over files, as in yokecd. */
export async function composeInput(spec: InputSpec, repoRoot: string, cwd: string, limits: InputLimits): Promise<Uint8Array> {
  const budget = new Budget(limits);
  if (spec.input && 'text' in spec.input) {
    budget.spend(Buffer.byteLength(spec.input.text));
    return new TextEncoder().encode(spec.input.text);
  }
  let result = emptyMap();
  for (const file of spec.inputFiles) result = merge(result, await readInputFile(repoRoot, cwd, file, limits), budget);
  if (spec.input && 'paths' in spec.input) {
    for (const path of Object.keys(spec.input.paths).sort()) {
      const raw = spec.input.paths[path]!;
      let value: Json;
      try {
        value = (yaml.load(raw) ?? null) as Json;
      } catch {
        throw new ParameterError(`input.${path}`, raw, 'a YAML value');
      }
      setPath(result, path, value, limits);
    }
  }
  if (Object.keys(result).length === 0 && spec.inputFiles.length === 0 && !spec.input) return new Uint8Array();
  checkSize(result, new Budget(limits));
  return new TextEncoder().encode(JSON.stringify(result));
}
