export * from './process.js';
export * from './platform.js';
export { REPO_ROOT, daprdPath, prepareRunEnv } from '../runtime/run-env.js';
export { SIDECAR_ENV, sidecarArgs, type SidecarSpec } from '../runtime/daprd.js';
export * from './listeners.js';
export * from './redis-server.js';
export { readRunTemplate, templateSidecarSpec, type RunTemplate, type RunTemplateApp } from '../runtime/run-template.js';
