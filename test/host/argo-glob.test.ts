// Argo CD's globs for AppProject destinations (util/glob over gobwas/glob, no separators) and the filepath.Match its
// cluster resource lists use (app_project_types.go globMatch, types.go isNamedResourceInList, v3.5.1).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { filepathMatch, globMatch, projectGlobMatch } from '../../src/host/argo-glob.js';

test('gobwas without separators: `*` crosses "/" and ".", so server URL patterns work', () => {
  assert.equal(globMatch('https://*.example.com', 'https://api.eu.example.com'), true);
  assert.equal(globMatch('https://*', 'https://10.0.0.1:6443/path'), true);
  assert.equal(globMatch('https://*.example.com', 'https://example.org'), false);
  assert.equal(globMatch('team-*', 'team-a'), true);
  assert.equal(globMatch('team-*', 'xteam-a'), false, 'anchored at both ends');
  assert.equal(globMatch('team-?', 'team-ab'), false);
  assert.equal(globMatch('team-?', 'team-b'), true);
});

test('character classes, alternatives and escapes', () => {
  assert.equal(globMatch('env-[a-c]', 'env-b'), true);
  assert.equal(globMatch('env-[a-c]', 'env-d'), false);
  assert.equal(globMatch('env-[!a-c]', 'env-d'), true);
  assert.equal(globMatch('env-[!a-c]', 'env-a'), false);
  assert.equal(globMatch('{dev,prod}-*', 'prod-eu'), true);
  assert.equal(globMatch('{dev,prod}-*', 'stage-eu'), false);
  assert.equal(globMatch('a\\*b', 'a*b'), true);
  assert.equal(globMatch('a\\*b', 'axb'), false);
  assert.equal(globMatch('a.b', 'axb'), false, 'regular-expression characters are literal');
});

test('an invalid pattern matches nothing, as glob.Match answers false on a compile error', () => {
  for (const p of ['env-[a-c', '{dev,prod', 'x\\', 'env-[]', 'env-[z-a]']) assert.equal(globMatch(p, 'env-a'), false, p);
});

test('`!` negates in project destinations; `*` matches everything, even the empty string', () => {
  assert.equal(projectGlobMatch('!kube-*', 'kube-system'), false);
  assert.equal(projectGlobMatch('!kube-*', 'team'), true);
  assert.equal(projectGlobMatch('*', ''), true);
  assert.equal(projectGlobMatch('', 'team'), false);
});

test('filepath.Match: `[^...]` negates and braces are literal', () => {
  assert.equal(filepathMatch('[^N]*', 'Namespace'), false);
  assert.equal(filepathMatch('[^N]*', 'ClusterRole'), true);
  assert.equal(filepathMatch('{a,b}', 'a'), false);
  assert.equal(filepathMatch('*', ''), true);
});
