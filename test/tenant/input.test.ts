// Tenant attacks through `input`, `inputFiles` and parameter names (issue 11 items 3, 5 and 9): keys an Application
// author writes never reach a JavaScript prototype, and an input cannot grow past the admin's bounds; each refusal is
// one line naming what was refused and the setting that raises a bound.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startApiServer, type FakeApiServer } from '../support/apiserver.js';
import { failed, jetwayLine, startSidecar, tenantApp, type Sidecar } from '../support/sidecar.js';
import { repoPath } from '../support/paths.js';
import { watModule } from '../support/wat.js';

let api: FakeApiServer;
let sidecar: Sidecar;

const MiB = 1024 * 1024;
/** A refused input stays far below the deploy's 512Mi container limit: the refusal comes before the input is built. */
const peakRssBound = 128 * MiB;

/** An alias bomb: 9 levels of ten aliases each, 10^9 strings once expanded, from under 1 KB of YAML. */
function aliasBomb(): string {
  const lines = ['l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i <= 9; i++) lines.push(`l${i}: &l${i} [${Array.from({ length: 10 }, () => `*l${i - 1}`).join(',')}]`);
  return lines.join('\n') + '\n';
}

before(async () => {
  api = await startApiServer({ namespaces: ['team-a'] });
  sidecar = await startSidecar({
    'pipeline/pipeline.wasm.gz': readFileSync(repoPath('examples/pipeline/pipeline.wasm.gz')),
    'pipeline/input.json': readFileSync(repoPath('examples/pipeline/input.json')),
    'yaml/flight.wasm': await watModule('yaml-stages'),
    'yaml/bomb.yaml': aliasBomb(),
  });
});

after(async () => {
  await sidecar.close();
  await api.close();
});

/** A kubeconfig for the fake API server that trusts another CA: only a client that skips TLS verification would talk to it. */
function impostorKubeconfig(): string {
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'other.key', '-out', 'other-ca.crt', '-days', '1', '-subj', '/CN=not-the-cluster-ca'],
    {
      cwd: join(sidecar.source, '..'),
      stdio: 'ignore',
    },
  );
  const file = join(sidecar.source, '..', 'impostor-kubeconfig.yaml');
  writeFileSync(file, readFileSync(api.kubeconfig(), 'utf8').replace(/certificate-authority: .*/, `certificate-authority: ${JSON.stringify(join(sidecar.source, '..', 'other-ca.crt'))}`));
  return file;
}

test('an app author pollutes Object.prototype through an input path to switch off TLS verification of the API connection', async () => {
  // jetway serve's kubeconfig (the only credentials, issue 14) does not trust the server it points at: a verifying
  // client never sends it the token
  const repo = await startSidecar(
    {
      'pipeline/pipeline.wasm.gz': readFileSync(repoPath('examples/pipeline/pipeline.wasm.gz')),
      'pipeline/input.json': readFileSync(repoPath('examples/pipeline/input.json')),
    },
    {},
    { api, env: { JETWAY_KUBECONFIG: impostorKubeconfig() } },
  );
  after(() => repo.close());
  const parameters = (input: Record<string, string>) => [
    { name: 'wasm', string: 'pipeline.wasm.gz' },
    { name: 'clusterAccess', string: 'true' },
    { name: 'inputFiles', array: ['input.json'] },
    { name: 'input', map: input },
  ];
  const before = api.requests.length;
  await assert.rejects(repo.generate(tenantApp('honest', 'pipeline', parameters({ 'metadata.name': 'honest' }))), /certificate/);
  assert.equal(api.requests.length, before, 'without the attack, TLS verification stops the lookup');

  await assert.rejects(repo.generate(tenantApp('polluter', 'pipeline', parameters({ '__proto__.rejectUnauthorized': 'false' }))), (error: unknown) => {
    assert.match(
      jetwayLine(error),
      /^jetway: generate for Application polluter failed: parameter input\.__proto__\.rejectUnauthorized: got "__proto__", expected a name other than "__proto__", "constructor" or "prototype"/,
    );
    return true;
  });
  assert.equal(api.requests.length, before, 'the API server (and its token) was never reached');
});

