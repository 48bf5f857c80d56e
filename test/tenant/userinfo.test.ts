// A token an Application author writes into the module URL's userinfo (https://user:token@host/flight.wasm, which
// yoke's Go client sends as Basic credentials): jetway sends it the same way, only to that origin, and no error path
// quotes it (../shared/argocd-contract.md: stderr becomes the ComparisonError, which every viewer of the app and its Events sees).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startHttpServer, type TestServer } from '../support/http-server.js';
import { jetwayLine, startSidecar, tenantApp, type Sidecar } from '../support/sidecar.js';
import { watModule } from '../support/wat.js';

const token = 't0ken-4f9c2e';
const basic = `Basic ${Buffer.from(`deploy:${token}`).toString('base64')}`;
let modules: TestServer;
let elsewhere: TestServer;
let sidecar: Sidecar;
const authorizations: Array<string | undefined> = [];

before(async () => {
  const flight = await watModule('yaml-stages');
  elsewhere = await startHttpServer((request, response) => {
    authorizations.push(request.headers.authorization);
    response.end(flight);
  });
  modules = await startHttpServer((request, response) => {
    if (request.url === '/hop.wasm') return void response.writeHead(302, { location: `${elsewhere.url}/flight.wasm` }).end();
    if (request.headers.authorization !== basic) return void response.writeHead(401).end();
    if (request.url === '/flight.wasm') return void response.end(flight);
    response.writeHead(404).end();
  });
  sidecar = await startSidecar({ 'README.md': 'modules from a private server' });
});

after(async () => {
  await sidecar?.close();
  await modules?.close();
  await elsewhere?.close();
});

const app = (url: string) => tenantApp('private', '.', [{ name: 'wasm', string: url }]);
const withToken = (path: string) => `${modules.url.replace('http://', `http://deploy:${token}@`)}${path}`;

test('a module URL with a token in its userinfo downloads with Basic credentials, as yoke does', async () => {
  assert.equal((await sidecar.generate(app(withToken('/flight.wasm')))).length, 2);
});

test("an app author's token in the module URL's userinfo is quoted by a failed download's ComparisonError", async () => {
  await assert.rejects(sidecar.generate(app(withToken('/missing.wasm'))), (error: unknown) => {
    const line = jetwayLine(error);
    assert.match(line, /^jetway: generate for Application private failed: cannot download module http:\/\/deploy:\*\*\*@[\d.:]+\/missing\.wasm: the server answered 404/);
    assert.doesNotMatch(line, /t0ken/);
    return true;
  });
});

test("a redirect to another origin carries the token in the module URL's userinfo there", async () => {
  assert.equal((await sidecar.generate(app(withToken('/hop.wasm')))).length, 2);
  assert.deepEqual(authorizations, [undefined], 'the other origin got no credentials');
});
