import type Router from '@koa/router';
import { createRouter, allowCallers, APP_IDS, requireUserId, validate, validationFailed, type RequestState } from '@chat/platform';
import type { Chat } from '../../domain/chat.js';
import { createRoomBody, discoveryQuery, param, roleBody, updateRoomBody, userIdBody } from '../validation.js';

/**
 * Rooms, memberships and direct messages, for the api-gateway only (its REST
 * routes and its Socket.IO edge): `/rooms`, `/dms`, `/users/me/contacts`.
 */
export function roomRoutes(chat: Chat): Router<RequestState> {
  const router = createRouter();
  const { rooms } = chat;
  router.use(allowCallers(APP_IDS.gateway));

  router.get('/rooms', async (ctx) => {
    ctx.body = { rooms: await rooms.list(requireUserId(ctx)) };
  });

  // The Socket.IO edge: the rooms a connecting socket joins (and the profile relay's).
  router.get('/room-ids', async (ctx) => {
    ctx.body = { roomIds: await rooms.ids(requireUserId(ctx)) };
  });

  router.get('/rooms/public', async (ctx) => {
    requireUserId(ctx);
    const { query, limit } = discoveryQuery(ctx.query);
    ctx.body = { rooms: await rooms.discover(query, limit) };
  });

  router.post('/rooms', async (ctx) => {
    const userId = requireUserId(ctx);
    const input = validate(ctx.request.body, createRoomBody);
    ctx.status = 201;
    ctx.body = await rooms.create(userId, input);
  });

  router.get('/rooms/:roomId', async (ctx) => {
    const userId = requireUserId(ctx);
    ctx.body = await rooms.get(userId, param.id(ctx.params['roomId'], 'roomId'));
  });

  router.patch('/rooms/:roomId', async (ctx) => {
    const userId = requireUserId(ctx);
    const roomId = param.id(ctx.params['roomId'], 'roomId');
    ctx.body = await rooms.update(userId, roomId, updateRoomBody(ctx.request.body));
  });

  router.post('/rooms/:roomId/join', async (ctx) => {
    const userId = requireUserId(ctx);
    ctx.body = await rooms.join(userId, param.id(ctx.params['roomId'], 'roomId'));
  });

  router.post('/rooms/:roomId/leave', async (ctx) => {
    const userId = requireUserId(ctx);
    await rooms.leave(userId, param.id(ctx.params['roomId'], 'roomId'));
    ctx.status = 204;
  });

  router.get('/rooms/:roomId/members', async (ctx) => {
    const userId = requireUserId(ctx);
    ctx.body = await rooms.members(userId, param.id(ctx.params['roomId'], 'roomId'));
  });

  router.post('/rooms/:roomId/members', async (ctx) => {
    const userId = requireUserId(ctx);
    const roomId = param.id(ctx.params['roomId'], 'roomId');
    const { userId: target } = validate(ctx.request.body, userIdBody);
    await rooms.invite(userId, roomId, target);
    // 201 with no body (Koa would otherwise send the status text).
    ctx.body = null;
    ctx.status = 201;
  });

  router.patch('/rooms/:roomId/members/:userId', async (ctx) => {
    const userId = requireUserId(ctx);
    const roomId = param.id(ctx.params['roomId'], 'roomId');
    const target = param.id(ctx.params['userId'], 'userId');
    const { role } = validate(ctx.request.body, roleBody);
    ctx.body = await rooms.setRole(userId, roomId, target, role);
  });

  router.delete('/rooms/:roomId/members/:userId', async (ctx) => {
    const userId = requireUserId(ctx);
    const roomId = param.id(ctx.params['roomId'], 'roomId');
    await rooms.kick(userId, roomId, param.id(ctx.params['userId'], 'userId'));
    ctx.status = 204;
  });

  router.post('/dms', async (ctx) => {
    const userId = requireUserId(ctx);
    const { userId: other } = validate(ctx.request.body, userIdBody);
    if (other === userId.toLowerCase()) throw validationFailed([{ path: 'body.userId', message: 'must be another user' }]);
    ctx.body = await rooms.openDm(userId, other);
  });

  router.get('/users/me/contacts', async (ctx) => {
    ctx.body = { userIds: await rooms.contacts(requireUserId(ctx)) };
  });

  return router;
}
