// yokecd's templated module URLs: `https://host/{{ .token }}/flight.wasm` filled from Secrets named in `refs`.

import type { Cluster } from '../cluster/types.js';
import type { SecretRef } from './parameters.js';

const secretMapping = { Group: '', Version: 'v1', Kind: 'Secret', Resource: 'secrets', Namespaced: true };

/** Fills `{{ .name }}` placeholders; a placeholder without a ref is an error (Go's missingkey=error). */
export async function expandModuleUrl(url: string, refs: Record<string, SecretRef>, cluster: () => Promise<Cluster>, namespace: string): Promise<string> {
  if (!/^https?:\/\//.test(url) || !url.includes('{{')) return url;
  const names = [...url.matchAll(/\{\{\s*\.(\w+)\s*\}\}/g)].map((m) => m[1]!);
  const values = new Map<string, string>();
  for (const name of new Set(names)) {
    const ref = refs[name];
    if (!ref) throw new Error(`the wasm URL uses {{ .${name} }} but refs has no entry ${name}`);
    const secret = await (await cluster()).get(secretMapping, ref.namespace || namespace, ref.secret);
    const data = (secret['data'] ?? {}) as Record<string, string>;
    const encoded = data[ref.key];
    if (encoded === undefined) throw new Error(`key ${JSON.stringify(ref.key)} not present in secret ${JSON.stringify(ref.secret)}`);
    values.set(name, Buffer.from(encoded, 'base64').toString('utf8'));
  }
  return url.replace(/\{\{\s*\.(\w+)\s*\}\}/g, (_, name: string) => values.get(name)!);
}
