import type Router from '@koa/router';
import {
  allowCallers,
  APP_IDS,
  AppError,
  createRouter,
  directCallsOnly,
  parseTraceparent,
  requireUserId,
  validate,
  withSpanContext,
  type RequestState,
} from '@chat/platform';
import type { Chat } from '../../domain/chat.js';
import { batchedSend, editBody, historyQuery, param, readBody, sendBatchBody, sendBody } from '../validation.js';

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

  /**
   * Several users' sends to one room in one call: the gateway coalesces the
   * sends that arrive while its previous call for the room is under way
   * (docs/realtime.md). Each send is checked and answered on its own, as
   * `POST /rooms/:roomId/messages` would answer it: `{status, message}` or
   * `{status, error}`, in the order sent; the sequencer commits them together.
   * A send answered with the message an earlier send of its clientMsgId
   * stored is marked `repeated: true`: the gateway acks it but does not
   * deliver it live again (docs/realtime.md).
   * The authors are the users the gateway verified, as with the user header.
   */
  router.post('/rooms/:roomId/message-batches', async (ctx) => {
    const roomId = param.id(ctx.params['roomId'], 'roomId');
    const { sends } = validate(ctx.request.body, sendBatchBody);
    const results = await Promise.all(
      sends.map(async (raw, i) => {
        try {
          const send = validate(raw, batchedSend, `body.sends[${i}]`);
          const trace = parseTraceparent(send.traceparent);
          const { message, repeated } = await withSpanContext(trace, () =>
            sequencer.sendOrRepeat({ roomId, authorId: send.authorId, body: send.body, clientMsgId: send.clientMsgId }),
          );
          return { status: 201, message, ...(repeated ? { repeated: true } : {}) };
        } catch (error) {
          if (!(error instanceof AppError)) throw error;
          return { status: error.status, error: error.toJSON() };
        }
      }),
    );
    ctx.body = { results };
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
