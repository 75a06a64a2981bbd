import type Router from '@koa/router';
import { DiscoveryQuery, HistoryQuery, UUID_PATTERN } from '@chat/contract';
import { APP_IDS, createRouter, notFound, validationFailed, type AppContext, type RequestState } from '@chat/platform';
import { answeredJson, forward, type ForwardOptions, type UpstreamMethod } from '../forward.js';
import { forwardedQuery, validateParams } from '../params.js';
import { userDirectory } from '../user-directory.js';
import type { RouteDeps } from './deps.js';

const isId = (value: unknown): value is string => typeof value === 'string' && UUID_PATTERN.test(value);

interface Member {
  userId: string;
  role: string;
}

/** What `GET /rooms/:roomId` of the chat-service answers that the gateway adds to: a room with its members. */
const isRoomWithMembers = (json: unknown): json is { members: Member[] } & Record<string, unknown> =>
  typeof json === 'object' &&
  json !== null &&
  !Array.isArray(json) &&
  Array.isArray((json as { members?: unknown }).members) &&
  (json as { members: unknown[] }).members.every(
    (m) => typeof m === 'object' && m !== null && typeof (m as Member).userId === 'string' && typeof (m as Member).role === 'string',
  );

type RoomCtx = AppContext & { params: Record<string, string | undefined> };

/**
 * /api/rooms/* and /api/dms: forwarded to the chat-service (`/rooms/*`,
 * `/dms`), every route behind the access token. The chat-service owns the rules and answers; the gateway adds what
 * needs other services:
 * - `GET /api/rooms/:roomId`: members with their display name and avatar
 *   (one profile batch read) and whether they are online (presence);
 * - adding users (invite, dm, `memberIds`): an id that names no user is 404
 *   (400 in `memberIds`), checked before the chat-service is asked.
 */
