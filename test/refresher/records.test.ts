// The plain pieces: app names to Application namespaces, and run records arriving from generate.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applicationRef } from '../../src/refresher/applications.js';
import { recordProblem } from '../../src/refresher/records.js';
import { run } from './support.js';

test('ARGOCD_APP_NAME maps to the Application: <ns>_<name>, else the Argo CD namespace', () => {
  assert.deepEqual(applicationRef('team-a_demo', 'argocd'), { namespace: 'team-a', name: 'demo' });
  assert.deepEqual(applicationRef('demo', 'argocd'), { namespace: 'argocd', name: 'demo' });
});

test('a run record from the socket is checked before use', () => {
  assert.equal(recordProblem(run('demo', [])), undefined);
  assert.equal(recordProblem(null), 'a run record must be an object');
  assert.equal(recordProblem({ ...run('demo', []), waiting: 'yes' }), 'run record of demo: "waiting" must be a boolean');
  assert.match(recordProblem({ ...run('demo', []), refs: [{ ref: 'x' }] }) ?? '', /each ref needs ref, group, version/);
});
