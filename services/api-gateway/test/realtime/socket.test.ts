import { randomUUID } from 'node:crypto';
import test, { type ExecutionContext } from 'ava';
import { connectError, connectSocket } from '../helpers/socket-client.js';
import { fakeToken, startRig, type Rig } from '../helpers/realtime-rig.js';

// The Socket.IO edge in-process, behind fakes of the sidecar, pub/sub and
// chat-service (test/integration/realtime.test.ts runs the same contract
// against real sidecars).

const user = () => `u-${randomUUID().slice(0, 8)}`;

/** A rig with a room of two users, each connected to the first replica; `before` runs once the room exists. */
async function roomOfTwo(t: ExecutionContext, before: (rig: Rig, roomId: string, users: [string, string]) => Promise<void> = async () => {}) {
  const rig = await startRig(t);
  const users: [string, string] = [user(), user()];
  const roomId = rig.chat.createRoom(users);
  await before(rig, roomId, users);
  const sockets = [await connectSocket(t, rig.urls[0]!, fakeToken(users[0])), await connectSocket(t, rig.urls[0]!, fakeToken(users[1]))] as const;
  return { chat: rig.chat, roomId, users, sockets };
}

test('when the token is missing, bad or expired, the connection is refused with connect_error unauthenticated', async (t) => {
  const { urls } = await startRig(t);
  const url = urls[0]!;
  for (const token of [undefined, fakeToken(user(), { valid: false }), fakeToken(user(), { expiresInMs: -1_000 })]) {
    const error = await connectError(url, token);
    t.is(error.message, 'unauthenticated');
  }
});

test('when a member sends, the ack carries the message and every member socket gets message:new', async (t) => {
  const {
    roomId,
    users: [alice],
    sockets: [a, b],
  } = await roomOfTwo(t);
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

test("when one member's bodies break the message rules, only their sends are refused (validation_failed, as REST answers) and the others' in the room go through", async (t) => {
  const {
    chat,
    roomId,
    sockets: [m, v],
  } = await roomOfTwo(t);
  const bad = ['\u0001'.repeat(10_000), 'x'.repeat(4001), '😀'.repeat(4001), 'bell\u0007', '   \n\t '];
  const [attacks, victims] = await Promise.all([
    Promise.all(bad.map((body, i) => m.socket.emitWithAck('message:send', { roomId, body, clientMsgId: `m${i}` }))),
    Promise.all(['one', 'two', 'three'].map((body) => v.socket.emitWithAck('message:send', { roomId, body, clientMsgId: body }))),
  ]);
  const expected = [
    'must be at most 4000 characters',
    'must be at most 4000 characters',
    'must be at most 4000 characters',
    'must not contain control characters',
    'must not be empty',
  ];
  t.deepEqual(
    attacks,
    expected.map((message) => ({
      ok: false,
      error: { code: 'validation_failed', message: 'The request is not valid', details: [{ path: 'payload.body', message }] },
    })),
  );
  t.true(
    victims.every((ack) => ack.ok),
    JSON.stringify(victims),
  );
  // Nothing of the refused bodies reached chat-service; the edit rule is the same.
  t.deepEqual(
    chat.rooms.get(roomId)!.messages.map((message) => message.body),
    ['one', 'two', 'three'],
  );
  t.like(await v.socket.emitWithAck('message:edit', { roomId, seq: 1, body: 'nul\u0000' }), {
    ok: false,
    error: { code: 'validation_failed', details: [{ path: 'payload.body', message: 'must not contain control characters' }] },
  });
});

test('when a member resends an old clientMsgId to a replica that never saw the room, the ack carries the first message and nobody gets old messages again', async (t) => {
  const {
    sockets: [m, b],
    roomId,
  } = await roomOfTwo(t, async ({ chat }, roomId, [mallory]) => {
    // Messages this replica never heard of (as for one started since): it has no position for the room.
    for (let i = 1; i <= 5; i++) await chat.send({ userId: mallory }, roomId, { body: `old ${i}`, clientMsgId: `old-${i}` }, { announce: false });
  });
  t.like(await m.socket.emitWithAck('message:send', { roomId, body: 'again', clientMsgId: 'old-2' }), { ok: true, message: { seq: 2, body: 'old 2' } });
  t.like(await m.socket.emitWithAck('message:send', { roomId, body: 'new', clientMsgId: 'new-1' }), { ok: true, message: { seq: 6 } });
  t.like(await b.next('message:new'), { seq: 6, body: 'new' });
  await m.next('message:new', (message) => message.seq === 6);
  for (const socket of [m, b]) {
    t.deepEqual(
      socket.received('message:new').map((message) => message.seq),
      [6],
    );
  }
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

test("when a user changes their profile, everyone who shares a room with them gets profile:updated on every replica, the user's own sockets too, and nobody else", async (t) => {
  const rig = await startRig(t, { replicas: 2 });
  const [alice, bob, carol, dave] = [user(), user(), user(), user()];
  rig.chat.createRoom([alice, bob]);
  rig.chat.createRoom([carol, dave]);
  const a = await connectSocket(t, rig.urls[0]!, fakeToken(alice));
  const b = await connectSocket(t, rig.urls[1]!, fakeToken(bob));
  const c = await connectSocket(t, rig.urls[0]!, fakeToken(carol));
  const changed = (userId: string) => ({
    userId,
    username: userId.replace('-', '_'),
    displayName: `${userId} renamed`,
    bio: '',
    avatarUrl: null,
    createdAt: new Date(0).toISOString(),
    updatedAt: new Date().toISOString(),
  });
  // profile.updated arrives on `events`, at one replica only (one consumer group for the gateway).
  const relayOn = (replica: number, data: unknown) =>
    rig.realtimes[replica]!.subscriptions.find((s) => s.pubsubname === 'events' && s.topic === 'profile.updated')!.handle(
      { id: randomUUID(), source: 'profile-service', type: 'com.dapr.event.sent', topic: 'profile.updated', pubsubname: 'events', data },
      // A logger is only used for a debug line.
      { debug: () => undefined } as never,
    );
  const bobs = changed(bob);
  await relayOn(1, bobs);
  t.deepEqual(await a.next('profile:updated'), bobs, 'on the replica that did not relay it');
  t.deepEqual(await b.next('profile:updated'), bobs, "the user's own socket");
  // Dave's change reaches Carol; Bob's, emitted before it, would have reached her socket first.
  await relayOn(0, changed(dave));
  t.is((await c.next('profile:updated')).userId, dave);
  t.deepEqual(
    c.received('profile:updated').map((p) => p.userId),
    [dave],
  );
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
