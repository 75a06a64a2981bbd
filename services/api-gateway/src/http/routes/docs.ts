import Router from '@koa/router';
import type { RequestState } from '@chat/platform';

/** `GET /api/openapi.json` (the OpenAPI 3.1 document of API.md) and `GET /api/docs` (a page to read it). */
export function docsRoutes(): Router<RequestState> {
  const router = new Router<RequestState>();
  return router;
}
