import { COMPONENTS, createHttpApp, finishApp, sidecarReadiness, type Logger, type Sidecar } from '@chat/platform';
import type { Chat } from '../domain/chat.js';
import { messageRoutes, operatorRoutes } from './routes/messages.js';
import { roomRoutes } from './routes/rooms.js';

export interface AppDeps {
  logger: Logger;
  sidecar: Sidecar;
  chat: Chat;
  appApiToken?: string | undefined;
}

/** Builds the service's Koa app; never listens (main.ts does). */
export function createApp(deps: AppDeps) {
  const { app, router } = createHttpApp({
    logger: deps.logger,
    appApiToken: deps.appApiToken,
    readiness: sidecarReadiness(deps.sidecar, [COMPONENTS.stateStore, COMPONENTS.events, COMPONENTS.fanout]),
  });
  return finishApp(app, router, roomRoutes(deps.chat), messageRoutes(deps.chat), operatorRoutes(deps.chat));
}
