// yokecd's `timeout` parameter is a Go duration: the forms Go's time.ParseDuration takes, and the ones it refuses.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseGoDuration } from '../../src/params/duration.js';

test('Go duration forms read as milliseconds', () => {
  const cases: Array<[string, number]> = [
    ['10s', 10_000],
    ['1m30s', 90_000],
    ['500ms', 500],
    ['1.5h', 5_400_000],
    ['.5s', 500],
    ['250us', 0.25],
    ['250µs', 0.25],
    ['1000000ns', 1],
    ['-1s', -1000],
    ['+2m', 120_000],
    ['0', 0],
    ['1h1m1s1ms', 3_661_001],
  ];
  for (const [text, ms] of cases) assert.deepEqual(parseGoDuration(text), { ms }, text);
});

test('what Go refuses is refused, with the reason a user reads', () => {
  assert.deepEqual(parseGoDuration(''), { error: 'is empty' });
  for (const text of ['10', '1d', '1 s', 's', '1s ', 'ten seconds', '1.s.s', '--1s']) {
    const parsed = parseGoDuration(text);
    assert.ok('error' in parsed, `${text} must be refused`);
    assert.equal(parsed.error, 'is not a Go duration such as "30s", "1m30s" or "500ms"');
  }
});
