// yokecd's templated module URLs (`{{ .name }}` from `refs`): which Secrets a ref may read, and that every value read is
// registered for redaction in all the forms it takes in a URL.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Redactions } from '../../src/argocd/redaction.js';
import { expandModuleUrl } from '../../src/argocd/templating.js';
import { ClusterError, type Cluster, type KubeObject, type RestMapping } from '../../src/cluster/types.js';

/** A cluster holding the given Secrets, recording each read. */
function secrets(objects: Record<string, Record<string, string>>): Cluster & { reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    restMapping: async () => undefined,
    refreshDiscovery: async () => undefined,
    async get(_mapping: RestMapping, namespace: string, name: string): Promise<KubeObject> {
      reads.push(`${namespace}/${name}`);
      const data = objects[`${namespace}/${name}`];
      if (!data) throw new ClusterError('NotFound', `secrets "${name}" not found`);
      return { apiVersion: 'v1', kind: 'Secret', metadata: { namespace, name }, data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])) };
    },
  };
}

const ref = (secret: string, key: string, namespace = '') => ({ secret, key, namespace });

test('a ref in the destination namespace fills the URL, and its value is registered for redaction', async () => {
  const cluster = secrets({ 'team-a/src': { token: 'Tok/en?x' } });
  const redactions = new Redactions();
  const url = await expandModuleUrl('https://h.example/{{ .t }}/f.wasm', new Map([['t', ref('src', 'token')]]), async () => cluster, { namespace: 'team-a', lookupCeiling: undefined }, redactions);
  assert.equal(url, 'https://h.example/Tok/en?x/f.wasm');
  assert.deepEqual(cluster.reads, ['team-a/src']);
  const placeholder = '{{ .t }}';
  for (const form of ['Tok/en?x', 'tok/en?x', encodeURIComponent('Tok/en?x'), 'Tok']) assert.equal(redactions.apply(`a ${form} b`), `a ${placeholder} b`, form);
});

test("a ref value as a URL object serializes it in a path or query (WHATWG encodes ' in a query, which encodeURI keeps) is redacted", () => {
  const redactions = new Redactions();
  redactions.add('t', 'it\'s a"sec^ret');
  const url = new URL(`https://h.example/it's a"sec^ret?q=it's a"sec^ret`);
  assert.doesNotMatch(redactions.apply(url.href), /sec/);
});

test("a ref to another namespace's Secret is refused before any read, unless the admin ceiling admits that Secret", async () => {
  const cluster = secrets({ 'shared/creds': { token: 'v' } });
  const refs = new Map([['t', ref('creds', 'token', 'shared')]]);
  for (const lookupCeiling of [undefined, ['shared/ConfigMap'], ['shared/Secret:other'], ['team-a/Secret']]) {
    await assert.rejects(
      expandModuleUrl('https://h/{{ .t }}', refs, async () => cluster, { namespace: 'team-a', lookupCeiling }, new Redactions()),
      /parameter refs\.t: got "shared\/creds", expected a Secret in the destination namespace team-a/,
    );
  }
  assert.deepEqual(cluster.reads, []);
  for (const lookupCeiling of [['shared/Secret:creds'], ['shared/Secret'], ['Secret']]) {
    assert.equal(await expandModuleUrl('https://h/{{ .t }}', refs, async () => cluster, { namespace: 'team-a', lookupCeiling }, new Redactions()), 'https://h/v');
  }
});

test('a placeholder without a ref, and a key the Secret lacks, are errors naming them', async () => {
  const cluster = secrets({ 'team-a/src': { token: 'v' } });
  const reach = { namespace: 'team-a', lookupCeiling: undefined };
  await assert.rejects(
    expandModuleUrl('https://h/{{ .missing }}', new Map(), async () => cluster, reach, new Redactions()),
    /refs has no entry missing/,
  );
  await assert.rejects(
    expandModuleUrl('https://h/{{ .t }}', new Map([['t', ref('src', 'toString')]]), async () => cluster, reach, new Redactions()),
    /key "toString" not present in secret "src" \(refs\.t\)/,
  );
});
