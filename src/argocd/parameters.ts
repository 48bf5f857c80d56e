// yokecd's plugin parameters (cmd/yokecd/internal/plugin/config.go), same names and shapes, every value validated.

import yaml from 'js-yaml';
import { ParameterError, parseBoolean, parseChecksum, parseMatchers, parseMaxMemoryMib, parseTimeout, defaultTimeout } from '../params/flight-params.js';
import { checkKey } from '../params/keys.js';
import type { CmpParameter } from './environment.js';

/** A secret reference used in a templated wasm URL (yokecd `refs`). */
export interface SecretRef {
  secret: string;
  namespace: string;
  key: string;
}

export interface PluginParameters {
  wasm: string | undefined;
  build: boolean;
  /** A string input (given as is) or a map of paths to YAML values set over the merged input files. */
  input: { text: string } | { paths: Record<string, string> } | undefined;
  inputFiles: string[];
  args: string[];
  secretRefs: ReadonlyMap<string, SecretRef>;
  clusterAccess: boolean;
  resourceMatchers: string[];
  maxMemoryMib: number | undefined;
  timeoutMs: number | undefined;
  checksum: string | undefined;
  insecure: boolean;
  /** Keep the flight's own input object in the manifests (a flight that re-emits its input as a real resource). */
  keepInput: boolean;
  /** Render zero resources on purpose (named after Argo CD's syncPolicy.automated.allowEmpty). */
  allowEmpty: boolean;
}

type Shape = 'string' | 'array' | 'map';

// a Map, so that no parameter name (`__proto__`, `toString`) can find anything but these
const shapes = new Map<string, Shape[]>([
  ['wasm', ['string']],
  ['build', ['string']],
  ['input', ['string', 'map']],
  ['inputFiles', ['array']],
  ['args', ['array']],
  ['refs', ['map']],
  ['clusterAccess', ['string']],
  ['resourceMatchers', ['array']],
  ['maxMemoryMib', ['string']],
  ['timeout', ['string']],
  ['checksum', ['string']],
  ['insecure', ['string']],
  ['keepInput', ['string']],
  ['allowEmpty', ['string']],
]);

/** The shape a parameter arrived in; Argo CD sends exactly one of string, array, map. */
function shapeOf(p: CmpParameter): Shape {
  if (p.map !== undefined) return 'map';
  if (p.array !== undefined) return 'array';
  return 'string';
}

/** Checks names and shapes first, so a typo (`clusterAcces`) is an error instead of being silently ignored as in yokecd; a repeated name keeps its first entry. */
function index(params: readonly CmpParameter[]): Map<string, CmpParameter> {
  const byName = new Map<string, CmpParameter>();
  for (const p of params) {
    const allowed = shapes.get(checkKey(p.name, p.name));
    if (!allowed) throw new ParameterError(p.name, JSON.stringify(p), `one of the jetway parameters: ${[...shapes.keys()].join(', ')}`);
    if (!allowed.includes(shapeOf(p))) throw new ParameterError(p.name, JSON.stringify(p[shapeOf(p)]), `a ${allowed.join(' or ')} parameter`);
    // a name given twice: the first entry counts, as in yokecd (its config.go finds the first match), so a migrated
    // Application renders what it rendered before; every entry is still checked above
    if (!byName.has(p.name)) byName.set(p.name, p);
  }
  return byName;
}

const refShape = 'a YAML/JSON object {"secret": ..., "key": ..., "namespace"?: ...}';

/** yokecd's refs map: name -> {secret, namespace, key}, given as a map of name -> YAML/JSON object; names and places are checked. */
function parseRefs(map: Record<string, string> | undefined): Map<string, SecretRef> {
  const refs = new Map<string, SecretRef>();
  for (const [name, raw] of Object.entries(map ?? {})) {
    if (!/^\w+$/.test(checkKey(`refs.${name}`, name))) throw new ParameterError(`refs.${name}`, name, 'a name of letters, digits and "_", as {{ .name }} in the wasm URL uses it');
    let value: unknown;
    try {
      value = yaml.load(raw, { schema: yaml.JSON_SCHEMA });
    } catch {
      throw new ParameterError(`refs.${name}`, raw, refShape);
    }
    const ref = value as Partial<SecretRef>;
    if (typeof ref !== 'object' || !ref || typeof ref.secret !== 'string' || typeof ref.key !== 'string') {
      throw new ParameterError(`refs.${name}`, raw, refShape);
    }
    const namespace = typeof ref.namespace === 'string' ? ref.namespace : '';
    if (!/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(ref.secret)) throw new ParameterError(`refs.${name}.secret`, ref.secret, 'a Secret name (lower-case DNS subdomain)');
    if (namespace !== '' && !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(namespace))
      throw new ParameterError(`refs.${name}.namespace`, namespace, 'a namespace name (lower-case DNS label), or none for the destination namespace');
    if (!/^[-._a-zA-Z0-9]{1,253}$/.test(ref.key)) throw new ParameterError(`refs.${name}.key`, ref.key, 'a Secret data key (letters, digits, "-", "_", ".")');
    refs.set(name, { secret: ref.secret, key: ref.key, namespace });
  }
  return refs;
}

/** Parses and validates the Application's plugin parameters. */
export function parsePluginParameters(params: readonly CmpParameter[] | null | undefined): PluginParameters {
  const p = index(params ?? []);
  const str = (name: string) => p.get(name)?.string ?? '';
  const build = parseBoolean('build', str('build'));
  const wasm = str('wasm').replace(/^\/+/, '') || undefined;
  if (!wasm && !build) throw new ParameterError('wasm', '', 'a module (repository path, http(s):// or oci:// URL), or build: "true" to compile the flight from the source directory');
  if (wasm && build) throw new ParameterError('build', 'true', '"false" when wasm is set: wasm and build are exclusive');
  const inputParam = p.get('input');
  const timeout = p.get('timeout')?.string;
  return {
    wasm,
    build,
    input: inputParam === undefined ? undefined : inputParam.map !== undefined ? { paths: inputParam.map } : inputParam.string ? { text: inputParam.string } : undefined,
    inputFiles: p.get('inputFiles')?.array ?? [],
    args: p.get('args')?.array ?? [],
    secretRefs: parseRefs(p.get('refs')?.map),
    clusterAccess: parseBoolean('clusterAccess', str('clusterAccess')),
    resourceMatchers: parseMatchers('resourceMatchers', p.get('resourceMatchers')?.array ?? []),
    maxMemoryMib: parseMaxMemoryMib('maxMemoryMib', str('maxMemoryMib')),
    timeoutMs: parseTimeout('timeout', timeout === undefined || timeout === '' ? defaultTimeout : timeout),
    checksum: parseChecksum('checksum', str('checksum')),
    insecure: parseBoolean('insecure', str('insecure')),
    keepInput: parseBoolean('keepInput', str('keepInput')),
    allowEmpty: parseBoolean('allowEmpty', str('allowEmpty')),
  };
}
