// The service's default worker count: the CPUs the container may really use.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { availableCpus, defaultWorkers } from '../../src/service/tuning.js';

test('the CPU count is the affinity, lowered to the cgroup v2 quota, rounded up, at least one', () => {
  assert.equal(availableCpus(64, '200000 100000\n'), 2, 'a 2-CPU limit on a 64-core node');
  assert.equal(availableCpus(64, '150000 100000'), 2, 'a fractional quota rounds up');
  assert.equal(availableCpus(64, '50000 100000'), 1);
  assert.equal(availableCpus(4, 'max 100000\n'), 4, 'no quota');
  assert.equal(availableCpus(4, '800000 100000'), 4, 'a quota above the affinity');
  assert.equal(availableCpus(4, undefined), 4, 'no cgroup v2');
  assert.equal(availableCpus(4, 'garbage'), 4);
});

test('the pool has a worker per CPU, never fewer than two (one app running to its deadline never blocks all) nor more than sixteen', () => {
  assert.deepEqual([1, 2, 3, 8, 16, 64].map((cpus) => defaultWorkers(cpus)), [2, 2, 3, 8, 16, 16]);
});
