export * from './process.js';
export * from './platform.js';
export * from './listeners.js';
export * from './redis-server.js';
// The runtime too, so that a test needs one import (REPO_ROOT, sidecarArgs, ...).
export * from '../runtime/index.js';
