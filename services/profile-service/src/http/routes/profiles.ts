/**
 * The routes the gateway forwards `/api/profiles/*` to (through Dapr service
 * invocation). Only the api-gateway may call them; the caller's user id is the
 * `x-user-id` header the gateway sets after verifying the access token.
 */
import type Router from '@koa/router';
import type { Context } from 'koa';
import { createRouter, AppError, USER_ID_HEADER, allowCallers, readRawBody, requireUserId, validationFailed, type RequestState } from '@chat/platform';
import { IMAGE_TYPES, LIMITS, type RegisteredUser } from '../../domain/profile.js';
import type { ProfileService } from '../../domain/profiles.js';
import { VOUCHED_CREATED_AT_HEADER, VOUCHED_USERNAME_HEADER, isUserId, parseIds, parsePatch, parseVouched } from '../validation.js';

/** The raw-body route: avatar bytes, not JSON. */
export const AVATAR_UPLOAD_PATH = '/profiles/me/avatar';

type Ctx = Context & { state: RequestState };

/** The caller, and the registration facts the gateway vouched for when it sent them. */
function caller(ctx: Ctx): { userId: string; vouched: RegisteredUser | undefined } {
  const userId = requireUserId(ctx);
  const vouched = parseVouched(userId, ctx.get(VOUCHED_USERNAME_HEADER), ctx.get(VOUCHED_CREATED_AT_HEADER));
  if (!vouched && (ctx.get(VOUCHED_USERNAME_HEADER) || ctx.get(VOUCHED_CREATED_AT_HEADER))) {
    ctx.state.log.warn('ignoring unusable vouched-user headers from the gateway');
  }
  return { userId, vouched };
}

/** `:userId` in a path: `me` is the caller; anything else must be a well-formed id. */
function targetUser(ctx: Ctx, param: string | undefined): string {
  if (param === 'me') return requireUserId(ctx);
  if (!isUserId(param)) throw validationFailed([{ path: 'params.userId', message: 'must be a user id' }]);
  return param;
}

export function profileRoutes(service: ProfileService): Router<RequestState> {
  const router = createRouter();
  const gatewayOnly = allowCallers('api-gateway');

  router.get('/profiles', gatewayOnly, async (ctx) => {
    const ids = parseIds(ctx.query['ids']);
    ctx.body = { profiles: await service.getMany(ids) };
  });

  router.get('/profiles/me', gatewayOnly, async (ctx) => {
    const { userId, vouched } = caller(ctx);
    ctx.body = await service.getOwn(userId, vouched);
  });

  router.patch('/profiles/me', gatewayOnly, async (ctx) => {
    const { userId, vouched } = caller(ctx);
    const patch = parsePatch(ctx.request.body);
    ctx.body = await service.update(userId, patch, vouched);
  });

  router.put(AVATAR_UPLOAD_PATH, gatewayOnly, async (ctx) => {
    const { userId, vouched } = caller(ctx);
    // Refuse a wrong type before reading a byte of the body.
    const declared = (ctx.request.type || '').toLowerCase();
    if (!(IMAGE_TYPES as readonly string[]).includes(declared)) {
      throw new AppError('unsupported_media_type', `Avatars must be sent as ${IMAGE_TYPES.join(', ')}`);
    }
    const bytes = await readRawBody(ctx, LIMITS.avatarBytesMax);
    ctx.body = await service.setAvatar(userId, bytes, declared, vouched);
  });

  router.get('/profiles/:userId/avatar', gatewayOnly, async (ctx) => {
    const userId = targetUser(ctx, ctx.params['userId']);
    const result = await service.readAvatar(userId, ctx.get('if-none-match') || undefined);
    ctx.set('etag', result.etag);
    // Public like a profile picture on any site; revalidated every time (ETag).
    ctx.set('cache-control', 'no-cache');
    if (result.status === 'not_modified') {
      ctx.status = 304;
      return;
    }
    ctx.type = result.contentType;
    ctx.body = result.bytes;
  });

  router.get('/profiles/:userId', gatewayOnly, async (ctx) => {
    const userId = targetUser(ctx, ctx.params['userId']);
    // Only the caller's own id can be vouched for.
    const self = ctx.get(USER_ID_HEADER) === userId ? caller(ctx).vouched : undefined;
    ctx.body = await service.getPublic(userId, self);
  });

  return router;
}
