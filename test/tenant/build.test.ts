// Tenant attacks through `build: true` (issue 11 item 2): an app author tries to get another app's module, or a module
// built from files outside their repository, or a build the admin did not allow. Every run goes through Argo CD's
// cmp-server imitation and a real Go 1.24 toolchain (../shared/toolchain.md).

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startSidecar, tenantApp, writeFiles, type Sidecar } from '../support/sidecar.js';

const go = process.env['GO'] ?? '/usr/lib/go-1.24/bin/go';
const skip = existsSync(go) ? false : `no Go toolchain at ${go}`;
const build = [{ name: 'build', string: 'true' }];

/** A flight that prints a ConfigMap whose value is its embedded data.txt. */
const embedding = {
  'go.mod': 'module example.com/flight\n\ngo 1.24\n',
  'main.go': [
    'package main',
    '',
    'import (',
    '\t_ "embed"',
    '\t"fmt"',
    ')',
    '',
    '//go:embed data.txt',
    'var data string',
    '',
    'func main() { fmt.Printf(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"built"},"data":{"value":%q}}`, data) }',
    '',
  ].join('\n'),
};

/** The catalog layout yokecd documents: one go.mod at the repository root, flights in subfolders sharing packages. */
const catalog = {
  'go.mod': 'module example.com/catalog\n\ngo 1.24\n',
  'shared/name.go': 'package shared\n\nfunc Name() string { return "v1" }\n',
  'flights/one/main.go':
    'package main\n\nimport (\n\t"fmt"\n\n\t"example.com/catalog/shared"\n)\n\nfunc main() { fmt.Printf(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"%s"}}`, shared.Name()) }\n',
};

let sidecar: Sidecar;
let outside: string;

before(async () => {
  outside = await mkdtemp(join(tmpdir(), 'jetway-outside-'));
  await writeFile(join(outside, 'go.mod'), 'module example.com/outside\n\ngo 1.24\n');
  await writeFile(join(outside, 'outside.go'), 'package outside\n\nfunc Name() string { return "outside" }\n');
  await writeFile(join(outside, 'extra.go'), 'package main\n\nfunc init() { println("read from outside the repository") }\n');
  const files: Record<string, string> = {};
  for (const [path, content] of Object.entries(embedding)) {
    files[`team-a/${path}`] = content;
    files[`team-b/${path}`] = content;
  }
  files['team-a/data.txt'] = 'team-a data';
  files['team-b/data.txt'] = 'team-b data';
  for (const [path, content] of Object.entries(catalog)) files[`catalog/${path}`] = content;
  sidecar = await startSidecar(files, { JETWAY_GO: go });
});

after(async () => {
  await sidecar?.close();
  await rm(outside, { recursive: true, force: true });
});

const configMap = (manifests: Record<string, unknown>[]) => manifests[0] as { metadata: { name: string }; data?: { value: string } };

test('an app with the same Go files as another but its own embedded file is not served the other app’s module', { skip }, async () => {
  assert.equal(configMap(await sidecar.generate(tenantApp('app-a', 'team-a', build))).data?.value, 'team-a data');
  assert.equal(configMap(await sidecar.generate(tenantApp('app-b', 'team-b', build, 'team-b'))).data?.value, 'team-b data');
});

test('changing only an embedded file rebuilds instead of serving the module built from the old one', { skip }, async () => {
  const app = tenantApp('app-a', 'team-a', build);
  await sidecar.generate(app);
  await writeFile(join(sidecar.source, 'team-a/data.txt'), 'changed data');
  assert.equal(configMap(await sidecar.generate(app)).data?.value, 'changed data');
});

test('the same source built for two apps is two builds: no app runs a result it did not build itself', { skip }, async () => {
  await sidecar.generate(tenantApp('twin-1', 'team-a', build));
  const before = (await readdir(join(sidecar.source, '../cache/builds'))).length;
  await sidecar.generate(tenantApp('twin-2', 'team-a', build));
  assert.equal((await readdir(join(sidecar.source, '../cache/builds'))).length, before + 1);
});

test('a catalog with go.mod at the repository root builds, and a change to a shared package there rebuilds', { skip }, async () => {
  const app = tenantApp('catalog-one', 'catalog/flights/one', build);
  assert.equal(configMap(await sidecar.generate(app)).metadata.name, 'v1');
  await writeFile(join(sidecar.source, 'catalog/shared/name.go'), 'package shared\n\nfunc Name() string { return "v2" }\n');
  assert.equal(configMap(await sidecar.generate(app)).metadata.name, 'v2');
});

