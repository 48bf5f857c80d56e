// yokecd's templated module URLs: `https://host/{{ .token }}/flight.wasm` filled from Secrets named in `refs`,
// read only where the app may reach: its destination namespace, or elsewhere where the admin's lookup ceiling admits it.

import type { Cluster } from '../cluster/types.js';
import { matchesObject } from '../host/matcher.js';
import { ParameterError } from '../params/flight-params.js';
import type { SecretRef } from './parameters.js';
import type { Redactions } from './redaction.js';

const secretMapping = { Group: '', Version: 'v1', Kind: 'Secret', Resource: 'secrets', Namespaced: true };

/** Where refs may read: the destination namespace, and what the admin ceiling (JETWAY_LOOKUP_CEILING) admits elsewhere. */
export interface RefReach {
  namespace: string;
  lookupCeiling: readonly string[] | undefined;
}

/** Refuses a ref outside the app's reach before anything is read. */
function checkReach(name: string, ref: SecretRef, namespace: string, reach: RefReach): void {
  if (namespace === reach.namespace) return;
  const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { namespace, name: ref.secret } };
  if (reach.lookupCeiling?.some((matcher) => matchesObject(matcher, secret))) return;
  throw new ParameterError(
    `refs.${name}`,
    `${namespace}/${ref.secret}`,
    `a Secret in the destination namespace ${reach.namespace}; Secrets elsewhere only where the admin ceiling JETWAY_LOOKUP_CEILING admits them (e.g. "${namespace}/Secret:${ref.secret}")`,
  );
}

/** Fills `{{ .name }}` placeholders; a placeholder without a ref is an error (Go's missingkey=error). Every value read is registered in `redactions`. */
export async function expandModuleUrl(url: string, secretRefs: ReadonlyMap<string, SecretRef>, cluster: () => Promise<Cluster>, reach: RefReach, redactions: Redactions): Promise<string> {
  if (!/^https?:\/\//.test(url) || !url.includes('{{')) return url;
  const names = [...url.matchAll(/\{\{\s*\.(\w+)\s*\}\}/g)].map((m) => m[1]!);
  const values = new Map<string, string>();
  for (const name of new Set(names)) {
    const ref = secretRefs.get(name);
    if (!ref) throw new Error(`the wasm URL uses {{ .${name} }} but refs has no entry ${name}`);
    const namespace = ref.namespace || reach.namespace;
    checkReach(name, ref, namespace, reach);
    const secret = await (await cluster()).get(secretMapping, namespace, ref.secret);
    const data = secret['data'];
    const encoded = typeof data === 'object' && data !== null && Object.hasOwn(data, ref.key) ? (data as Record<string, unknown>)[ref.key] : undefined;
    if (typeof encoded !== 'string') throw new Error(`key ${JSON.stringify(ref.key)} not present in secret ${JSON.stringify(ref.secret)} (refs.${name})`);
    const value = Buffer.from(encoded, 'base64').toString('utf8');
    redactions.add(name, value);
    values.set(name, value);
  }
  return url.replace(/\{\{\s*\.(\w+)\s*\}\}/g, (_, name: string) => values.get(name)!);
}
