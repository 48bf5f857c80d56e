// Downloads of module sources: redirects followed by hand and bodies read up to a bound.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { fetchFollowing, maxRedirects, readBounded } from '../../src/module/fetch-bounded.js';
import { startHttpServer, type TestServer } from '../support/http-server.js';

let one: TestServer;
let two: TestServer;
const authorizations: Array<[string, string | undefined]> = [];

before(async () => {
  two = await startHttpServer((request, response) => {
    authorizations.push(['two', request.headers.authorization]);
    response.end('from two');
  });
  one = await startHttpServer((request, response) => {
    authorizations.push(['one', request.headers.authorization]);
    const url = new URL(request.url ?? '/', 'http://x');
    const hops = Number(url.searchParams.get('hops') ?? 0);
    if (url.pathname === '/loop') response.writeHead(302, { location: `/loop?hops=${hops + 1}` }).end();
    else if (url.pathname === '/same') response.writeHead(307, { location: '/final' }).end();
    else if (url.pathname === '/other') response.writeHead(302, { location: `${two.url}/blob` }).end();
    else response.end('final');
  });
});

after(async () => {
  await one.close();
  await two.close();
});

test(`redirects stop after ${maxRedirects}, naming the last URL without its query`, async () => {
  await assert.rejects(fetchFollowing(`${one.url}/loop`, { what: 'the download' }), new RegExp(`^ModuleError: the download was redirected more than 10 times \\(last to ${one.url}/loop\\)`));
});

test('every redirect target is checked before it is requested', async () => {
  await assert.rejects(fetchFollowing(`${one.url}/other`, { what: 'the download', checkTarget: (target) => assert.fail(`refused ${target.host}`) }), new RegExp(`refused ${two.host}`));
});

test('Authorization goes along within the origin and is dropped when a redirect leaves it', async () => {
  authorizations.length = 0;
  const headers = { authorization: 'Bearer secret' };
  assert.equal(await (await fetchFollowing(`${one.url}/same`, { headers, what: 'x' })).text(), 'final');
  assert.equal(await (await fetchFollowing(`${one.url}/other`, { headers, what: 'x' })).text(), 'from two');
  assert.deepEqual(authorizations, [
    ['one', 'Bearer secret'],
    ['one', 'Bearer secret'],
    ['one', 'Bearer secret'],
    ['two', undefined],
  ]);
});

test('a body past the bound is refused without being read whole', async () => {
  const response = new Response(new ReadableStream({ pull: (controller) => controller.enqueue(new Uint8Array(1024)) }));
  await assert.rejects(
    readBounded(response, 10_000, () => new Error('too large')),
    /too large/,
  );
  assert.deepEqual([...(await readBounded(new Response('abc'), 3, () => new Error('too large')))], [97, 98, 99]);
});
