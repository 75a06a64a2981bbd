import Router from '@koa/router';
import type { RequestState } from '@chat/platform';
import type { RouteDeps } from './deps.js';

/** /api/profiles/*: routed to profile-service. */
export function profilesRoutes(_deps: RouteDeps): Router<RequestState> {
  const router = new Router<RequestState>();
  return router;
}
