// The naming rules generate, the policy and the refresher share: apiVersions, group kinds and Argo CD's app names.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { groupKindString, groupOf, splitApiVersion, splitAppName } from '../../src/cluster/names.js';

test('an apiVersion splits into group and version; a bare version is the core group', () => {
  assert.deepEqual(splitApiVersion('apps/v1'), { group: 'apps', version: 'v1' });
  assert.deepEqual(splitApiVersion('v1'), { group: '', version: 'v1' });
  assert.deepEqual(splitApiVersion('jetway.dev/v1alpha1'), { group: 'jetway.dev', version: 'v1alpha1' });
  assert.equal(groupOf('batch/v1'), 'batch');
  assert.equal(groupOf('v1'), '');
});

test("group kinds print as Go's schema.GroupKind does", () => {
  assert.equal(groupKindString('', 'Secret'), 'Secret');
  assert.equal(groupKindString('apps', 'Deployment'), 'Deployment.apps');
});

test("ARGOCD_APP_NAME: `<name>` is in Argo CD's namespace, `<ns>_<name>` in another", () => {
  assert.deepEqual(splitAppName('shop'), { namespace: undefined, name: 'shop' });
  assert.deepEqual(splitAppName('team-a_shop'), { namespace: 'team-a', name: 'shop' });
  assert.deepEqual(splitAppName('team-a_shop.v2'), { namespace: 'team-a', name: 'shop.v2' }, 'a dot belongs to the name');
});
