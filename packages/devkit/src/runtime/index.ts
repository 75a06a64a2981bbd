// What `npm start`, the dapr CLI's run files and the test harness share to
// run the platform locally: the run folder and tokens, daprd's command line,
// the profile's servers, and dapr.yaml.
export * from './run-env.js';
export * from './daprd.js';
export * from './profile-setup.js';
export * from './run-template.js';
