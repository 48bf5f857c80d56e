// The rendered-size estimate that bounds flight output before jetway copies it.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import yaml from 'js-yaml';
import { renderedSize } from '../../src/stages/bounds.js';

test('the estimate stays below the real YAML, so it never refuses output that would fit', () => {
  const object = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', labels: { a: 'b' } }, data: { list: [1, 'two', { three: null }] } };
  const real = yaml.dump(object, { noRefs: true, lineWidth: -1 }).length;
  const estimate = renderedSize(object, Number.MAX_SAFE_INTEGER);
  assert.ok(estimate <= real, `${estimate} > ${real}`);
  assert.ok(estimate > real / 2, `${estimate} is far below ${real}`);
});

test('aliases count once per use, and the walk stops past the budget instead of expanding a bomb', () => {
  let value: unknown = ['lol', 'lol', 'lol', 'lol', 'lol', 'lol', 'lol', 'lol', 'lol', 'lol'];
  for (let i = 0; i < 9; i++) value = Array.from({ length: 10 }, () => value); // 10^10 strings, shared
  const started = performance.now();
  assert.ok(renderedSize(value, 1_000_000) > 1_000_000);
  assert.ok(performance.now() - started < 5_000);
  assert.equal(renderedSize(['a', 'a'], 100), renderedSize(['a'], 100) + 2 + 2); // `- a` and its newline once more
});
