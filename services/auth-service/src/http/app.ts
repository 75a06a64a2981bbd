import { COMPONENTS, createHttpApp, finishApp, sidecarReadiness, type Logger, type Sidecar } from '@chat/platform';
import type { Accounts } from '../domain/accounts.js';
import { authRoutes } from './routes/auth.js';

export interface AppDeps {
  logger: Logger;
  sidecar: Sidecar;
  accounts: Accounts;
  appApiToken?: string | undefined;
}

/** Builds the service's Koa app; never listens (main.ts does). */
export function createApp(deps: AppDeps) {
  const { app, router } = createHttpApp({
    logger: deps.logger,
    appApiToken: deps.appApiToken,
    readiness: sidecarReadiness(deps.sidecar, [COMPONENTS.stateStore, COMPONENTS.events, COMPONENTS.secretStore]),
  });
  return finishApp(app, router, authRoutes(deps.accounts));
}
