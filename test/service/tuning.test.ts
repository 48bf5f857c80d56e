// The service's defaults from its container: the worker count from the CPUs it may really use, the flights' memory
// budget from its memory limit.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { availableCpus, containerMemoryMib, defaultMemoryBudgetMib, defaultWorkers } from '../../src/service/tuning.js';

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
  assert.deepEqual(
    [1, 2, 3, 8, 16, 64].map((cpus) => defaultWorkers(cpus)),
    [2, 2, 3, 8, 16, 16],
  );
});

test("the container's memory limit is cgroup v2 memory.max in MiB; none when it says max or there is no cgroup v2", () => {
  assert.equal(containerMemoryMib('2147483648\n'), 2048);
  assert.equal(containerMemoryMib('max\n'), undefined);
  assert.equal(containerMemoryMib(undefined), undefined);
  assert.equal(containerMemoryMib('garbage'), undefined);
});

test("the flights' memory budget is the container's limit less the worker heaps and 256 MiB; none without a limit", () => {
  assert.equal(defaultMemoryBudgetMib(2, 128, 2048), 1536, "deploy/'s 2Gi serve container with its two workers");
  assert.equal(defaultMemoryBudgetMib(4, 128, 4096), 3328);
  assert.equal(defaultMemoryBudgetMib(2, 128, undefined), undefined);
  assert.throws(
    () => defaultMemoryBudgetMib(2, 128, 512),
    /the container's memory limit of 512 MiB leaves no memory for flights after 2 worker heaps of 128 MiB \(JETWAY_WORKER_HEAP_MIB\) and 256 MiB for the process: raise the limit, lower --workers, or set JETWAY_SERVE_MEMORY_MIB/,
  );
});
