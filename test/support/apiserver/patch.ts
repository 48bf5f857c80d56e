// Merge patch (RFC 7386) and JSON patch (RFC 6902), the two patch formats the fake applies.

type Json = unknown;

// True for JSON objects (not arrays, not null).
function isObject(v: Json): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// RFC 7386: objects merge recursively, null deletes, everything else (arrays too) replaces.
export function mergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return structuredClone(patch);
  const out: Record<string, Json> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** One RFC 6902 operation. */
export interface JsonPatchOp {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  value?: Json;
  from?: string;
}

// Splits an RFC 6901 pointer into unescaped tokens.
function tokens(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new Error(`invalid JSON pointer "${pointer}"`);
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

// Finds the container holding the pointer's last token.
function parentOf(doc: Json, pointer: string): { parent: Json; key: string } {
  const ts = tokens(pointer);
  const key = ts.pop();
  if (key === undefined) throw new Error('cannot operate on the document root');
  let cur: Json = doc;
  for (const t of ts) {
    if (Array.isArray(cur)) cur = cur[Number(t)];
    else if (isObject(cur)) cur = cur[t];
    else cur = undefined;
    if (cur === undefined) throw new Error(`doc is missing path: "${pointer}"`);
  }
  return { parent: cur, key };
}

// Reads the value at a pointer (throws when absent).
function getAt(doc: Json, pointer: string): Json {
  if (pointer === '') return doc;
  const { parent, key } = parentOf(doc, pointer);
  const v = Array.isArray(parent) ? parent[Number(key)] : isObject(parent) ? parent[key] : undefined;
  if (v === undefined) throw new Error(`doc is missing path: "${pointer}"`);
  return v;
}

// Removes and returns the value at a pointer.
function removeAt(doc: Json, pointer: string): Json {
  const { parent, key } = parentOf(doc, pointer);
  if (Array.isArray(parent)) {
    const i = Number(key);
    if (!Number.isInteger(i) || i < 0 || i >= parent.length) throw new Error(`doc is missing path: "${pointer}"`);
    return parent.splice(i, 1)[0];
  }
  if (!isObject(parent) || !(key in parent)) throw new Error(`doc is missing path: "${pointer}"`);
  const v = parent[key];
  delete parent[key];
  return v;
}

// Adds (or, for objects, sets) the value at a pointer; "-" appends to arrays.
function addAt(doc: Json, pointer: string, value: Json, replace: boolean): void {
  const { parent, key } = parentOf(doc, pointer);
  if (Array.isArray(parent)) {
    const i = key === '-' ? parent.length : Number(key);
    if (!Number.isInteger(i) || i < 0 || i > parent.length || (replace && i >= parent.length)) {
      throw new Error(`doc is missing path: "${pointer}"`);
    }
    parent.splice(i, replace ? 1 : 0, value);
  } else if (isObject(parent)) {
    if (replace && !(key in parent)) throw new Error(`doc is missing key: "${pointer}"`);
    parent[key] = value;
  } else throw new Error(`doc is missing path: "${pointer}"`);
}

// RFC 6902 applied to a copy; throws Error with a jsonpatch-like message on failure.
export function jsonPatch(doc: Json, ops: unknown): Json {
  if (!Array.isArray(ops)) throw new Error('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  let out = structuredClone(doc);
  for (const raw of ops as JsonPatchOp[]) {
    const value = structuredClone(raw.value);
    switch (raw.op) {
      case 'add':
        if (raw.path === '') out = value;
        else addAt(out, raw.path, value, false);
        break;
      case 'replace':
        if (raw.path === '') out = value;
        else addAt(out, raw.path, value, true);
        break;
      case 'remove':
        removeAt(out, raw.path);
        break;
      case 'move': {
        const v = removeAt(out, raw.from ?? '');
        addAt(out, raw.path, v, false);
        break;
      }
      case 'copy':
        addAt(out, raw.path, structuredClone(getAt(out, raw.from ?? '')), false);
        break;
      case 'test':
        if (!deepEqual(getAt(out, raw.path), raw.value)) throw new Error(`testing value ${raw.path} failed: test failed`);
        break;
      default:
        throw new Error(`Unexpected kind: ${String((raw as { op?: unknown }).op)}`);
    }
  }
  return out;
}

// Structural equality of JSON values (key order ignored), used for no-op detection too.
export function deepEqual(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => deepEqual(a[k], b[k]));
  }
  return false;
}