export function roomsRoutes(deps: RouteDeps): Router<RequestState> {
  const { upstream, config, requireUser, presence, limit } = deps;
  const router = createRouter({ prefix: '/api' });
  const users = userDirectory(deps);

  const toChat = (ctx: AppContext, path: string, options: ForwardOptions) =>
    forward(ctx, upstream, APP_IDS.chat, path, { timeoutMs: config.upstreamTimeoutMs, ...options });
  const GET: ForwardOptions = { method: 'GET' };
  const withBody = (ctx: AppContext, method: UpstreamMethod): ForwardOptions => ({
    method,
    ...(ctx.request.body !== undefined ? { body: ctx.request.body } : {}),
  });
  const room = (ctx: RoomCtx, rest = '') => `rooms/${encodeURIComponent(ctx.params['roomId'] ?? '')}${rest}`;
  const pass = (ctx: RoomCtx, method: UpstreamMethod, path: (ctx: RoomCtx) => string) => toChat(ctx, path(ctx), withBody(ctx, method));

  /** The members of a room with profile and presence; never fails for want of either. */
  async function withDetails(ctx: AppContext, members: Member[]) {
    const ids = members.map((m) => m.userId);
    const [profiles, online] = await Promise.all([
      users.profiles(ctx, ids),
      presence.online(ids).catch((error: unknown) => {
        ctx.state.log.warn({ err: { message: (error as Error).message } }, 'presence unavailable; members shown offline');
        return new Set<string>();
      }),
    ]);
    return members.map(({ userId, role }) => {
      const profile = profiles?.get(userId);
      return {
        userId,
        role,
        displayName: profile?.displayName ?? null,
        username: profile?.username ?? null,
        avatarUrl: profile?.avatarUrl ?? null,
        online: online.has(userId),
      };
    });
  }

  router.get('/rooms', requireUser, (ctx) => toChat(ctx, 'rooms', GET));
  router.get('/rooms/public', requireUser, limit('discovery'), (ctx) => toChat(ctx, `rooms/public${forwardedQuery(ctx.query, DiscoveryQuery)}`, GET));

  router.post('/rooms', requireUser, limit('roomCreate'), async (ctx) => {
    const memberIds = (ctx.request.body as { memberIds?: unknown } | undefined)?.memberIds;
    // Only a list the chat-service would take (else it answers the 400 itself).
    if (Array.isArray(memberIds) && memberIds.length <= 100 && memberIds.every(isId)) {
      const unknown = new Set(await users.unknownUsers(ctx, [...new Set(memberIds)]));
      if (unknown.size > 0) {
        throw validationFailed(memberIds.flatMap((id, i) => (unknown.has(id) ? [{ path: `body.memberIds[${i}]`, message: 'names no user' }] : [])));
      }
    }
    await toChat(ctx, 'rooms', withBody(ctx, 'POST'));
  });

  router.get('/rooms/:roomId', requireUser, async (ctx) => {
    const response = await toChat(ctx, room(ctx), GET);
    // Its errors pass as they are; any 2xx must be the room.
    if (response.status < 200 || response.status >= 300) return;
    const detail = answeredJson(APP_IDS.chat, response, isRoomWithMembers);
    ctx.body = { ...detail, members: await withDetails(ctx, detail.members) };
  });
  router.patch('/rooms/:roomId', requireUser, limit('roomChange'), (ctx) => pass(ctx, 'PATCH', (c) => room(c)));
  router.post('/rooms/:roomId/join', requireUser, limit('membership'), (ctx) => pass(ctx, 'POST', (c) => room(c, '/join')));
  router.post('/rooms/:roomId/leave', requireUser, limit('membership'), (ctx) => pass(ctx, 'POST', (c) => room(c, '/leave')));

  /** An id in `body.userId` that names no user: 404 before the chat-service is asked. */
  const requireKnownUser = async (ctx: AppContext) => {
    const userId = (ctx.request.body as { userId?: unknown } | undefined)?.userId;
    if (isId(userId) && userId.toLowerCase() !== ctx.state.userId?.toLowerCase() && (await users.unknownUsers(ctx, [userId])).length > 0) {
      throw notFound('No user has this id');
    }
  };
  router.post('/rooms/:roomId/members', requireUser, limit('membership'), async (ctx) => {
    await requireKnownUser(ctx);
    await pass(ctx, 'POST', (c) => room(c, '/members'));
    if (ctx.status === 201) {
      // The contract's 201 has no body.
      ctx.body = null;
      ctx.status = 201;
    }
  });
  router.patch('/rooms/:roomId/members/:userId', requireUser, limit('membership'), (ctx) =>
    pass(ctx, 'PATCH', (c) => room(c, `/members/${encodeURIComponent(c.params['userId'] ?? '')}`)),
  );
  router.delete('/rooms/:roomId/members/:userId', requireUser, limit('membership'), (ctx) =>
    pass(ctx, 'DELETE', (c) => room(c, `/members/${encodeURIComponent(c.params['userId'] ?? '')}`)),
  );
  router.post('/dms', requireUser, limit('roomCreate'), async (ctx) => {
    await requireKnownUser(ctx);
    await toChat(ctx, 'dms', withBody(ctx, 'POST'));
  });

  router.get('/rooms/:roomId/messages', requireUser, limit('history'), (ctx) =>
    toChat(ctx, room(ctx, `/messages${forwardedQuery(ctx.query, HistoryQuery)}`), GET),
  );
  router.post('/rooms/:roomId/messages', requireUser, limit('send'), (ctx) => pass(ctx, 'POST', (c) => room(c, '/messages')));
  router.patch('/rooms/:roomId/messages/:seq', requireUser, limit('messageChange'), (ctx) =>
    pass(ctx, 'PATCH', (c) => room(c, `/messages/${encodeURIComponent(c.params['seq'] ?? '')}`)),
  );
  router.delete('/rooms/:roomId/messages/:seq', requireUser, limit('messageChange'), (ctx) =>
    pass(ctx, 'DELETE', (c) => room(c, `/messages/${encodeURIComponent(c.params['seq'] ?? '')}`)),
  );
  router.post('/rooms/:roomId/read', requireUser, limit('readMarker'), (ctx) => pass(ctx, 'POST', (c) => room(c, '/read')));

  return validateParams(router);
}
