import { createServer } from 'node:http';
import { bootstrap, COMPONENTS, installShutdown, listen, serveMetrics, sidecarReadiness } from '@chat/platform';
import { createDaprUserAccounts } from './adapters/dapr/auth-service.js';
import { createDaprChatApi } from './adapters/dapr/chat-service.js';
import { createDaprFanoutPublisher } from './adapters/dapr/fanout-publisher.js';
import { createJwksVerifier } from './adapters/dapr/jwks-verifier.js';
import { createDaprPresenceRecords } from './adapters/dapr/presence-records.js';
import { createDaprPublicProfiles } from './adapters/dapr/profile-service.js';
import { createDaprUpstream } from './adapters/dapr/service-invocation.js';
import { loadConfig } from './config.js';
import { createApp } from './http/app.js';
import { clientAddressResolver } from './http/client-address.js';
import { createRealtime } from './realtime/create-realtime.js';
import { PresenceStore } from './realtime/presence.js';

const { config, logger, sidecar, flushSpans } = bootstrap(loadConfig);
// Access tokens are verified here, against the auth-service's JWKS (issue 3).
const tokens = createJwksVerifier({
  sidecar,
  logger,
  issuer: config.tokenIssuer,
  audience: config.tokenAudience,
  cacheMs: config.jwksCacheSeconds * 1000,
  minRefetchMs: config.jwksMinRefetchMs,
  clockToleranceSeconds: config.tokenClockToleranceSeconds,
  timeoutMs: config.upstreamTimeoutMs,
});
const presence = new PresenceStore({ records: createDaprPresenceRecords(sidecar), logger, ttlSeconds: config.presenceTtlSeconds });
// Socket handshakes are counted per client address, found as for REST requests.
const clientAddress = clientAddressResolver(config.trustedProxies);
const realtime = createRealtime({
  logger,
  tokens,
  presence,
  chat: createDaprChatApi(sidecar, { timeoutMs: config.upstreamTimeoutMs }),
  fanout: createDaprFanoutPublisher(sidecar),
  settings: config,
  clientAddress,
});
const app = createApp({
  config,
  logger,
  upstream: createDaprUpstream(sidecar),
  accounts: createDaprUserAccounts(sidecar, { timeoutMs: config.upstreamTimeoutMs }),
  profiles: createDaprPublicProfiles(sidecar, { timeoutMs: config.upstreamTimeoutMs }),
  tokens,
  presence,
  readiness: sidecarReadiness(sidecar, [COMPONENTS.stateStore, COMPONENTS.events, COMPONENTS.fanout]),
  subscriptions: realtime.subscriptions,
});
const server = createServer(app.callback());
// After the Koa handler: Socket.IO serves /socket.io and hands the rest on.
realtime.attach(server);
logger.info({ port: await listen(server, config.port, config.host) }, 'listening');
await serveMetrics(config, logger);
installShutdown({ server, logger, closers: [() => realtime.close(), flushSpans] });
