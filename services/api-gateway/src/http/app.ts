import { createHttpApp, finishApp, mountSubscriptions, type Logger, type TopicSubscription } from '@chat/platform';
import type { Config } from '../config.js';
import { authenticate, type TokenVerifier } from './middleware/authenticate.js';
import { clientAddressResolver } from './client-address.js';
import type { Upstream } from './forward.js';
import { createRateLimits } from './rate-limits.js';
import { USER_REQUESTS_AT_ONCE, userTurns } from './user-turns.js';
import type { PresenceReader, RouteDeps } from './routes/deps.js';
import { docsRoutes } from './routes/docs.js';
import { authRoutes } from './routes/auth.js';
import { healthRoutes } from './routes/health.js';
import { profilesRoutes } from './routes/profiles.js';
import { roomsRoutes } from './routes/rooms.js';
import { webRoutes } from './routes/web.js';
import type { PublicProfiles, UserAccounts } from './user-directory.js';

export interface AppDeps {
  config: Config;
  logger: Logger;
  /** The services behind the gateway: requests are forwarded to them. */
  upstream: Upstream;
  accounts: UserAccounts;
  profiles: PublicProfiles;
  tokens: TokenVerifier;
  presence: PresenceReader;
  /** Named checks that must all pass for `/readyz` (main.ts: the sidecar and its components). */
  readiness: Record<string, () => Promise<boolean>>;
  /** Pub/sub subscriptions served to the sidecar (the real-time fanout). */
  subscriptions?: TopicSubscription[];
}

/** Everything a request is counted in when it arrives and when its token is verified. */
function requestLimits(config: Config) {
  const clientAddress = clientAddressResolver(config.trustedProxies);
  const limits = createRateLimits({ overrides: config.rateLimits, scale: config.rateLimitScale, clientAddress });
  return { clientAddress, limits };
}

/** Builds the gateway's Koa app; never listens (main.ts does). */
export function createApp(deps: AppDeps) {
  const { config, logger, upstream } = deps;
  const { clientAddress, limits } = requestLimits(config);
  const { app, router, sidecarRouter } = createHttpApp({
    logger,
    appApiToken: config.appApiToken,
    // Clients call this app too: only the pub/sub routes (on sidecarRouter) require the sidecar's token.
    clientFacing: true,
    readiness: deps.readiness,
    // Avatar uploads carry raw image bytes, not JSON.
    isRawRoute: (ctx) => ctx.path === '/api/profiles/me/avatar',
    // Per client address; the sidecar's own calls (pub/sub deliveries, with its app token) skip it.
    admission: limits.limit('request'),
  });
  const verify = authenticate(deps.tokens);
  const perUser = limits.limit('authenticated');
  const inUserTurn = userTurns({
    atOnce: Math.max(1, Math.round(USER_REQUESTS_AT_ONCE * config.rateLimitScale)),
    maxWaitMs: config.upstreamTimeoutMs,
  });
  const routeDeps: RouteDeps = {
    config,
    logger,
    upstream,
    accounts: deps.accounts,
    profiles: deps.profiles,
    requireUser: (ctx, next) => verify(ctx, () => perUser(ctx, () => inUserTurn(ctx, next))),
    limit: limits.limit,
    clientAddress,
    presence: deps.presence,
  };
  mountSubscriptions(sidecarRouter, deps.subscriptions ?? []);
  return finishApp(
    app,
    router,
    sidecarRouter,
    healthRoutes({ upstream, timeoutMs: config.healthTimeoutMs }),
    authRoutes(routeDeps),
    profilesRoutes(routeDeps),
    roomsRoutes(routeDeps),
    docsRoutes(),
    webRoutes({ root: config.webRoot, logger }),
  );
}
