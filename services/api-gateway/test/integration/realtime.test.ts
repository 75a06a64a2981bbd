import { randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import test from 'ava';
import { startPlatform, waitFor, type Platform } from '@chat/devkit/testing';
import { asGateway, createRoom, register, type TestUser } from '../helpers/platform-users.js';
import { connectError, connectSocket, type TestSocket } from '../helpers/socket-client.js';

// The Socket.IO contract of docs/api.md against the real platform: two gateway
// replicas, each with its own sidecar, the real auth-service and
// chat-service, fan-out through the `fanout` component of the profile.

let platform: Platform;
const gateways: string[] = [];

test.before(async () => {
  platform = await startPlatform({
    gatewayReplicas: 2,
    callerSidecars: ['api-gateway'],
    // Every test registers its own users, all from this one address.
    serviceEnv: {
      'auth-service': { REGISTER_MAX_PER_ADDRESS: '0' },
      // Small socket limits, so that a test reaches them with a few calls (every test has its own users).
      'api-gateway': { REALTIME_SYNC_LIMIT: '0.01/5', REALTIME_MAX_SOCKETS_PER_USER: '3' },
    },
  });
  gateways.push(platform.instance('api-gateway').url, platform.instance('api-gateway#2').url);
});
test.after.always(async () => {
  await platform?.stop();
});

const EVENT_MS = 15_000;
const send = (socket: TestSocket, roomId: string, body: string) => socket.socket.emitWithAck('message:send', { roomId, body, clientMsgId: randomUUID() });

async function connect(t: Parameters<typeof connectSocket>[0], replica: 0 | 1, user: TestUser) {
  return connectSocket(t, gateways[replica]!, user.token);
}

test.serial('when the token is missing, malformed or forged, the connection is refused with connect_error unauthenticated', async (t) => {
  const alice = await register(platform);
  const [header, payload, signature] = alice.token.split('.');
  const forgedPayload = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), sub: randomUUID() })).toString('base64url');
  for (const token of [undefined, 'not-a-token', `${header}.${forgedPayload}.${signature}`]) {
    const error = await connectError(gateways[0]!, token);
    t.is(error.message, 'unauthenticated', `token ${String(token).slice(0, 12)}`);
  }
  const ok = await connect(t, 0, alice);
  t.true(ok.socket.connected);
});

test.serial('when a member sends on one replica, the ack carries the message and members on both replicas get message:new', async (t) => {
  const [alice, bob] = [await register(platform), await register(platform)];
  const roomId = await createRoom(platform, alice, [bob]);
  const a = await connect(t, 0, alice);
  const b = await connect(t, 1, bob);
  const ack = await send(a, roomId, 'hello across replicas');
  t.like(ack, { ok: true, message: { roomId, seq: 1, authorId: alice.id, body: 'hello across replicas' } });
  t.like(await b.next('message:new', undefined, EVENT_MS), { roomId, seq: 1, authorId: alice.id, body: 'hello across replicas' });
  t.like(await a.next('message:new', undefined, EVENT_MS), { roomId, seq: 1 });
  t.like(await send(a, randomUUID(), 'nowhere'), { ok: false, error: { code: 'not_found' } });
  t.like(await a.socket.emitWithAck('message:send', { roomId, body: '   ', clientMsgId: 'c' }), {
    ok: false,
    error: { code: 'validation_failed' },
  });
});

test.serial('when members send concurrently on both replicas, every client gets the room in strict seq order, nothing missing', async (t) => {
  const users = [await register(platform), await register(platform), await register(platform)];
  const roomId = await createRoom(platform, users[0]!, users.slice(1));
  const sockets = await Promise.all(users.map((u, i) => connect(t, (i % 2) as 0 | 1, u)));
  const perSender = 15;
  const acks = await Promise.all(sockets.flatMap((s, i) => Array.from({ length: perSender }, (_, n) => send(s, roomId, `from ${i}: ${n}`))));
  t.true(
    acks.every((ack) => ack.ok),
    JSON.stringify(acks.find((ack) => !ack.ok)),
  );
  const total = users.length * perSender;
  for (const socket of sockets) {
    await socket.next('message:new', (m) => m.seq === total, EVENT_MS);
    const seqs = socket
      .received('message:new')
      .filter((m) => m.roomId === roomId)
      .map((m) => m.seq);
    t.deepEqual(
      seqs,
      Array.from({ length: total }, (_, i) => i + 1),
    );
  }
});