test('an app author names a parameter __proto__', async () => {
  const parameters = [
    { name: 'wasm', string: 'flight.wasm' },
    { name: '__proto__', string: 'x' },
  ];
  await assert.rejects(sidecar.generate(tenantApp('proto-param', 'yaml', parameters)), (error: unknown) => {
    const line = jetwayLine(error);
    assert.match(line, /^jetway: generate for Application proto-param failed: parameter __proto__: got "__proto__", expected a name other than "__proto__"/);
    assert.doesNotMatch(line, /is not a function/);
    return true;
  });
});

test('an app author expands a YAML alias bomb in inputFiles to exhaust the sidecar memory', async (t) => {
  const parameters = [
    { name: 'wasm', string: 'flight.wasm' },
    { name: 'inputFiles', array: ['bomb.yaml'] },
  ];
  const { outcome, peakRssBytes } = await sidecar.measured(tenantApp('bomber', 'yaml', parameters));
  assert.match(
    jetwayLine(failed(outcome)),
    /^jetway: generate for Application bomber failed: parameter input: got "more than 16777216 bytes", expected an input of at most 16777216 bytes once inputFiles are merged and YAML aliases expanded \(the admin limit JETWAY_MAX_INPUT_BYTES raises it\)$/m,
  );
  // unbounded, the expansion took generate to 776 MB (issue 11); the bound keeps it near an idle generate's footprint
  t.diagnostic(`peak RSS ${Math.round(peakRssBytes / MiB)} MiB`);
  assert.ok(peakRssBytes < peakRssBound, `peak RSS ${Math.round(peakRssBytes / MiB)} MiB, bound ${peakRssBound / MiB} MiB`);
  // the bound is the admin's: lowered, a small input that fits the default is refused too
  const strict = sidecar.withEnv({ JETWAY_MAX_INPUT_BYTES: '8' });
  await assert.rejects(
    strict.generate(
      tenantApp('small', 'yaml', [
        { name: 'wasm', string: 'flight.wasm' },
        { name: 'input', map: { greeting: 'hello world' } },
      ]),
    ),
    /JETWAY_MAX_INPUT_BYTES/,
  );
});

test('an app author pads a list to 150,000,000 items through the input key list.150000000', async (t) => {
  const parameters = [
    { name: 'wasm', string: 'flight.wasm' },
    { name: 'input', map: { 'list.150000000': 'x' } },
  ];
  const { outcome, peakRssBytes } = await sidecar.measured(tenantApp('padder', 'yaml', parameters));
  assert.match(
    jetwayLine(failed(outcome)),
    /^jetway: generate for Application padder failed: parameter input\.list\.150000000: got "150000000", expected a list index of at most 10000 \(the admin limit JETWAY_MAX_INPUT_LIST_INDEX raises it\)$/m,
  );
  // unbounded, the padded list crashed V8 (exit 133, issue 11)
  t.diagnostic(`peak RSS ${Math.round(peakRssBytes / MiB)} MiB`);
  assert.ok(peakRssBytes < peakRssBound, `peak RSS ${Math.round(peakRssBytes / MiB)} MiB, bound ${peakRssBound / MiB} MiB`);
});

test('an app author commits a 256 MiB inputFile for generate to read whole into memory', async (t) => {
  // sparse: the repository holds 256 MiB without writing it
  await writeFile(join(sidecar.source, 'yaml/huge.yaml'), '');
  await truncate(join(sidecar.source, 'yaml/huge.yaml'), 256 * MiB);
  const parameters = [
    { name: 'wasm', string: 'flight.wasm' },
    { name: 'inputFiles', array: ['huge.yaml'] },
  ];
  const { outcome, peakRssBytes } = await sidecar.measured(tenantApp('hoarder', 'yaml', parameters));
  assert.match(
    jetwayLine(failed(outcome)),
    /^jetway: generate for Application hoarder failed: parameter inputFiles: got "huge\.yaml", expected a file of at most 16777216 bytes \(it has 268435456; the admin limit JETWAY_MAX_INPUT_BYTES raises it\)$/m,
  );
  t.diagnostic(`peak RSS ${Math.round(peakRssBytes / MiB)} MiB`);
  assert.ok(peakRssBytes < peakRssBound, `peak RSS ${Math.round(peakRssBytes / MiB)} MiB, bound ${peakRssBound / MiB} MiB`);
});
