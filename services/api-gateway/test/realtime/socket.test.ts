import { randomUUID } from 'node:crypto';
import test from 'ava';
import { connectError, connectSocket } from '../helpers/socket-client.js';
import { fakeToken, startRig } from '../helpers/realtime-rig.js';

// The Socket.IO edge in-process, behind fakes of the sidecar, pub/sub and
// chat-service (test/integration/realtime.test.ts runs the same contract
// against real sidecars).

const user = () => `u-${randomUUID().slice(0, 8)}`;

test('when the token is missing, bad or expired, the connection is refused with connect_error unauthenticated', async (t) => {
  const { urls } = await startRig(t);
  const url = urls[0]!;
  for (const token of [undefined, fakeToken(user(), { valid: false }), fakeToken(user(), { expiresInMs: -1_000 })]) {
    const error = await connectError(url, token);
    t.is(error.message, 'unauthenticated');
  }
});

test('when a member sends, the ack carries the message and every member socket gets message:new', async (t) => {
  const { urls, chat } = await startRig(t);
  const [alice, bob] = [user(), user()];
  const roomId = chat.createRoom([alice, bob]);
  const a = await connectSocket(t, urls[0]!, fakeToken(alice));
  const b = await connectSocket(t, urls[0]!, fakeToken(bob));
  const ack = await a.socket.emitWithAck('message:send', { roomId, body: 'hello', clientMsgId: 'c1' });
  t.like(ack, { ok: true, message: { roomId, seq: 1, authorId: alice, body: 'hello', clientMsgId: 'c1' } });
  t.like(await b.next('message:new'), { roomId, seq: 1, body: 'hello' });
  t.like(await a.next('message:new'), { roomId, seq: 1, body: 'hello' });
});

test('when a payload is invalid or chat-service refuses, the ack answers ok: false with the contract code', async (t) => {
  const { urls, chat } = await startRig(t);
  const alice = user();
  const roomId = chat.createRoom([user()]);
  const a = await connectSocket(t, urls[0]!, fakeToken(alice));
  t.deepEqual(await a.socket.emitWithAck('message:send', { roomId, body: 'x' } as never), {
    ok: false,
    error: { code: 'validation_failed', message: 'The request is not valid', details: [{ path: 'payload.clientMsgId', message: 'is required' }] },
  });
  t.deepEqual(await a.socket.emitWithAck('message:send', { roomId, body: 'x', clientMsgId: 'c' }), {
    ok: false,
    error: { code: 'forbidden', message: 'Not a member' },
  });
  t.like(await a.socket.emitWithAck('sync', 'nonsense' as never), { ok: false, error: { code: 'validation_failed' } });
});

test('when a user sends faster than 10 per second past a burst of 20, the excess is refused with rate_limited', async (t) => {
  const { urls, chat } = await startRig(t);
  const alice = user();
  const roomId = chat.createRoom([alice]);
  const a = await connectSocket(t, urls[0]!, fakeToken(alice));
  const acks = await Promise.all(Array.from({ length: 25 }, (_, i) => a.socket.emitWithAck('message:send', { roomId, body: `m${i}`, clientMsgId: `c${i}` })));
  const refused = acks.filter((ack) => !ack.ok);
  t.true(refused.length >= 4 && refused.length <= 5, `${refused.length} refused`);
  t.like(refused[0], { ok: false, error: { code: 'rate_limited' } });
});

test('when messages are edited, deleted, read and synced, acks answer and members get the events', async (t) => {
  const { urls, chat } = await startRig(t);
  const [alice, bob] = [user(), user()];
  const roomId = chat.createRoom([alice, bob]);
  const a = await connectSocket(t, urls[0]!, fakeToken(alice));
  const b = await connectSocket(t, urls[0]!, fakeToken(bob));
  for (let i = 1; i <= 3; i++) await a.socket.emitWithAck('message:send', { roomId, body: `m${i}`, clientMsgId: `c${i}` });
  t.like(await a.socket.emitWithAck('message:edit', { roomId, seq: 2, body: 'edited' }), { ok: true, message: { seq: 2, body: 'edited' } });
  t.deepEqual(await a.socket.emitWithAck('message:delete', { roomId, seq: 3 }), { ok: true });
  t.deepEqual(await b.socket.emitWithAck('read', { roomId, seq: 3 }), { ok: true });
  t.like(await b.next('message:updated'), { roomId, seq: 2, body: 'edited' });
  t.deepEqual(await b.next('message:deleted'), { roomId, seq: 3 });
  t.deepEqual(await a.next('read'), { roomId, userId: bob, seq: 3 });
  const sync = await b.socket.emitWithAck('sync', { roomId, afterSeq: 1, limit: 1 });
  t.like(sync, { ok: true, hasMore: true, messages: [{ seq: 2, body: 'edited' }] });
  t.deepEqual(
    b.received('message:new').map((m) => m.seq),
    [1, 2, 3],
  );
  // An edit never overtakes the message it edits.
  const order = b.received('message:updated').length === 1 && b.received('message:new').length === 3;
  t.true(order);
});

