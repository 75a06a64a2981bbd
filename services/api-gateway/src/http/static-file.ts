import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import type { AppContext } from '@chat/platform';

/**
 * A file the gateway serves as it is (the web client's, the API docs page's),
 * held in memory: read once, with its content type, an ETag from its bytes
 * and its Cache-Control. Routes answer from a table of these keyed by exact
 * name, never from a path built out of a URL.
 */
export interface StaticFile {
  body: Buffer;
  type: string;
  etag: string;
  cacheControl: string;
  /** The gzipped body, made on the first request that accepts gzip; `undefined` when not worth it. */
  gzipped: () => Buffer | undefined;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};
const COMPRESSIBLE = /^(text\/|image\/svg|application\/(json|manifest))/;

/** The content type served for a file name, from its extension; `undefined` for a type the gateway does not serve. */
function contentTypeOf(name: string): string | undefined {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? TYPES[name.slice(dot).toLowerCase()] : undefined;
}

export function staticFile(body: Buffer, type: string, cacheControl: string): StaticFile {
  // Lazily: the docs page's bundle is over a megabyte, and most gateways never serve it.
  let gzipped: Buffer | undefined;
  const worthIt = COMPRESSIBLE.test(type) && body.length > 1024;
  return {
    body,
    type,
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
    cacheControl,
    gzipped: () => (worthIt ? (gzipped ??= gzipSync(body, { level: 9 })) : undefined),
  };
}

/** Reads `path` as the file `name`; `undefined` when its extension is not a type the gateway serves. */
export function readStaticFile(name: string, path: string, cacheControl: string): StaticFile | undefined {
  const type = contentTypeOf(name);
  return type ? staticFile(readFileSync(path), type, cacheControl) : undefined;
}

/**
 * Answers with `file`: `304` when the client's `If-None-Match` still matches,
 * else its bytes, gzipped when the client accepts it. The caller sets its
 * own headers (Content-Security-Policy and the like) first.
 */
export function sendStaticFile(ctx: AppContext, file: StaticFile): void {
  ctx.set('x-content-type-options', 'nosniff');
  ctx.set('cache-control', file.cacheControl);
  ctx.set('vary', 'accept-encoding');
  ctx.etag = file.etag;
  // ctx.fresh only compares validators on a 2xx response.
  ctx.status = 200;
  if (ctx.fresh) {
    ctx.status = 304;
    return;
  }
  ctx.type = file.type;
  const gzipped = file.gzipped();
  if (gzipped && ctx.acceptsEncodings('gzip', 'identity') === 'gzip') {
    ctx.set('content-encoding', 'gzip');
    ctx.body = gzipped;
  } else {
    ctx.body = file.body;
  }
}
