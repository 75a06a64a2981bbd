import { createServer } from 'node:http';
import { bootstrap, installShutdown, listen, serveMetrics } from '@chat/platform';
import { daprAvatarStorage } from './adapters/dapr/avatar-storage.js';
import { daprProfileEvents } from './adapters/dapr/profile-events.js';
import { daprProfileStore } from './adapters/dapr/profile-store.js';
import { loadConfig } from './config.js';
import { createProfileService } from './domain/profiles.js';
import { createApp } from './http/app.js';

const { config, logger, sidecar, flushSpans } = bootstrap(loadConfig);
const profiles = createProfileService({
  store: daprProfileStore(sidecar),
  events: daprProfileEvents(sidecar),
  avatars: daprAvatarStorage(sidecar, config.avatarsBinding),
  publicBaseUrl: config.publicBaseUrl,
  logger,
});
const app = createApp({ logger, profiles, sidecar, appApiToken: config.appApiToken });
const server = createServer(app.callback());
logger.info({ port: await listen(server, config.port, config.host) }, 'listening');
await serveMetrics(config, logger);
installShutdown({ server, logger, closers: [flushSpans] });