test.serial('when a user is added to a room, their live socket receives it without reconnecting; removed, it stops at once', async (t) => {
  const [alice, bob, carol] = [await register(platform), await register(platform), await register(platform)];
  const roomId = await createRoom(platform, alice, [carol]);
  const a = await connect(t, 0, alice);
  const b = await connect(t, 1, bob);
  const c = await connect(t, 1, carol);
  await asGateway(platform, alice.id, 'POST', `rooms/${roomId}/members`, { userId: bob.id });
  t.deepEqual(await b.next('room:member_joined', undefined, EVENT_MS), { roomId, userId: bob.id });
  t.deepEqual(await a.next('room:member_joined', (e) => e.userId === bob.id, EVENT_MS), { roomId, userId: bob.id });
  await send(a, roomId, 'welcome bob');
  t.like(await b.next('message:new', undefined, EVENT_MS), { roomId, seq: 1, body: 'welcome bob' });

  await asGateway(platform, alice.id, 'DELETE', `rooms/${roomId}/members/${bob.id}`);
  t.deepEqual(await b.next('room:member_left', undefined, EVENT_MS), { roomId, userId: bob.id });
  await send(a, roomId, 'bob is gone');
  // Carol is on Bob's replica: once she has it, Bob would have had it too.
  await c.next('message:new', (m) => m.seq === 2, EVENT_MS);
  t.deepEqual(
    b.received('message:new').map((m) => m.seq),
    [1],
  );
  // A private room the user left is one they may not even see.
  t.like(await b.socket.emitWithAck('sync', { roomId, afterSeq: 0 }), { ok: false, error: { code: 'not_found' } });
});

test.serial(
  "when a member sends after others' messages, members on both replicas hear read for the sender after the message; a sender up to date is not announced",
  async (t) => {
    const [alice, bob] = [await register(platform), await register(platform)];
    const roomId = await createRoom(platform, alice, [bob]);
    const a = await connect(t, 0, alice);
    const b = await connect(t, 1, bob);
    await send(a, roomId, 'one');
    await send(a, roomId, 'two');
    await send(b, roomId, 'three');
    for (const member of [a, b]) {
      t.deepEqual(await member.next('read', (r) => r.userId === bob.id, EVENT_MS), { roomId, userId: bob.id, seq: 3 });
      t.true(
        member.received('message:new').some((m) => m.seq === 3),
        'the message came before the read',
      );
    }
    // Alice sent in turn and was up to date: her messages say she read them.
    t.deepEqual(
      a.received('read').filter((r) => r.userId === alice.id),
      [],
    );
  },
);

test.serial('when messages are edited, deleted and read and the room renamed, acks answer and members get each event', async (t) => {
  const [alice, bob] = [await register(platform), await register(platform)];
  const roomId = await createRoom(platform, alice, [bob]);
  const a = await connect(t, 0, alice);
  const b = await connect(t, 1, bob);
  await send(a, roomId, 'first');
  await send(a, roomId, 'second');
  t.like(await a.socket.emitWithAck('message:edit', { roomId, seq: 1, body: 'first, edited' }), {
    ok: true,
    message: { roomId, seq: 1, body: 'first, edited' },
  });
  t.like(await b.next('message:updated', undefined, EVENT_MS), { roomId, seq: 1, body: 'first, edited' });
  t.like(await b.socket.emitWithAck('message:edit', { roomId, seq: 1, body: 'not mine' }), { ok: false, error: { code: 'forbidden' } });

  t.deepEqual(await a.socket.emitWithAck('message:delete', { roomId, seq: 2 }), { ok: true });
  t.deepEqual(await b.next('message:deleted', undefined, EVENT_MS), { roomId, seq: 2 });

  t.deepEqual(await b.socket.emitWithAck('read', { roomId, seq: 2 }), { ok: true });
  t.deepEqual(await a.next('read', (r) => r.userId === bob.id, EVENT_MS), { roomId, userId: bob.id, seq: 2 });

  await asGateway(platform, alice.id, 'PATCH', `rooms/${roomId}`, { name: 'renamed' });
  t.like(await b.next('room:updated', undefined, EVENT_MS), { id: roomId, name: 'renamed' });

  const sync = await b.socket.emitWithAck('sync', { roomId, afterSeq: 0 });
  t.like(sync, {
    ok: true,
    hasMore: false,
    messages: [
      { seq: 1, body: 'first, edited' },
      { seq: 2, deleted: true, body: '' },
    ],
  });
});

