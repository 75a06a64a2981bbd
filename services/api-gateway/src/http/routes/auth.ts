import Router from '@koa/router';
import type { RequestState } from '@chat/platform';
import type { RouteDeps } from './deps.js';

/** /api/auth/*: routed to auth-service. */
export function authRoutes(_deps: RouteDeps): Router<RequestState> {
  const router = new Router<RequestState>();
  return router;
}
