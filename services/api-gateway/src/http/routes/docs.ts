import { createHash } from 'node:crypto';
import type Router from '@koa/router';
import { createRouter, notFound, type AppContext, type RequestState } from '@chat/platform';
import { buildOpenApiDocument } from '../openapi/document.js';
import { DOCS_CONTENT_SECURITY_POLICY, loadDocsViewer } from '../docs-viewer/viewer.js';
import { sendStaticFile, type StaticFile } from '../static-file.js';

const DOCUMENT_URL = '/api/openapi.json';

/**
 * `GET /api/openapi.json` (the OpenAPI 3.1 document of docs/api.md),
 * `GET /api/docs` (Swagger UI reading it) and `GET /api/docs/<file>` (the
 * page's scripts, styles and icons). All public and built once, when the
 * router is made. The JSON carries an ETag, so a client that polls it gets
 * `304` while it is unchanged.
 *
 * A file is answered from a table keyed by its exact name or not at all: no
 * path is built from the URL, so no encoding of `..` or `/` reaches another file.
 */
export function docsRoutes(): Router<RequestState> {
  const router = createRouter();
  const json = JSON.stringify(buildOpenApiDocument());
  const etag = createHash('sha256').update(json).digest('base64url').slice(0, 27);
  const viewer = loadDocsViewer(DOCUMENT_URL);

  router.get(DOCUMENT_URL, (ctx) => {
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

  const send = (ctx: AppContext, file: StaticFile) => {
    ctx.set('content-security-policy', DOCS_CONTENT_SECURITY_POLICY);
    ctx.set('referrer-policy', 'no-referrer');
    sendStaticFile(ctx, file);
  };
  router.get('/api/docs', (ctx) => send(ctx, viewer.page));
  router.get('/api/docs/:file', (ctx) => {
    const file = viewer.files.get(ctx.params['file'] ?? '');
    if (!file) throw notFound('No such file');
    send(ctx, file);
  });

  return router;
}
