import { createHash } from 'node:crypto';
import type Router from '@koa/router';
import { createRouter, type RequestState } from '@chat/platform';
import { buildOpenApiDocument } from '../openapi/document.js';
import { buildDocsPage } from '../openapi/docs-page/index.js';

/**
 * `GET /api/openapi.json` (the OpenAPI 3.1 document of docs/api.md) and `GET /api/docs` (a page to read it).
 * Both are public and built once, when the router is made. The JSON carries
 * an ETag, so a client that polls it gets `304` while it is unchanged.
 */
export function docsRoutes(): Router<RequestState> {
  const router = createRouter();
  const json = JSON.stringify(buildOpenApiDocument());
  const etag = createHash('sha256').update(json).digest('base64url').slice(0, 27);
  const page = buildDocsPage();

  router.get('/api/openapi.json', (ctx) => {
    ctx.set('cache-control', 'no-cache');
    ctx.etag = etag;
    // ctx.fresh only compares validators on a 2xx response.
    ctx.status = 200;
    if (ctx.fresh) {
      ctx.status = 304;
      return;
    }
    ctx.type = 'application/json; charset=utf-8';
    ctx.body = json;
  });

  router.get('/api/docs', (ctx) => {
    ctx.set('content-security-policy', page.contentSecurityPolicy);
    ctx.set('x-content-type-options', 'nosniff');
    ctx.set('cache-control', 'no-cache');
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = page.html;
  });

  return router;
}
