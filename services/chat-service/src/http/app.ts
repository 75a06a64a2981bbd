import {
  COMPONENTS,
  createHttpApp,
  finishApp,
  sidecarReadiness,
  type Logger,
  type Sidecar,
} from '@chat/platform';

export interface AppDeps {
  logger: Logger;
  sidecar: Sidecar;
  appApiToken?: string | undefined;
}

/** Builds the service's Koa app; never listens (main.ts does). */
export function createApp(deps: AppDeps) {
  const { app, router } = createHttpApp({
    logger: deps.logger,
    appApiToken: deps.appApiToken,
    readiness: sidecarReadiness(deps.sidecar, [COMPONENTS.stateStore]),
  });
  return finishApp(app, router);
}
