// The flight's done / waiting / failed signal (src/stages/signal.ts): yoke's Ready condition first, jetway's rule without it.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { flightSignal } from '../../src/stages/signal.js';

const ready = (status: string, reason?: string, message?: string) => ({
  message: 'from status.message',
  conditions: [
    { type: 'Synced', status: 'True' },
    { type: 'Ready', status, reason, message },
  ],
});

test("yoke's Ready condition decides: True done, False waiting, False with reason Failed or Error failed, Unknown waiting", () => {
  assert.deepEqual(flightSignal(ready('True', 'Ready', 'all good'), false), { state: 'done', message: 'all good', source: 'ready-condition' });
  assert.deepEqual(flightSignal(ready('False', 'Waiting', 'waiting for db'), false), { state: 'waiting', message: 'waiting for db', source: 'ready-condition' });
  assert.deepEqual(flightSignal(ready('False', 'Failed', 'job two failed'), false), { state: 'failed', message: 'job two failed', source: 'ready-condition' });
  assert.equal(flightSignal(ready('False', 'Error'), false).state, 'failed');
  assert.equal(flightSignal(ready('Unknown', 'Failed'), false).state, 'waiting');
  // the condition wins over the message and over lookups that found nothing
  assert.equal(flightSignal(ready('True', undefined, 'done, no longer waiting'), true).state, 'done');
  // a condition without a message falls back to status.message
  assert.equal(flightSignal(ready('False', 'Waiting'), false).message, 'from status.message');
});

test('without a Ready condition: a message saying it failed is failed, one saying it waits (or a missing lookup) is waiting, else done', () => {
  assert.deepEqual(flightSignal({ message: 'job two failed: exit 1' }, false), { state: 'failed', message: 'job two failed: exit 1', source: 'rule' });
  assert.equal(flightSignal({ message: 'waiting for job two to complete' }, false).state, 'waiting');
  assert.equal(flightSignal({ message: 'waiting for a retry after job two failed' }, false).state, 'waiting');
  assert.equal(flightSignal({ message: 'ready' }, true).state, 'waiting');
  assert.equal(flightSignal({ message: 'all jobs have completed' }, false).state, 'done');
  assert.equal(flightSignal(undefined, false).state, 'done');
  assert.deepEqual(flightSignal(undefined, true), { state: 'waiting', message: undefined, source: 'rule' });
  // "Waiter" or "failsafe" are not the words
  assert.equal(flightSignal({ message: 'failsafe mode on' }, false).state, 'done');
});
