// Unit and in-process tests: fast, no sidecars. `npm run test:unit`.
export default {
  files: [
    'packages/*/test/**/*.test.ts',
    'services/*/test/**/*.test.ts',
    'web/test/unit/**/*.test.ts',
    'deploy/test/**/*.test.ts',
    '!services/*/test/integration/**',
    '!packages/*/test/integration/**',
    '!deploy/test/compose.test.ts',
  ],
  extensions: { ts: 'module' },
  nodeArguments: ['--import=tsx'],
  workerThreads: false,
  timeout: '60s',
};
