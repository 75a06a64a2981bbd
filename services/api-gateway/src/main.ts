import { createServer } from 'node:http';
import { bootstrap, installShutdown, listen } from '@chat/platform';
import { loadConfig } from './config.js';
import { createApp } from './http/app.js';

const { config, logger, sidecar } = bootstrap(loadConfig);
const app = createApp({ config, logger, sidecar });
const server = createServer(app.callback());
logger.info({ port: await listen(server, config.port, config.host) }, 'listening');
installShutdown({ server, logger });
