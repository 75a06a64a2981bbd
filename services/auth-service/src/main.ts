import { createServer } from 'node:http';
import { bootstrap, installShutdown, listen, serveMetrics } from '@chat/platform';
import { createDaprAttemptCounter } from './adapters/dapr/attempt-counter.js';
import { createDaprKnownAddresses } from './adapters/dapr/known-addresses.js';
import { createDaprEventPublisher } from './adapters/dapr/event-publisher.js';
import { createDaprSessionStore } from './adapters/dapr/session-store.js';
import { createSecretStoreSigningKeys } from './adapters/dapr/signing-keys.js';
import { createDaprUserStore } from './adapters/dapr/user-store.js';
import { loadConfig } from './config.js';
import { createAccounts } from './domain/accounts.js';
import { createPasswordHasher } from './domain/passwords.js';
import { createThrottle } from './domain/throttle.js';
import { createAccessTokenIssuer } from './domain/tokens.js';
import { createApp } from './http/app.js';
import { logEventLoopDelay } from './observability/event-loop.js';

const { config, logger, sidecar, flushSpans } = bootstrap(loadConfig);
const keys = createSecretStoreSigningKeys({ sidecar, logger, refreshMs: config.signingKeysRefreshSeconds * 1000 });
// Read the keys once the sidecar is up, so the first login does not wait for them (a failure is retried on use).
void keys.current().catch((error: unknown) => logger.warn({ err: { message: (error as Error).message } }, 'signing keys not readable yet'));
const accounts = createAccounts({
  users: createDaprUserStore(sidecar),
  sessions: createDaprSessionStore(sidecar),
  events: createDaprEventPublisher(sidecar),
  keys,
  hasher: createPasswordHasher(
    { logN: config.scryptLogN, r: config.scryptR, p: config.scryptP },
    config.scryptConcurrency > 0 ? { concurrency: config.scryptConcurrency } : {},
  ),
  throttle: createThrottle(createDaprAttemptCounter(sidecar), createDaprKnownAddresses(sidecar), {
    perAccountAndAddress: config.loginMaxAttemptsPerAccountAndAddress,
    perAddress: config.loginMaxAttemptsPerAddress,
    perAccount: config.loginMaxAttemptsPerAccount,
    windowSeconds: config.loginWindowSeconds,
    slowLaneSeconds: config.loginSlowLaneSeconds,
    knownAddressSeconds: config.loginKnownAddressDays * 86_400,
    registrationsPerAddress: config.registerMaxPerAddress,
    registrationWindowSeconds: config.registerWindowSeconds,
  }),
  accessTokens: createAccessTokenIssuer({
    keys,
    issuer: config.tokenIssuer,
    audience: config.tokenAudience,
    ttlSeconds: config.accessTokenTtlSeconds,
  }),
  refreshTokenTtlSeconds: config.refreshTokenTtlSeconds,
  refreshReuseGraceSeconds: config.refreshReuseGraceSeconds,
});
const app = createApp({ logger, sidecar, accounts, appApiToken: config.appApiToken });
const server = createServer(app.callback());
logger.info({ port: await listen(server, config.port, config.host) }, 'listening');
const stopEventLoopLog = logEventLoopDelay(logger, config.eventLoopLogIntervalMs);
await serveMetrics(config, logger);
installShutdown({ server, logger, closers: [stopEventLoopLog, flushSpans] });
