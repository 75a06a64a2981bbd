// The dapr CLI test (npm run test:cli): the README's `dapr run -f dapr.yaml`
// steps on the template's fixed ports, so never beside another platform run.
export default {
  files: ['test/cli/**/*.test.ts'],
  extensions: { ts: 'module' },
  nodeArguments: ['--import=tsx'],
  workerThreads: false,
  concurrency: 1,
  timeout: '30m',
};