test('a go.mod replace pointing outside the repository is refused', { skip }, async () => {
  await writeFiles(sidecar.source, {
    'escape/go.mod': `module example.com/escape\n\ngo 1.24\n\nrequire example.com/outside v0.0.0\n\nreplace example.com/outside => ${outside}\n`,
    'escape/main.go':
      'package main\n\nimport (\n\t"fmt"\n\n\t"example.com/outside"\n)\n\nfunc main() { fmt.Printf(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"%s"}}`, outside.Name()) }\n',
  });
  await assert.rejects(
    sidecar.generate(tenantApp('escape', 'escape', build)),
    /jetway: generate for Application escape failed: build: true refused: escape\/go.mod replaces example.com\/outside with \/\S+, a folder outside the repository/,
  );
});

test('a Go file symlinked from outside the repository is refused', { skip }, async () => {
  await writeFiles(sidecar.source, { 'linked/go.mod': 'module example.com/linked\n\ngo 1.24\n', 'linked/main.go': embedding['main.go'], 'linked/data.txt': 'x' });
  await symlink(join(outside, 'extra.go'), join(sidecar.source, 'linked/extra.go'));
  await assert.rejects(sidecar.generate(tenantApp('linked', 'linked', build)), /build: true refused: linked\/extra.go is a symlink to \S+, outside the repository/);
});

test('build: true under a module allow-list is refused (a built module would bypass JETWAY_MODULE_ALLOW)', async () => {
  const guarded = await startSidecar(
    { 'team-a/go.mod': embedding['go.mod'], 'team-a/main.go': embedding['main.go'], 'team-a/data.txt': 'x' },
    { JETWAY_GO: go, JETWAY_MODULE_ALLOW: 'oci://registry.example/*' },
  );
  try {
    await assert.rejects(
      guarded.generate(tenantApp('guarded', 'team-a', build)),
      /generate for Application guarded failed: build: true is refused because modules must come from the allow-list \(JETWAY_MODULE_ALLOW\)/,
    );
    assert.equal(await stat(join(guarded.source, '../cache/builds')).catch(() => undefined), undefined, 'nothing was built');
  } finally {
    await guarded.close();
  }
});

test('build: true when modules must be signed is refused (a built module carries no signature for JETWAY_VERIFY_KEYS)', async () => {
  const keyDir = await mkdtemp(join(tmpdir(), 'jetway-keys-'));
  const { generateKeyPairSync } = await import('node:crypto');
  await writeFile(join(keyDir, 'key.pem'), generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }));
  const guarded = await startSidecar(
    { 'team-a/go.mod': embedding['go.mod'], 'team-a/main.go': embedding['main.go'], 'team-a/data.txt': 'x' },
    { JETWAY_GO: go, JETWAY_VERIFY_KEYS: join(keyDir, 'key.pem') },
  );
  try {
    await assert.rejects(
      guarded.generate(tenantApp('signed', 'team-a', build)),
      /generate for Application signed failed: build: true is refused because modules must carry a signature \(JETWAY_VERIFY_KEYS\)/,
    );
  } finally {
    await guarded.close();
    await rm(keyDir, { recursive: true, force: true });
  }
});

test('build: true where the admin turned building off is refused (JETWAY_BUILD=off)', async () => {
  const off = await startSidecar({ 'team-a/go.mod': embedding['go.mod'], 'team-a/main.go': embedding['main.go'], 'team-a/data.txt': 'x' }, { JETWAY_GO: go, JETWAY_BUILD: 'off' });
  try {
    await assert.rejects(off.generate(tenantApp('off', 'team-a', build)), /generate for Application off failed: build: true is turned off on this plugin \(JETWAY_BUILD=off\)/);
  } finally {
    await off.close();
  }
});

/** Bytes of every file below `dir`. */
async function treeSize(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) total += await treeSize(join(dir, entry.name));
    else if (entry.isFile()) total += (await stat(join(dir, entry.name))).size;
  }
  return total;
}

// last in this file: it empties the Go caches the builds above share
test('builds and the Go caches an app fills stay within JETWAY_CACHE_MAX_BYTES', { skip }, async () => {
  const cacheDir = join(sidecar.source, '../cache');
  assert.ok((await treeSize(cacheDir)) > 8 * 1024 * 1024, 'the builds above filled the cache past the bound used here');
  const bounded = await startSidecar(
    { 'team-a/go.mod': embedding['go.mod'], 'team-a/main.go': embedding['main.go'], 'team-a/data.txt': 'bounded' },
    { JETWAY_GO: go, JETWAY_CACHE_DIR: cacheDir, JETWAY_CACHE_MAX_BYTES: String(8 * 1024 * 1024) },
  );
  try {
    assert.equal(configMap(await bounded.generate(tenantApp('bounded', 'team-a', build))).data?.value, 'bounded');
    assert.ok((await treeSize(cacheDir)) <= 8 * 1024 * 1024, `cache holds ${await treeSize(cacheDir)} bytes`);
  } finally {
    await bounded.close();
  }
});
