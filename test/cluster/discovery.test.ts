// The discovery cache every run of a long-lived service shares: a miss refreshes it, once for all runs that missed
// against the same documents.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CachedDiscovery } from '../../src/cluster/discovery.js';

/** An API server's discovery documents, counting how often /apis is fetched. */
function server() {
  const groups = [{ name: 'apps', versions: [{ version: 'v1' }], preferredVersion: { version: 'v1' } }];
  const documents: Record<string, unknown> = {
    '/api': { versions: ['v1'] },
    '/apis/widgets.example.com/v1': {
      resources: [
        { name: 'widgets', kind: 'Widget', namespaced: true },
        { name: 'widgets/status', kind: 'Widget', namespaced: true },
      ],
    },
  };
  const fetched: string[] = [];
  return {
    fetched,
    installCrd: () => groups.push({ name: 'widgets.example.com', versions: [{ version: 'v1' }], preferredVersion: { version: 'v1' } }),
    get: async <T>(path: string): Promise<T> => {
      fetched.push(path);
      return (path === '/apis' ? { groups: structuredClone(groups) } : documents[path]) as T;
    },
  };
}

test('a kind missed against old documents resolves after a refresh; a second run that missed against the same documents reuses it', async () => {
  const api = server();
  const discovery = new CachedDiscovery(api.get);
  assert.equal(await discovery.group('widgets.example.com'), undefined);
  api.installCrd();
  // two runs ask at the same moment and both miss against the cached documents
  const asked = performance.now();
  assert.equal(await discovery.group('widgets.example.com'), undefined);
  discovery.forget(asked); // the first run's refresh
  assert.deepEqual(await discovery.group('widgets.example.com'), { preferred: 'v1', versions: ['v1'] });
  discovery.forget(asked); // the second run's: the documents were fetched after it asked, so they are kept
  assert.deepEqual(await discovery.group('widgets.example.com'), { preferred: 'v1', versions: ['v1'] });
  assert.equal(api.fetched.filter((p) => p === '/apis').length, 2, 'the first load and one refresh');
  assert.deepEqual(await discovery.resources('widgets.example.com', 'v1'), [{ Group: 'widgets.example.com', Version: 'v1', Kind: 'Widget', Resource: 'widgets', Namespaced: true }]);
});

test('a miss after the documents were fetched still refreshes them', async () => {
  const api = server();
  const discovery = new CachedDiscovery(api.get);
  await discovery.group('apps');
  api.installCrd();
  discovery.forget(performance.now());
  assert.deepEqual(await discovery.group('widgets.example.com'), { preferred: 'v1', versions: ['v1'] });
  assert.equal(api.fetched.filter((p) => p === '/apis').length, 2);
});
