import type Router from '@koa/router';
import { allowCallers, APP_IDS, createRouter, directCallsOnly, requireUserId, validate, type RequestState } from '@chat/platform';
import type { Chat } from '../../domain/chat.js';
import { editBody, historyQuery, param, readBody, sendBody } from '../validation.js';

/** A room's messages and read markers, for the api-gateway only. */
export function messageRoutes(chat: Chat): Router<RequestState> {
  const router = createRouter();
  const { messages, sequencer } = chat;
  router.use(allowCallers(APP_IDS.gateway));

  router.get('/rooms/:roomId/messages', async (ctx) => {
    const userId = requireUserId(ctx);
    const roomId = param.id(ctx.params['roomId'], 'roomId');
    ctx.body = await messages.history(userId, roomId, historyQuery(ctx.query));
  });

  router.post('/rooms/:roomId/messages', async (ctx) => {
    const authorId = requireUserId(ctx);
    const roomId = param.id(ctx.params['roomId'], 'roomId');
    const { body, clientMsgId } = validate(ctx.request.body, sendBody);
    ctx.body = await sequencer.send({ roomId, authorId, body, clientMsgId });
    ctx.status = 201;
  });

  router.patch('/rooms/:roomId/messages/:seq', async (ctx) => {
    const userId = requireUserId(ctx);
    const roomId = param.id(ctx.params['roomId'], 'roomId');
    const seq = param.seq(ctx.params['seq']);
    const { body } = validate(ctx.request.body, editBody);
    ctx.body = await messages.edit(userId, roomId, seq, body);
  });

  router.delete('/rooms/:roomId/messages/:seq', async (ctx) => {
    const userId = requireUserId(ctx);
    const roomId = param.id(ctx.params['roomId'], 'roomId');
    await messages.remove(userId, roomId, param.seq(ctx.params['seq']));
    ctx.status = 204;
  });

  router.post('/rooms/:roomId/read', async (ctx) => {
    const userId = requireUserId(ctx);
    const roomId = param.id(ctx.params['roomId'], 'roomId');
    const { seq } = validate(ctx.request.body, readBody);
    await messages.markRead(userId, roomId, seq);
    ctx.status = 204;
  });

  return router;
}

/**
 * The sequencer's counters (commits, ETag conflicts, ...), for benchmarks
 * and tests that call this app directly with its app token. No app may reach
 * it through service invocation (the caller's sidecar always sets
 * dapr-caller-app-id), so no user can either, however a path is spelled.
 */
export function operatorRoutes(chat: Chat): Router<RequestState> {
  const router = createRouter();
  router.use(directCallsOnly);
  router.get('/stats', (ctx) => {
    ctx.body = { sequencer: chat.sequencer.stats, outbox: { ...chat.outbox.stats, backlog: chat.outbox.backlog } };
  });
  return router;
}