test.serial('when a member changes their display name or avatar, members on both replicas get profile:updated with the new one', async (t) => {
  const [alice, bob] = [await register(platform), await register(platform)];
  await createRoom(platform, alice, [bob]);
  const a = await connect(t, 0, alice);
  const b = await connect(t, 1, bob);
  const patched = await fetch(`${gateways[1]}/api/profiles/me`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${bob.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ displayName: 'Bob, renamed', avatarUrl: 'https://example.test/bob.png' }),
  });
  t.is(patched.status, 200);
  const profile = (await patched.json()) as { updatedAt: string };
  for (const socket of [a, b]) {
    t.like(await socket.next('profile:updated', (p) => p.userId === bob.id, EVENT_MS), {
      userId: bob.id,
      username: bob.username,
      displayName: 'Bob, renamed',
      avatarUrl: 'https://example.test/bob.png',
      updatedAt: profile.updatedAt,
    });
  }
  t.false('settings' in (a.received('profile:updated')[0] ?? {}), "the user's own settings stay theirs");
});

test.serial('when a user types, members on the other replica see it, the typist never does, and it expires after 5 s', async (t) => {
  const [alice, bob] = [await register(platform), await register(platform)];
  const roomId = await createRoom(platform, alice, [bob]);
  const a = await connect(t, 0, alice);
  const a2 = await connect(t, 1, alice);
  const b = await connect(t, 1, bob);
  t.deepEqual(await a.socket.emitWithAck('typing', { roomId, typing: true }), { ok: true });
  const started = Date.now();
  t.deepEqual(await b.next('typing', undefined, EVENT_MS), { roomId, userId: alice.id, typing: true });
  t.deepEqual(await b.next('typing', (s) => !s.typing, EVENT_MS), { roomId, userId: alice.id, typing: false });
  const lasted = Date.now() - started;
  t.true(lasted >= 4_500 && lasted < 8_000, `typing lasted ${lasted} ms`);

  b.socket.emit('typing', { roomId, typing: true });
  t.deepEqual(await a.next('typing', undefined, EVENT_MS), { roomId, userId: bob.id, typing: true });
  t.deepEqual(await a2.next('typing', undefined, EVENT_MS), { roomId, userId: bob.id, typing: true });
  t.deepEqual(
    [...a.received('typing'), ...a2.received('typing')].filter((s) => s.userId === alice.id),
    [],
  );
  t.deepEqual(
    b.received('typing').filter((s) => s.userId === bob.id),
    [],
  );
});

test.serial('when a user connects on two replicas, presence goes online once, and offline only when the last socket closes', async (t) => {
  const [alice, bob, stranger] = [await register(platform), await register(platform), await register(platform)];
  await createRoom(platform, alice, [bob]);
  const b = await connect(t, 0, bob);
  const s = await connect(t, 1, stranger);
  const a1 = await connect(t, 0, alice);
  t.deepEqual(await b.next('presence', (p) => p.userId === alice.id, EVENT_MS), { userId: alice.id, status: 'online' });
  const a2 = await connect(t, 1, alice);
  a1.close();
  a2.close();
  t.deepEqual(await b.next('presence', (p) => p.userId === alice.id && p.status === 'offline', EVENT_MS), {
    userId: alice.id,
    status: 'offline',
  });
  t.deepEqual(
    b.received('presence').filter((p) => p.userId === alice.id),
    [
      { userId: alice.id, status: 'online' },
      { userId: alice.id, status: 'offline' },
    ],
  );
  t.deepEqual(
    s.received('presence').filter((p) => p.userId === alice.id),
    [],
    'no shared room, no presence',
  );
});

