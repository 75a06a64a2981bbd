// Tests that start real daprd sidecars against real stores and brokers.
// One file at a time: each starts a whole platform (4 apps, 4 sidecars).
export default {
  files: ['packages/*/test/integration/**/*.test.ts', 'services/*/test/integration/**/*.test.ts', 'web/test/browser/**/*.test.ts'],
  extensions: { ts: 'module' },
  nodeArguments: ['--import=tsx'],
  workerThreads: false,
  concurrency: 1,
  timeout: '3m',
};