test('when a user types, the other members see it and the typist does not; it ends by itself', async (t) => {
  const { urls, chat } = await startRig(t, { settings: { typingTtlMs: 300 } });
  const [alice, bob] = [user(), user()];
  const roomId = chat.createRoom([alice, bob]);
  const a = await connectSocket(t, urls[0]!, fakeToken(alice));
  const a2 = await connectSocket(t, urls[0]!, fakeToken(alice));
  const b = await connectSocket(t, urls[0]!, fakeToken(bob));
  t.deepEqual(await a.socket.emitWithAck('typing', { roomId, typing: true }), { ok: true });
  t.deepEqual(await b.next('typing'), { roomId, userId: alice, typing: true });
  t.deepEqual(await b.next('typing', (s) => !s.typing), { roomId, userId: alice, typing: false });
  // Bob types too; Alice sees it, and sees nothing of her own typing on either socket.
  b.socket.emit('typing', { roomId, typing: true });
  t.deepEqual(await a.next('typing'), { roomId, userId: bob, typing: true });
  t.deepEqual(
    a.received('typing').filter((s) => s.userId === alice),
    [],
  );
  t.deepEqual(
    a2.received('typing').filter((s) => s.userId === alice),
    [],
  );
  t.like(await a.socket.emitWithAck('typing', { roomId: 'elsewhere', typing: true }), { ok: false, error: { code: 'forbidden' } });
});

test('when a member is added, their live socket gets the room without reconnecting; when removed, it stops at once', async (t) => {
  const { urls, chat } = await startRig(t, { replicas: 2 });
  const [alice, bob] = [user(), user()];
  const roomId = chat.createRoom([alice]);
  const a = await connectSocket(t, urls[0]!, fakeToken(alice));
  const b = await connectSocket(t, urls[1]!, fakeToken(bob));
  chat.addMember(roomId, bob);
  t.deepEqual(await b.next('room:member_joined'), { roomId, userId: bob });
  await a.socket.emitWithAck('message:send', { roomId, body: 'welcome', clientMsgId: 'c1' });
  t.like(await b.next('message:new'), { roomId, seq: 1, body: 'welcome' });
  chat.removeMember(roomId, bob);
  t.deepEqual(await b.next('room:member_left'), { roomId, userId: bob });
  await a.socket.emitWithAck('message:send', { roomId, body: 'bye', clientMsgId: 'c2' });
  await a.next('message:new', (m) => m.seq === 2);
  t.deepEqual(
    b.received('message:new').map((m) => m.seq),
    [1],
  );
});

test('when users share a room, presence goes online with the first socket and offline with the last, across replicas', async (t) => {
  const { urls, chat } = await startRig(t, { replicas: 2 });
  const [alice, bob] = [user(), user()];
  chat.createRoom([alice, bob]);
  const b = await connectSocket(t, urls[0]!, fakeToken(bob));
  const a1 = await connectSocket(t, urls[0]!, fakeToken(alice));
  t.deepEqual(await b.next('presence'), { userId: alice, status: 'online' });
  const a2 = await connectSocket(t, urls[1]!, fakeToken(alice));
  // Closing one of two sockets (on different replicas) leaves Alice online; closing the last one does not.
  a1.close();
  a2.close();
  t.deepEqual(await b.next('presence', (p) => p.status === 'offline'), { userId: alice, status: 'offline' });
  t.deepEqual(b.received('presence'), [
    { userId: alice, status: 'online' },
    { userId: alice, status: 'offline' },
  ]);
});

test('when the token expires, the socket gets auth:expired and is closed; auth:refresh pushes the expiry back', async (t) => {
  const { urls } = await startRig(t);
  const alice = user();
  const short = await connectSocket(t, urls[0]!, fakeToken(alice, { expiresInMs: 2_000 }));
  const refreshed = await connectSocket(t, urls[0]!, fakeToken(alice, { expiresInMs: 2_000 }));
  const ack = await refreshed.socket.emitWithAck('auth:refresh', { token: fakeToken(alice) });
  t.like(ack, { ok: true });
  t.like(await refreshed.socket.emitWithAck('auth:refresh', { token: fakeToken(user()) }), { ok: false, error: { code: 'unauthenticated' } });
  t.deepEqual(await short.next('auth:expired', undefined, 8_000), {
    code: 'unauthenticated',
    message: 'The access token expired; reconnect with a fresh one',
  });
  t.is(await short.closed(), 'io server disconnect');
  t.true(refreshed.socket.connected);
});
