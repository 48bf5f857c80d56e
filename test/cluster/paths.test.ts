// Lookups build their REST paths themselves: core and named groups, namespaced and cluster-wide, names escaped.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { collectionPath, objectPath } from '../../src/cluster/paths.js';

const secrets = { Group: '', Version: 'v1', Resource: 'secrets', Namespaced: true };
const crds = { Group: 'apiextensions.k8s.io', Version: 'v1', Resource: 'customresourcedefinitions', Namespaced: false };

test('core and named groups, in a namespace or across all', () => {
  assert.equal(collectionPath(secrets, 'demo'), '/api/v1/namespaces/demo/secrets');
  assert.equal(collectionPath(secrets, ''), '/api/v1/secrets');
  assert.equal(objectPath(crds, 'demo', 'flights.yoke.cd'), '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/flights.yoke.cd', 'a cluster-scoped kind ignores the namespace');
});

test('a name or namespace cannot walk to another path', () => {
  assert.equal(objectPath(secrets, 'demo', '../x'), '/api/v1/namespaces/demo/secrets/..%2Fx');
  assert.equal(objectPath(secrets, 'a/b', 'c?d'), '/api/v1/namespaces/a%2Fb/secrets/c%3Fd');
});
