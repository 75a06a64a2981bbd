import type Router from '@koa/router';
import { createRouter, APP_IDS, AppError, readRawBody, type AppContext, type RequestState } from '@chat/platform';
import { ProfileIdsQuery } from '@chat/contract';
import { forward, type ForwardOptions } from '../forward.js';
import { forwardedQuery, validateParams } from '../params.js';
import type { RouteDeps } from './deps.js';

/** What PUT /api/profiles/me/avatar accepts (the profile-service checks the bytes too). */
const AVATAR_TYPES = ['image/png', 'image/jpeg', 'image/webp'];
const AVATAR_MAX_BYTES = 1024 * 1024;

/**
 * Headers with which the gateway vouches, to the profile-service, for a
 * registered user whose profile is not stored yet (its `user.registered`
 * event is still on its way). Set only by the gateway, from the auth-service.
 */
export const VOUCHED_USERNAME_HEADER = 'x-user-username';
export const VOUCHED_CREATED_AT_HEADER = 'x-user-created-at';

/**
 * /api/profiles/*: forwarded to the profile-service's /profiles/*; every
 * route but the avatar download needs the access token.
 *
 * The caller's own profile never answers 404: when the profile-service has
 * none yet (the registration event has not been handled), the gateway, which
 * knows from the token that the user exists, asks the auth-service for the
 * user and calls again vouching for them, and the profile-service answers the
 * defaults (a write stores a provisional profile that the event completes).
 */
export function profilesRoutes(deps: RouteDeps): Router<RequestState> {
  const { upstream, accounts, config, requireUser, limit } = deps;
  const router = createRouter({ prefix: '/api' });
  const toProfiles = (ctx: AppContext, path: string, options: ForwardOptions) =>
    forward(ctx, upstream, APP_IDS.profile, path, { timeoutMs: config.upstreamTimeoutMs, ...options });

  /** Forwards a request about the caller's own profile, vouching for the caller if the profile is not there yet. */
  async function toOwnProfile(ctx: AppContext, path: string, options: ForwardOptions) {
    await toProfiles(ctx, path, options);
    if (ctx.status !== 404) return;
    const userId = ctx.state.userId ?? '';
    const user = await accounts.account(userId, ctx.state.requestId);
    ctx.state.log.info({ userId }, 'profile not stored yet; answering for the registered user');
    await toProfiles(ctx, path, {
      ...options,
      headers: { ...options.headers, [VOUCHED_USERNAME_HEADER]: user.username, [VOUCHED_CREATED_AT_HEADER]: user.createdAt },
    });
  }

  router.get('/profiles', requireUser, async (ctx) => {
    await toProfiles(ctx, `profiles${forwardedQuery(ctx.query, ProfileIdsQuery)}`, { method: 'GET' });
  });

  router.get('/profiles/me', requireUser, async (ctx) => {
    await toOwnProfile(ctx, 'profiles/me', { method: 'GET' });
  });

  router.patch('/profiles/me', requireUser, limit('profileWrite'), async (ctx) => {
    const body = ctx.request.body;
    await toOwnProfile(ctx, 'profiles/me', { method: 'PATCH', ...(body !== undefined ? { body } : {}) });
  });

  router.put('/profiles/me/avatar', requireUser, limit('avatarUpload'), async (ctx) => {
    // The type is checked before a byte is read; the size while reading.
    const type = (ctx.request.type || '').toLowerCase();
    if (!AVATAR_TYPES.includes(type)) {
      throw new AppError('unsupported_media_type', `Avatars must be sent as ${AVATAR_TYPES.join(', ')}`);
    }
    const rawBody = await readRawBody(ctx, AVATAR_MAX_BYTES);
    await toOwnProfile(ctx, 'profiles/me/avatar', { method: 'PUT', rawBody, contentType: type });
  });

  // Public: an avatar is shown wherever its user appears, so avatarUrl must
  // work as a plain <img src>. Hence no `me` here (no token to resolve it).
  router.get('/profiles/:userId/avatar', async (ctx) => {
    const userId = ctx.params['userId'] ?? '';
    const ifNoneMatch = ctx.get('if-none-match');
    await toProfiles(ctx, `profiles/${encodeURIComponent(userId)}/avatar`, {
      method: 'GET',
      ...(ifNoneMatch ? { headers: { 'if-none-match': ifNoneMatch } } : {}),
    });
    // Served from the API's origin: never let a browser guess another type.
    ctx.set('x-content-type-options', 'nosniff');
  });

  router.get('/profiles/:userId', requireUser, async (ctx) => {
    const userId = ctx.params['userId'] ?? '';
    if (userId === ctx.state.userId) {
      await toOwnProfile(ctx, `profiles/${encodeURIComponent(ctx.state.userId ?? '')}`, { method: 'GET' });
    } else {
      await toProfiles(ctx, `profiles/${encodeURIComponent(userId)}`, { method: 'GET' });
    }
  });

  return validateParams(router);
}
