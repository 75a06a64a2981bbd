// `npm run test:compose`: docker compose up --build, a user's first steps
// through the gateway, docker compose down. Minutes on a cold machine (it may
// build the compose plugin, the local images and the service image).
export default {
  files: ['deploy/test/compose.test.ts'],
  extensions: { ts: 'module' },
  nodeArguments: ['--import=tsx'],
  workerThreads: false,
  timeout: '30m',
};
