import { COMPONENTS, createHttpApp, finishApp, mountSubscriptions, sidecarReadiness, type Logger, type Sidecar } from '@chat/platform';
import type { ProfileService } from '../domain/profiles.js';
import { AVATAR_UPLOAD_PATH, profileRoutes } from './routes/profiles.js';
import { profileSubscriptions } from './subscriptions.js';

export interface AppDeps {
  logger: Logger;
  profiles: ProfileService;
  /** For /readyz only; absent in in-process tests. */
  sidecar?: Sidecar | undefined;
  appApiToken?: string | undefined;
}

/** Builds the service's Koa app; never listens (main.ts does). */
export function createApp(deps: AppDeps) {
  const { app, router } = createHttpApp({
    logger: deps.logger,
    appApiToken: deps.appApiToken,
    ...(deps.sidecar ? { readiness: sidecarReadiness(deps.sidecar, [COMPONENTS.stateStore, COMPONENTS.events, COMPONENTS.avatars]) } : {}),
    // Avatar uploads are raw image bytes, read by their route.
    isRawRoute: (ctx) => ctx.path === AVATAR_UPLOAD_PATH,
  });
  mountSubscriptions(router, profileSubscriptions(deps.profiles));
  return finishApp(app, router, profileRoutes(deps.profiles));
}
