import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Router from '@koa/router';
import { notFound, type AppContext, type Logger, type RequestState } from '@chat/platform';
import { readStaticFile, sendStaticFile, type StaticFile } from '../static-file.js';

/**
 * The browser client (web/, built by Vite into web/dist) at `/`, `/index.html`
 * and `/assets/<name>`, and nothing else: never a path under /api,
 * /socket.io, /dapr or /events.
 *
 * The files are read once, when the router is built, into a table keyed by
 * their exact name; a request is answered from that table or not at all. No
 * path is ever joined from a URL, so no encoding of `..` can reach another
 * file. Assets carry a content hash in their name (Vite's `name-HASH.ext`)
 * and are cached for a year; index.html is revalidated every time (ETag), so
 * a new build is picked up at the next load.
 */

export interface WebClientOptions {
  /** The built client: index.html and assets/. Empty: no client is served. */
  root: string;
  logger: Logger;
}

const ASSET_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/;

/**
 * What the page may do: its own scripts, styles and fonts only (nothing
 * inline, nothing from elsewhere), talk to its own origin (REST and the
 * Socket.IO websocket), show images from here only (uploaded avatars: an
 * avatarUrl on another server is not loaded, since loading it would tell
 * that server who reads its owner, from where and when), and a blob:
 * preview of an avatar before it is uploaded.
 * Trusted Types with no policy: any HTML string sink (innerHTML and the like)
 * throws, so text from users can only ever become text.
 */
export const WEB_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join('; ');

/** Reads the built client into memory; `undefined` when it is not built. */
export function loadWebClient(root: string, logger: Logger): { index: StaticFile; assets: Map<string, StaticFile> } | undefined {
  const indexPath = join(root, 'index.html');
  if (!root || !existsSync(indexPath)) {
    if (root) logger.warn({ root }, 'web client not built (npm run build -w web): / answers 404');
    return undefined;
  }
  const index = readStaticFile('index.html', indexPath, 'no-cache');
  if (!index) return undefined;
  const assets = new Map<string, StaticFile>();
  const assetsDir = join(root, 'assets');
  for (const name of existsSync(assetsDir) ? readdirSync(assetsDir) : []) {
    const path = join(assetsDir, name);
    if (!ASSET_NAME.test(name) || !statSync(path).isFile()) continue;
    const file = readStaticFile(name, path, 'public, max-age=31536000, immutable');
    if (file) assets.set(name, file);
    else logger.warn({ name }, 'web client: file of an unknown type not served');
  }
  logger.info({ root, assets: assets.size }, 'web client loaded');
  return { index, assets };
}

function send(ctx: AppContext, file: StaticFile): void {
  ctx.set('content-security-policy', WEB_CONTENT_SECURITY_POLICY);
  ctx.set('referrer-policy', 'no-referrer');
  ctx.set('cross-origin-opener-policy', 'same-origin');
  sendStaticFile(ctx, file);
}

export function webRoutes({ root, logger }: WebClientOptions): Router<RequestState> {
  const router = new Router<RequestState>();
  const client = loadWebClient(root, logger);
  router.get(['/', '/index.html'], (ctx) => {
    if (!client) throw notFound('The web client is not built on this server (npm run build -w web)');
    send(ctx, client.index);
  });
  router.get('/assets/:name', (ctx) => {
    // The table lookup is the whole check: a name that is not a built file is 404.
    const file = client?.assets.get(ctx.params['name'] ?? '');
    if (!file) throw notFound('No such file');
    send(ctx, file);
  });
  return router;
}