test.serial('when a client reconnects after a disconnect, sync returns everything it missed, in order', async (t) => {
  const [alice, bob] = [await register(platform), await register(platform)];
  const roomId = await createRoom(platform, alice, [bob]);
  const a = await connect(t, 0, alice);
  const b = await connect(t, 1, bob);
  for (let i = 1; i <= 3; i++) await send(a, roomId, `before ${i}`);
  await b.next('message:new', (m) => m.seq === 3, EVENT_MS);
  const lastSeen = Math.max(...b.received('message:new').map((m) => m.seq));
  b.close();
  for (let i = 4; i <= 8; i++) await send(a, roomId, `while away ${i}`);
  const again = await connect(t, 0, bob);
  const sync = await again.socket.emitWithAck('sync', { roomId, afterSeq: lastSeen, limit: 100 });
  t.like(sync, { ok: true, hasMore: false });
  t.deepEqual(
    sync.ok ? sync.messages.map((m) => [m.seq, m.body]) : [],
    [4, 5, 6, 7, 8].map((n) => [n, `while away ${n}`]),
  );
  await send(a, roomId, 'live again');
  t.like(await again.next('message:new', undefined, EVENT_MS), { seq: 9, body: 'live again' });
  const page = await again.socket.emitWithAck('sync', { roomId, afterSeq: 0, limit: 2 });
  t.like(page, { ok: true, hasMore: true, messages: [{ seq: 1 }, { seq: 2 }] });
});

test.serial('when a user sends more than the burst at once, the excess is refused with rate_limited', async (t) => {
  const alice = await register(platform);
  const roomId = await createRoom(platform, alice);
  const a = await connect(t, 0, alice);
  const acks = await Promise.all(Array.from({ length: 30 }, (_, i) => send(a, roomId, `burst ${i}`)));
  const refused = acks.filter((ack) => !ack.ok);
  t.true(refused.length > 0 && acks.filter((ack) => ack.ok).length >= 20, `${refused.length} refused`);
  t.like(refused[0], { ok: false, error: { code: 'rate_limited' } });
});

/** chat-service's own state, through its sidecar's state API (any profile). */
async function chatState(method: 'GET' | 'POST', key: string, value?: unknown): Promise<any> {
  const base = `http://127.0.0.1:${platform.instance('chat-service').daprHttpPort}/v1.0/state/statestore`;
  const headers = { 'dapr-api-token': platform.runEnv.tokens('chat-service').daprApiToken, 'content-type': 'application/json' };
  const response =
    method === 'GET'
      ? await fetch(`${base}/${encodeURIComponent(key)}`, { headers })
      : await fetch(base, { method, headers, body: JSON.stringify([{ key, value }]) });
  if (!response.ok) throw new Error(`state ${method} ${key} answered ${response.status}: ${await response.text()}`);
  return response.status === 204 ? undefined : response.json();
}

/** A command whose ack comes back on the socket's own connection after everything the server sent it before. */
const flush = (socket: TestSocket) => socket.socket.emitWithAck('read', { roomId: randomUUID(), seq: 1 });

test.serial(
  'when a member is removed while the store refuses their room index, delivery stops at once and a reconnect does not bring the room back',
  async (t) => {
    const [alice, mallory, carol] = [await register(platform), await register(platform), await register(platform)];
    const roomId = await createRoom(platform, alice, [mallory, carol]);
    const a = await connect(t, 0, alice);
    const m = await connect(t, 1, mallory);
    const c = await connect(t, 1, carol);
    const indexKey = `user:${mallory.id}:rooms`;
    const staleIndex = await chatState('GET', indexKey);
    t.truthy(staleIndex?.rooms?.[roomId]);
    const redisKey = `chat-service||${indexKey}`;
    const redis = (...args: string[]) => execFileSync('redis-cli', ['-n', platform.runEnv.env['PLATFORM_REDIS_DB']!, ...args], { encoding: 'utf8' });
    if (platform.profile === 'redis') {
      // The index becomes a Redis list: every read and write of it through the state store fails (WRONGTYPE).
      redis('DEL', redisKey);
      redis('RPUSH', redisKey, 'not a state item');
    }
    await asGateway(platform, alice.id, 'DELETE', `rooms/${roomId}/members/${mallory.id}`);
    t.deepEqual(await m.next('room:member_left', undefined, EVENT_MS), { roomId, userId: mallory.id });
    if (platform.profile === 'redis') {
      const chatLog = platform.instance('chat-service').app.logFile;
      const warned = () =>
        readFileSync(chatLog, 'utf8')
          .split('\n')
          .some((line) => line.includes(roomId) && line.includes('derived copies not all updated'));
      await waitFor(warned, { what: 'chat-service to log the index it could not write', timeoutMs: EVENT_MS });
    }
    await send(a, roomId, 'after the removal');
    await c.next('message:new', (msg) => msg.body === 'after the removal', EVENT_MS);
    await flush(m);
    t.deepEqual(m.received('message:new'), []);

    // Leave the index as a failed write leaves it: still naming the room.
    if (platform.profile === 'redis') redis('DEL', redisKey);
    await chatState('POST', indexKey, staleIndex);
    m.close();
    const again = await connect(t, 1, mallory);
    await send(a, roomId, 'after the reconnect');
    await c.next('message:new', (msg) => msg.body === 'after the reconnect', EVENT_MS);
    await flush(again);
    t.deepEqual(again.received('message:new'), []);
    t.like(await again.socket.emitWithAck('sync', { roomId, afterSeq: 0 }), { ok: false, error: { code: 'not_found' } });
    const listed = await asGateway<{ rooms: Array<{ id: string }> }>(platform, mallory.id, 'GET', 'rooms');
    t.false(listed.rooms.some((room) => room.id === roomId));
  },
);

