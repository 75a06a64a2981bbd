import Router from '@koa/router';
import {
  COMPONENTS,
  createHttpApp,
  finishApp,
  mountSubscriptions,
  sidecarReadiness,
  type Logger,
  type RequestState,
  type Sidecar,
  type TopicSubscription,
} from '@chat/platform';
import type { Config } from '../config.js';
import { authenticate, type TokenVerifier } from './middleware/authenticate.js';
import type { PresenceReader } from './routes/deps.js';
import { docsRoutes } from './routes/docs.js';
import { authRoutes } from './routes/auth.js';
import { healthRoutes } from './routes/health.js';
import { profilesRoutes } from './routes/profiles.js';
import { roomsRoutes } from './routes/rooms.js';

export interface AppDeps {
  config: Config;
  logger: Logger;
  sidecar: Sidecar;
  tokens: TokenVerifier;
  presence: PresenceReader;
  /** Pub/sub subscriptions served to the sidecar (the real-time fanout). */
  subscriptions?: TopicSubscription[];
}

/** Paths only the gateway's own sidecar calls (pub/sub deliveries); the rest is for clients. */
const isSidecarPath = (path: string): boolean => path.startsWith('/dapr/') || path.startsWith('/events/');

/** Builds the gateway's Koa app; never listens (main.ts does). */
export function createApp(deps: AppDeps) {
  const { config, logger, sidecar } = deps;
  const { app, router } = createHttpApp({
    logger,
    appApiToken: config.appApiToken,
    sidecarOnly: isSidecarPath,
    readiness: sidecarReadiness(sidecar, [COMPONENTS.stateStore, COMPONENTS.events, COMPONENTS.fanout]),
    // Avatar uploads carry raw image bytes, not JSON.
    isRawRoute: (ctx) => ctx.path === '/api/profiles/me/avatar',
  });
  const routeDeps = { config, logger, sidecar, requireUser: authenticate(deps.tokens), presence: deps.presence };
  const events = new Router<RequestState>();
  mountSubscriptions(events, deps.subscriptions ?? []);
  return finishApp(
    app,
    router,
    events,
    healthRoutes({ sidecar, timeoutMs: config.healthTimeoutMs }),
    authRoutes(routeDeps),
    profilesRoutes(routeDeps),
    roomsRoutes(routeDeps),
    docsRoutes(),
  );
}
