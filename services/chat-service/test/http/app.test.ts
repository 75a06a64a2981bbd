import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import { createSidecar } from '@chat/platform';
import { createApp } from '../../src/http/app.js';
import { memoryChat, silent, uid } from '../helpers/index.js';

const APP_TOKEN = 'app-token-for-the-edge-tests';

/** The real Koa app over memory adapters, listening on a free port. */
async function withApp(t: { teardown: (fn: () => void) => void }) {
  const chat = memoryChat();
  const app = createApp({ logger: silent, sidecar: createSidecar({ httpPort: 1, apiToken: 'unused' }), chat, appApiToken: APP_TOKEN });
  const server = createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const call = async (path: string, init: { method?: string; headers?: Record<string, string>; body?: unknown } = {}) => {
    const response = await fetch(base + path, {
      method: init.method ?? 'GET',
      headers: { ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...init.headers },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  };
  return { chat, call };
}

const asGateway = (userId: string) => ({ 'dapr-api-token': APP_TOKEN, 'dapr-caller-app-id': 'api-gateway', 'x-user-id': userId });

test('when a call does not come from the gateway through the sidecar, it is refused', async (t) => {
  const { call } = await withApp(t);
  t.like(await call('/rooms', { headers: { 'x-user-id': uid() } }), { status: 401, body: { error: { code: 'unauthenticated' } } });
  t.like(await call('/rooms', { headers: { ...asGateway(uid()), 'dapr-caller-app-id': 'profile-service' } }), {
    status: 403,
    body: { error: { code: 'forbidden' } },
  });
  t.like(await call('/rooms', { headers: { 'dapr-api-token': APP_TOKEN, 'dapr-caller-app-id': 'api-gateway' } }), {
    status: 401,
    body: { error: { code: 'unauthenticated' } },
  });
  t.like(await call('/rooms', { headers: asGateway(uid()) }), { status: 200, body: { rooms: [] } });
});

test('when a room is created and a message sent through the edge, the answers have the contract shape', async (t) => {
  const { call } = await withApp(t);
  const owner = uid();
  const room = await call('/rooms', { method: 'POST', headers: asGateway(owner), body: { name: 'edge', visibility: 'public' } });
  t.like(room, { status: 201, body: { name: 'edge', ownerId: owner, memberCount: 1, lastSeq: 0 } });
  const sent = await call(`/rooms/${room.body.id}/messages`, { method: 'POST', headers: asGateway(owner), body: { body: ' hi ', clientMsgId: 'e-1' } });
  t.like(sent, { status: 201, body: { seq: 1, body: 'hi', clientMsgId: 'e-1', roomId: room.body.id, authorId: owner } });
  const invited = await call(`/rooms/${room.body.id}/members`, { method: 'POST', headers: asGateway(owner), body: { userId: uid() } });
  t.deepEqual(invited, { status: 201, body: undefined });
  t.like(await call(`/rooms/${room.body.id}/messages?limit=abc`, { headers: asGateway(owner) }), {
    status: 400,
    body: { error: { code: 'validation_failed', details: [{ path: 'query.limit', message: 'must be an integer' }] } },
  });
});

test("when the gateway's batch repeats a clientMsgId, that send's answer is the first message marked repeated; new ones are not marked", async (t) => {
  const { call } = await withApp(t);
  const owner = uid();
  const room = await call('/rooms', { method: 'POST', headers: asGateway(owner), body: { name: 'edge', visibility: 'private' } });
  const batch = async (sends: unknown[]) => {
    const reply = await call(`/rooms/${room.body.id}/message-batches`, { method: 'POST', headers: asGateway(owner), body: { sends } });
    t.is(reply.status, 200);
    return (reply.body.results as Array<{ status: number; message: { seq: number }; repeated?: boolean }>).map((r) => [r.status, r.message.seq, r.repeated]);
  };
  t.deepEqual(
    await batch([
      { authorId: owner, body: 'one', clientMsgId: 'c-1' },
      { authorId: owner, body: 'one', clientMsgId: 'c-1' },
      { authorId: owner, body: 'two' },
    ]),
    [
      [201, 1, undefined],
      [201, 1, true],
      [201, 2, undefined],
    ],
  );
  t.deepEqual(
    await batch([
      { authorId: owner, body: 'three', clientMsgId: 'c-3' },
      { authorId: owner, body: 'one, resent', clientMsgId: 'c-1' },
    ]),
    [
      [201, 3, undefined],
      [201, 1, true],
    ],
  );
});