test.serial('when a user floods sync and opens sockets past the cap, the excess is refused rate_limited and never reaches chat-service', async (t) => {
  const alice = await register(platform);
  const roomId = await createRoom(platform, alice);
  const a = await connect(t, 0, alice);
  const acks = await Promise.all(Array.from({ length: 12 }, () => a.socket.emitWithAck('sync', { roomId, afterSeq: 0 })));
  t.is(acks.filter((ack) => ack.ok).length, 5);
  for (const ack of acks.filter((x) => !x.ok)) {
    t.like(ack, { ok: false, error: { code: 'rate_limited' } });
    t.true(((ack as { error: { retryAfterMs?: number } }).error.retryAfterMs ?? 0) > 0);
  }
  // chat-service logs each request it answers, in order: once a later request is in its log, every sync is too.
  await asGateway(platform, alice.id, 'GET', `rooms/${roomId}`);
  const log = platform.instance('chat-service').app.logFile;
  await waitFor(() => readFileSync(log, 'utf8').includes(`"path":"/rooms/${roomId}",`), {
    what: 'chat-service to log the later request',
    timeoutMs: EVENT_MS,
  });
  const syncs = readFileSync(log, 'utf8')
    .split('\n')
    .filter((line) => line.includes(`"path":"/rooms/${roomId}/messages"`));
  t.is(syncs.length, 5);

  const more = await Promise.allSettled([1, 2, 3, 4].map(() => connect(t, 0, alice)));
  t.is(more.filter((o) => o.status === 'fulfilled').length, 2);
  t.like(
    more.find((o) => o.status === 'rejected'),
    { reason: { message: 'rate_limited' } },
  );
});

test.serial('when a gateway replica restarts, it sends its clients no event older than its start', async (t) => {
  const [alice, bob] = [await register(platform), await register(platform)];
  const roomId = await createRoom(platform, alice, [bob]);
  const a = await connect(t, 0, alice);
  await send(a, roomId, 'before the restart');
  const logFile = platform.instance('api-gateway#2').app.logFile;
  await platform.stopInstance('api-gateway#2');
  for (let i = 2; i <= 6; i++) await send(a, roomId, `while replica 2 is down ${i}`);
  await a.next('message:new', (m) => m.seq === 6, EVENT_MS);
  // The restarted app appends to the same log file: read only what it writes.
  const logOffset = statSync(logFile).size;
  const restarted = await platform.startInstance('api-gateway', 'api-gateway#2');
  gateways[1] = restarted.url;
  if (platform.profile === 'redis') {
    // Its consumer group (one per replica name) hands it what was published while it was down: dropped as stale.
    // (Brokers whose per-replica queues go away with the sidecar hand it nothing old in the first place.)
    const droppedSinceRestart = () =>
      readFileSync(logFile)
        .subarray(logOffset)
        .toString('utf8')
        .split('\n')
        .filter((line) => line.includes('stale fanout events dropped'))
        .reduce((sum, line) => sum + (JSON.parse(line) as { dropped: number }).dropped, 0);
    await waitFor(() => droppedSinceRestart() >= 5, { what: 'the restarted replica to drop the 5 events of its downtime', timeoutMs: EVENT_MS });
    t.pass();
  }
  const b = await connect(t, 1, bob);
  await send(a, roomId, 'after the restart');
  t.like(await b.next('message:new', undefined, EVENT_MS), { seq: 7, body: 'after the restart' });
  t.deepEqual(
    b.received('message:new').map((m) => m.seq),
    [7],
  );
});

