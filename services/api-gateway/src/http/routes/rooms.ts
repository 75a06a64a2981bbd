import Router from '@koa/router';
import type { RequestState } from '@chat/platform';
import type { RouteDeps } from './deps.js';

/** /api/rooms/* and /api/dms: routed to chat-service, members aggregated with profiles. */
export function roomsRoutes(_deps: RouteDeps): Router<RequestState> {
  const router = new Router<RequestState>();
  return router;
}
