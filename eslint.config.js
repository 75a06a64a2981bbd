// ESLint: typescript-eslint's type-checked recommended rules over every
// TypeScript file the typecheck covers, and ESLint's recommended rules over the
// plain JavaScript (scripts, ava configs, the API docs page's start script). `npm run lint`.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const TESTS = ['**/test/**/*.{ts,tsx}', 'test/**/*.ts', 'bench/**/*.ts'];

export default tseslint.config(
  { ignores: ['**/node_modules/', '**/dist/', '.dapr/', 'var/', 'bench/results/', 'sidecar/'] },
  js.configs.recommended,
  {
    files: ['**/*.{js,mjs}'],
    languageOptions: { globals: globals.node },
  },
  {
    // The API docs page's start script, run by the browser after Swagger UI's bundle.
    files: ['services/api-gateway/src/http/docs-viewer/*.js'],
    languageOptions: { sourceType: 'script', globals: { ...globals.browser, SwaggerUIBundle: 'readonly' } },
  },
  {
    files: ['**/*.{ts,tsx}'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: {
        // The three programs `npm run typecheck` builds; a file belongs to the first that includes it.
        project: ['./tsconfig.json', './web/tsconfig.json', './web/test/tsconfig.json'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // A leading underscore marks a binding kept on purpose: a parameter a signature needs,
      // or a key taken out of an object so that the rest can go on without it.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // Port implementations are `async` without awaiting so that a throw is a rejection, as callers expect.
      '@typescript-eslint/require-await': 'off',
      // `let { a, b } = ...` where only one is reassigned later stays one destructuring.
      'prefer-const': ['error', { destructuring: 'all' }],
      // Koa's `app.callback()` and the web client's event handlers settle their own promises
      // (errors are rendered or shown); floating promises are still caught by no-floating-promises.
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false, attributes: false } }],
    },
  },
  {
    // Tests and benchmarks read JSON answers and YAML documents as they come and assert on them.
    files: TESTS,
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
);
