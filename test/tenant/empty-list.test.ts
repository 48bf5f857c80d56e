// Issue 11 item 7, tried as an attacker would: an app author whose flight prints an empty `kind: List` (or wraps its
// resources in Lists) through the cmp-server imitation, which flattens Lists as Argo CD's repo-server does. An empty
// List must never reach Argo CD as "no resources" (with prune, the app and everything it owns would be deleted), and
// List items must carry jetway's ownership and sync-wave annotations like every other object.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Application, PluginParameter } from '../support/cmp-server.js';
import { repoURL, startSidecar, type Sidecar } from '../support/sidecar.js';
import { watModule } from '../support/wat.js';

let sidecar: Sidecar;

before(async () => {
  // prints its input: the attacker chooses the flight's output through the input parameter
  sidecar = await startSidecar({ 'attack/flight.wasm': await watModule('print-input') });
});

after(async () => {
  await sidecar.close();
});

/** The attacker's Application: its flight prints `output`. */
function attack(name: string, output: unknown, extra: PluginParameter[] = []): Application {
  const parameters = [...extra, { name: 'input', string: typeof output === 'string' ? output : JSON.stringify(output) }, { name: 'wasm', string: 'flight.wasm' }];
  return { name, project: 'default', destinationNamespace: 'team-a', revision: 'b'.repeat(40), source: { repoURL, path: 'attack', targetRevision: 'HEAD', plugin: { name: 'jetway', parameters } } };
}

test('a flight printing an empty kind: List (or items: null, or a List of Lists per stage) cannot make Argo CD prune the app', async () => {
  const outputs: Array<[string, unknown]> = [
    ['empty-list', { apiVersion: 'v1', kind: 'List', items: [] }],
    ['null-items', 'apiVersion: v1\nkind: List\nitems: null\n'],
    ['typed-list', { apiVersion: 'v1', kind: 'ConfigMapList', metadata: {}, items: [] }],
    ['staged-lists', [[{ apiVersion: 'v1', kind: 'List', items: [] }], [{ apiVersion: 'v1', kind: 'List', items: [] }]]],
  ];
  for (const [name, output] of outputs) {
    await assert.rejects(
      sidecar.generate(attack(name, output)),
      /jetway: generate for Application [a-z-]+ failed: the flight emitted no resources \(Lists flattened\): empty output would make Argo CD prune the whole app, so it is refused; set the parameter allowEmpty: "true"/,
      name,
    );
  }
  // rendering nothing on purpose is the Application's explicit choice
  const manifests = await sidecar.generate(attack('on-purpose', { apiVersion: 'v1', kind: 'List', items: [] }, [{ name: 'allowEmpty', string: 'true' }]));
  assert.deepEqual(manifests, []);
});

test("a flight wrapping its resources in Lists cannot shed jetway's ownership and sync-wave annotations", async () => {
  const configMap = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { a: 'b' } });
  const output = [[{ apiVersion: 'v1', kind: 'List', items: [configMap('first')] }], [{ apiVersion: 'v1', kind: 'ConfigMapList', items: [configMap('second'), configMap('third')] }]];
  const manifests = await sidecar.generate(attack('wrapped', output));
  type Manifest = { kind: string; metadata: { name: string; annotations?: Record<string, string>; labels?: Record<string, string> } };
  assert.deepEqual(
    (manifests as unknown as Manifest[]).map((m) => [
      m.kind,
      m.metadata.name,
      m.metadata.annotations?.['instance.atc.yoke.cd/release'],
      m.metadata.annotations?.['argocd.argoproj.io/sync-wave'],
      m.metadata.labels?.['app.kubernetes.io/managed-by'],
    ]),
    [
      ['ConfigMap', 'first', 'wrapped', '0', 'jetway'],
      ['ConfigMap', 'second', 'wrapped', '1', 'jetway'],
      ['ConfigMap', 'third', 'wrapped', '1', 'jetway'],
    ],
  );
});
