import { createServer } from 'node:http';
import { bootstrap, installShutdown, listen, unauthenticated } from '@chat/platform';
import { loadConfig } from './config.js';
import { createApp } from './http/app.js';

const { config, logger, sidecar } = bootstrap(loadConfig);
// Replaced by the JWKS verifier (issue 3).
const tokens = { verify: () => Promise.reject(unauthenticated('Token verification is not configured')) };
// Replaced by the presence store (issue 6).
const presence = { online: () => Promise.resolve(new Set<string>()) };
const app = createApp({ config, logger, sidecar, tokens, presence });
const server = createServer(app.callback());
logger.info({ port: await listen(server, config.port, config.host) }, 'listening');
installShutdown({ server, logger });