test.serial(
  "when one member sends bodies that break the rules or escape to several bytes each, only theirs are refused, and the others' concurrent sends to the room succeed",
  async (t) => {
    const [mallory, victim, reader] = [await register(platform), await register(platform), await register(platform)];
    const roomId = await createRoom(platform, mallory, [victim, reader]);
    const m = await connect(t, 0, mallory);
    const v = await connect(t, 0, victim);
    const r = await connect(t, 1, reader);
    const invalid = ['\u0001'.repeat(10_000), '\u0001'.repeat(10_000), '\u0001'.repeat(10_000), 'x'.repeat(4001), `ok${'\u0007'.repeat(3000)}`];
    // Valid, and each 2 to 4 bytes a character in the request's JSON: 64 KiB holds only a few of them.
    const heavy = ['"'.repeat(4000), '\\'.repeat(4000), '😀'.repeat(4000), '"\\'.repeat(2000), `${'😀"'.repeat(1999)}😀`];
    const victims = Array.from({ length: 8 }, (_, i) => `victim ${i}`);
    const [refused, accepted, theirs] = await Promise.all([
      Promise.all(invalid.map((body) => m.socket.emitWithAck('message:send', { roomId, body, clientMsgId: randomUUID() }))),
      Promise.all(heavy.map((body) => m.socket.emitWithAck('message:send', { roomId, body, clientMsgId: randomUUID() }))),
      Promise.all(victims.map((body) => send(v, roomId, body))),
    ]);
    for (const ack of refused) t.like(ack, { ok: false, error: { code: 'validation_failed', details: [{ path: 'payload.body' }] } });
    t.true(
      [...accepted, ...theirs].every((ack) => ack.ok),
      JSON.stringify([...accepted, ...theirs].find((ack) => !ack.ok)),
    );
    // Every accepted message reaches a member on the other replica, the bodies whole.
    const total = heavy.length + victims.length;
    await r.next('message:new', (message) => message.seq === total, EVENT_MS);
    t.deepEqual(
      r
        .received('message:new')
        .map((message) => message.body)
        .sort(),
      [...heavy, ...victims].sort(),
    );
  },
);

test.serial(
  'when a member resends old clientMsgIds to a replica started since (no state for the room), the acks carry the first messages and no member gets an old one again',
  async (t) => {
    const [mallory, bob, carol] = [await register(platform), await register(platform), await register(platform)];
    const roomId = await createRoom(platform, mallory, [bob, carol]);
    const first = await connect(t, 0, mallory);
    for (let i = 1; i <= 5; i++) t.like(await first.socket.emitWithAck('message:send', { roomId, body: `old ${i}`, clientMsgId: `old-${i}` }), { ok: true });
    await platform.stopInstance('api-gateway#2');
    const restarted = await platform.startInstance('api-gateway', 'api-gateway#2');
    gateways[1] = restarted.url;
    const m = await connect(t, 1, mallory);
    const b = await connect(t, 1, bob);
    const c = await connect(t, 0, carol);
    // seq 1 has no predecessor to wait for, seq 2 would open a gap up to the next live message: neither is delivered.
    for (const seq of [1, 2, 5]) {
      t.like(await m.socket.emitWithAck('message:send', { roomId, body: 'again', clientMsgId: `old-${seq}` }), {
        ok: true,
        message: { seq, body: `old ${seq}` },
      });
    }
    t.like(await send(m, roomId, 'new'), { ok: true, message: { seq: 6 } });
    for (const socket of [m, b, c]) {
      await socket.next('message:new', (message) => message.seq === 6, EVENT_MS);
      t.deepEqual(
        socket.received('message:new').map((message) => message.seq),
        [6],
      );
    }
  },
);
