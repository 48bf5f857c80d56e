// Lint for src/, test/ and bench/: typescript-eslint's strict type-checked rules, relaxed only where noted.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.cache/', 'test/flights/'] },
  js.configs.recommended,
  tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // noUncheckedIndexedAccess types every index as possibly undefined; `!` after a length or has() check is the idiom.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // `() => resolve()` style callbacks return void expressions on purpose throughout.
      '@typescript-eslint/no-confusing-void-expression': 'off',
      // Messages interpolate counts, flags and optional values; objects and unknowns stay banned.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true, allowNullish: true }],
      // Interfaces such as the cluster reader are async; a synchronous implementation stays async so a throw rejects.
      '@typescript-eslint/require-await': 'off',
      // `{ status: _status, ...rest }` drops a field; the underscore says it is unused on purpose.
      '@typescript-eslint/no-unused-vars': ['error', { varsIgnorePattern: '^_', argsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      // TypeScript keeps a field's narrowing across awaits, so a stop flag re-read after an await is flagged as always false.
      '@typescript-eslint/no-unnecessary-condition': 'off',
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // node:test's test()/describe() return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] }],
        },
      ],
      // Tests read parsed JSON and YAML (typed any) and assert on its shape; the assertion is the check.
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-class-instance-assignment': 'off',
      // Tests and the fake API server handle arbitrary JSON objects; any is their JSON value type.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/restrict-plus-operands': 'off',
      // Tests copy client-node model objects into plain ones to compare their fields.
      '@typescript-eslint/no-misused-spread': 'off',
      // The fakes print JSON scalars read from objects typed unknown.
      '@typescript-eslint/no-base-to-string': 'off',
      // The fakes apply merge patches and strip fields by name, as the API server does.
      '@typescript-eslint/no-dynamic-delete': 'off',
      // Failure messages print the scenario's Timeline and DashboardRecorder (both define toString) and glob lists.
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true, allowNullish: true, allowArray: true, allow: [{ from: 'file', name: ['Timeline', 'DashboardRecorder'] }] },
      ],
    },
  },
  {
    files: ['src/host/policy.ts'],
    // A name check rejects control characters by matching them.
    rules: { 'no-control-regex': 'off' },
  },
  { files: ['**/*.js'], extends: [tseslint.configs.disableTypeChecked] },
);
