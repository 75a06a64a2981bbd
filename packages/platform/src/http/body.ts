import type { Context } from 'koa';
import { AppError, isAppError } from '../errors.js';
import type { RequestState } from './app.js';

export const JSON_LIMIT_BYTES = 64 * 1024;

/** No request of the contract nests deeper than a few levels; this leaves room and stops recursion bombs. */
export const JSON_MAX_DEPTH = 16;

/** Keys that would reach an object's prototype when a parsed body is copied or merged. */
const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const MAY_NAME_PROTOTYPE = /__proto__|constructor|prototype|\\u/;

/**
 * Parses a JSON request body the platform's way: nesting deeper than
 * JSON_MAX_DEPTH and prototype keys (`__proto__`, `constructor`,
 * `prototype`) at any depth are refused with 400, like invalid JSON. The
 * depth is measured on the text before parsing, so nothing recursive ever
 * sees a deep document. Used for every JSON body, pub/sub deliveries included.
 */
export function parseJsonText(text: string, maxDepth = JSON_MAX_DEPTH): unknown {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > maxDepth) throw new AppError('invalid_json', `The body nests deeper than ${maxDepth} levels`);
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  // A reviver makes parsing several times slower: run it only when a prototype key could be spelled in
  // the text (plainly, or through a \u escape).
  if (!MAY_NAME_PROTOTYPE.test(text)) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new AppError('invalid_json', 'The body is not valid JSON');
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text, (key, value: unknown) => {
      if (PROTOTYPE_KEYS.has(key)) throw new ForbiddenKey(key);
      return value;
    });
  } catch (error) {
    if (error instanceof ForbiddenKey) throw new AppError('invalid_json', `The body has a field named "${error.key}", which is not allowed`);
    throw new AppError('invalid_json', 'The body is not valid JSON');
  }
  return parsed;
}

class ForbiddenKey extends Error {
  readonly key: string;
  constructor(key: string) {
    super(key);
    this.key = key;
  }
}

const JSON_TYPES = ['application/json', 'application/cloudevents+json'];

/**
 * Reads the raw request body, refusing it with 413 as soon as it passes
 * `limitBytes` (a declared Content-Length over the limit is refused before
 * anything is read). A body the request stream fails to deliver whole (the
 * client went away or reset the connection mid-body, or broke the chunked
 * framing) is the client's doing: 400 `validation_failed` on `body`, logged
 * at info, never a 500.
 */
export async function readRawBody(ctx: Context, limitBytes: number): Promise<Buffer> {
  const declared = Number.parseInt(ctx.get('content-length') || '', 10);
  if (Number.isFinite(declared) && declared > limitBytes) throw tooLarge(limitBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
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
  } catch (error) {
    if (isAppError(error)) throw error;
    const cause = error as { code?: unknown; message?: unknown } | undefined;
    (ctx.state as Partial<RequestState>).log?.info({ err: { code: cause?.code, message: cause?.message }, received: size }, 'request body cut off');
    throw new AppError('validation_failed', 'The request body was not received whole', {
      details: [{ path: 'body', message: 'ended before it was complete' }],
      cause: error,
    });
  }
  return Buffer.concat(chunks, size);
}

const tooLarge = (limitBytes: number) => new AppError('payload_too_large', `The body is larger than ${Math.round(limitBytes / 1024)} KiB`);

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
    if (raw.length > 0) ctx.request.body = parseJsonText(raw.toString('utf8'));
    return next();
  };
}
