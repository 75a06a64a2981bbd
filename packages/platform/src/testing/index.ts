export * from './process.js';
export * from './platform.js';
export { REPO_ROOT, daprdPath, prepareRunEnv } from '../runtime/run-env.js';
export { sidecarArgs, type SidecarSpec } from '../runtime/daprd.js';
