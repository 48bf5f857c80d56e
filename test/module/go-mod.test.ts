// The go.mod / go.work directives a build's inputs depend on.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readGoModDirectives } from '../../src/module/go-mod.js';

test('local replace targets are read from single lines and blocks; module-version replacements are not folders', () => {
  const text = [
    'module example.com/app',
    '',
    'replace example.com/a => ../a // a sibling',
    'replace example.com/b v1.2.3 => example.com/fork v1.2.4',
    'replace (',
    '\texample.com/c v0.0.0 => "./vendor/c"',
    '\t// example.com/d => ../d',
    '\texample.com/e => /abs/e',
    ')',
  ].join('\n');
  assert.deepEqual(readGoModDirectives(text).localReplacements, [
    { module: 'example.com/a', path: '../a' },
    { module: 'example.com/c', path: './vendor/c' },
    { module: 'example.com/e', path: '/abs/e' },
  ]);
});

test('go.work use folders are read from single lines and blocks', () => {
  assert.deepEqual(readGoModDirectives('go 1.24\n\nuse ./one\nuse (\n\t./two\n\t../three // outside?\n)\n').uses, ['./one', './two', '../three']);
});
