import type { Context } from 'koa';
import { AppError } from '../errors.js';

export const JSON_LIMIT_BYTES = 64 * 1024;

const JSON_TYPES = ['application/json', 'application/cloudevents+json'];

/**
 * Reads the raw request body, refusing it with 413 as soon as it passes
 * `limitBytes` (a declared Content-Length over the limit is refused before
 * anything is read).
 */
export async function readRawBody(ctx: Context, limitBytes: number): Promise<Buffer> {
  const declared = Number.parseInt(ctx.get('content-length') || '', 10);
  if (Number.isFinite(declared) && declared > limitBytes) throw tooLarge(limitBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length;
    if (size > limitBytes) {
      // Stop reading; the connection is closed after the 413 is sent.
      ctx.req.unpipe();
      ctx.set('connection', 'close');
      throw tooLarge(limitBytes);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks, size);
}

const tooLarge = (limitBytes: number) =>
  new AppError('payload_too_large', `The body is larger than ${Math.round(limitBytes / 1024)} KiB`);

const hasBody = (ctx: Context): boolean => {
  const length = ctx.get('content-length');
  return (length !== '' && length !== '0') || ctx.get('transfer-encoding') !== '';
};

/**
 * Koa middleware that parses JSON bodies into `ctx.request.body`: invalid JSON
 * is `400 invalid_json`, a body over the limit `413`, a body of another type
 * `415` (routes that take raw bytes are listed in `rawPaths`).
 */
export function jsonBody(options: { limitBytes?: number; isRawRoute?: (ctx: Context) => boolean } = {}) {
  const limit = options.limitBytes ?? JSON_LIMIT_BYTES;
  return async function parseJsonBody(ctx: Context, next: () => Promise<unknown>) {
    if (!['POST', 'PUT', 'PATCH', 'DELETE'].includes(ctx.method) || options.isRawRoute?.(ctx) || !hasBody(ctx)) {
      return next();
    }
    if (!ctx.is(JSON_TYPES)) {
      // A bodyless POST relayed by daprd arrives chunked, empty and without
      // a content type (service invocation streams the body); that is no body.
      if (ctx.get('content-type') === '' && (await readRawBody(ctx, limit)).length === 0) return next();
      throw new AppError('unsupported_media_type', 'The body must be application/json');
    }
    const raw = await readRawBody(ctx, limit);
    if (raw.length > 0) {
      try {
        ctx.request.body = JSON.parse(raw.toString('utf8'));
      } catch {
        throw new AppError('invalid_json', 'The body is not valid JSON');
      }
    }
    return next();
  };
}
