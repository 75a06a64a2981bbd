/**
 * The REST baseline: a bare Koa app (the framework the services use, with
 * nothing of theirs) that answers `GET /api/rooms/:roomId/messages` with a
 * fixed page of 50 messages, JSON-encoded per request as the gateway does.
 * Run as its own process by bench/history-page.ts; reports its port over IPC.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import Koa from 'koa';

const roomId = randomUUID();
const page = {
  messages: Array.from({ length: 50 }, (_, i) => ({
    id: randomUUID(),
    roomId,
    seq: 1000 + i,
    authorId: randomUUID(),
    body: `message ${i} ${'x'.repeat(40)}`,
    createdAt: new Date().toISOString(),
    clientMsgId: randomUUID(),
  })),
  hasMore: true,
};
const app = new Koa();
app.use((ctx) => {
  if (ctx.method === 'GET' && /^\/api\/rooms\/[^/]+\/messages$/.test(ctx.path)) ctx.body = page;
  else ctx.status = 404;
});
const server = createServer(app.callback());
server.keepAliveTimeout = 95_000;
server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as { port: number }).port }));
