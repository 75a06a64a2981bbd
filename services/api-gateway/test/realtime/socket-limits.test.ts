import { randomUUID } from 'node:crypto';
import test from 'ava';
import type { AckResponse, ClientToServerEvents } from '@chat/platform';
import { clientAddressResolver, parseTrustedProxies } from '../../src/http/client-address.js';
import { EVENT_CLASS } from '../../src/realtime/limits.js';
import { connectError, connectSocket, type TestSocket } from '../helpers/socket-client.js';
import { fakeToken, startRig, type Rig } from '../helpers/realtime-rig.js';

// What one user can make the gateway do over sockets, attacked every way:
// bursts of every client event, floods of unknown events, malformed payloads
// on every event, too many sockets, connection churn.

const user = () => `u-${randomUUID().slice(0, 8)}`;
type EventName = keyof ClientToServerEvents;
type AnyAck = AckResponse<Record<string, unknown>>;

/** Emits any event with any arguments and waits for its ack (typed events are the thing under attack here). */
const raw = (client: TestSocket, event: unknown, ...args: unknown[]): Promise<AnyAck> =>
  (client.socket.timeout(5_000) as unknown as { emitWithAck: (...a: unknown[]) => Promise<AnyAck> }).emitWithAck(event, ...args);

/** A valid payload of each client event for a member of `roomId`. */
function validPayload(event: EventName, roomId: string, token: string): unknown {
  switch (event) {
    case 'message:send':
      return { roomId, body: 'hello', clientMsgId: randomUUID() };
    case 'message:edit':
      return { roomId, seq: 1, body: 'edited' };
    case 'message:delete':
      return { roomId, seq: 1 };
    case 'sync':
      return { roomId, afterSeq: 0 };
    case 'read':
      return { roomId, seq: 1 };
    case 'typing':
      return { roomId, typing: true };
    case 'auth:refresh':
      return { token };
  }
}

/** Counts the calls the fake chat-service gets (each one a sidecar call in the real gateway). */
function countCalls(rig: Rig): { total: number } {
  const counter = { total: 0 };
  for (const method of ['send', 'edit', 'remove', 'history', 'markRead'] as const) {
    const original = rig.chat[method].bind(rig.chat) as (...args: unknown[]) => Promise<unknown>;
    (rig.chat as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
      counter.total++;
      return original(...args);
    };
  }
  return counter;
}

// Slow refills, so that a loaded machine cannot refill a bucket in the middle of a test.
const TIGHT = { ratePerSecond: 0.1, burst: 3 };

for (const event of Object.keys(EVENT_CLASS) as EventName[]) {
  test(`when a user fires a burst of ${event}, past its limit the ack is rate_limited with retryAfterMs and nothing more reaches the services`, async (t) => {
    const rig = await startRig(t, {
      settings: { sendRatePerSecond: 0.1, sendBurst: 3, syncLimit: TIGHT, readLimit: TIGHT, typingLimit: TIGHT, refreshLimit: TIGHT },
    });
    const alice = user();
    const token = fakeToken(alice);
    const roomId = rig.chat.createRoom([alice]);
    const a = await connectSocket(t, rig.urls[0]!, token);
    if (event === 'message:edit' || event === 'message:delete') await rig.chat.send({ userId: alice }, roomId, { body: 'first', clientMsgId: 'c0' });
    const calls = countCalls(rig);
    const acks = await Promise.all(Array.from({ length: 8 }, () => raw(a, event, validPayload(event, roomId, token))));
    const refused = acks.filter((ack) => !ack.ok);
    t.is(refused.length, 5, JSON.stringify(acks));
    for (const ack of refused) {
      t.like(ack, { ok: false, error: { code: 'rate_limited' } });
      const wait = (ack as { error: { retryAfterMs: number } }).error.retryAfterMs;
      t.true(wait > 0 && wait <= 10_000, `retryAfterMs ${wait}`);
    }
    t.true(calls.total <= 3, `${calls.total} chat-service calls`);
  });
}

test('when a user spreads a burst over several sockets, they share one budget and other users keep theirs', async (t) => {
  const rig = await startRig(t, { settings: { syncLimit: { ratePerSecond: 0.01, burst: 4 } } });
  const alice = user();
  const roomId = rig.chat.createRoom([alice]);
  const sockets = await Promise.all([1, 2, 3].map(() => connectSocket(t, rig.urls[0]!, fakeToken(alice))));
  const acks = await Promise.all(sockets.flatMap((s) => [1, 2, 3].map(() => raw(s, 'sync', { roomId, afterSeq: 0 }))));
  t.is(acks.filter((ack) => ack.ok).length, 4);
  // Another user is not affected.
  const bob = user();
  const bobRoom = rig.chat.createRoom([bob]);
  const b = await connectSocket(t, rig.urls[0]!, fakeToken(bob));
  t.like(await raw(b, 'sync', { roomId: bobRoom, afterSeq: 0 }), { ok: true });
});

test('when a client sends events the contract does not name, each is answered not_found and nothing runs', async (t) => {
  const rig = await startRig(t);
  const alice = user();
  const a = await connectSocket(t, rig.urls[0]!, fakeToken(alice));
  const names: unknown[] = [
    'nope',
    '__proto__',
    'constructor',
    'toString',
    'hasOwnProperty',
    'error',
    'message:new',
    'MESSAGE:SEND',
    'sync ',
    'x'.repeat(10_000),
    7,
    0,
  ];
  for (const name of names) {
    t.deepEqual(await raw(a, name, { roomId: 'r' }), { ok: false, error: { code: 'not_found', message: 'No such event' } }, String(name).slice(0, 20));
  }
  t.like(await raw(a, 'sync', { roomId: rig.chat.createRoom([alice]), afterSeq: 0 }), { ok: true });
});

test('when a client floods events of any kind, without acks, the event budget runs out and then every command is refused for a while', async (t) => {
  const rig = await startRig(t, { settings: { eventLimit: { ratePerSecond: 0.01, burst: 50 } } });
  const alice = user();
  const roomId = rig.chat.createRoom([alice]);
  const a = await connectSocket(t, rig.urls[0]!, fakeToken(alice));
  const emit = a.socket.emit.bind(a.socket) as (...args: unknown[]) => unknown;
  for (let i = 0; i < 100; i++) emit(`junk:${i}`);
  for (let i = 0; i < 100; i++) a.socket.emit('typing', { roomId, typing: i % 2 === 0 });
  const refused = await raw(a, 'sync', { roomId, afterSeq: 0 });
  t.like(refused, { ok: false, error: { code: 'rate_limited' } });
  t.regex((refused as { error: { message: string } }).error.message, /^Too many events; retry in \d+ ms$/);
  t.true(a.socket.connected);
});

const generous = {
  sendRatePerSecond: 100,
  sendBurst: 1_000,
  syncLimit: { ratePerSecond: 100, burst: 1_000 },
  readLimit: { ratePerSecond: 100, burst: 1_000 },
  typingLimit: { ratePerSecond: 100, burst: 1_000 },
  refreshLimit: { ratePerSecond: 100, burst: 1_000 },
};

/** Payloads that no client event accepts. */
function malformed(): Array<[string, unknown[]]> {
  let deep: unknown = { roomId: 'r' };
  for (let i = 0; i < 2_000; i++) deep = { nested: deep };
  const manyKeys = Object.fromEntries(Array.from({ length: 3_000 }, (_, i) => [`k${i}`, i]));
  return [
    ['no payload', []],
    ['null', [null]],
    ['a number', [42]],
    ['a string', ['{"roomId":"r"}']],
    ['true', [true]],
    ['an array', [[{ roomId: 'r' }]]],
    ['binary', [Buffer.from('{"roomId":"r"}')]],
    ['an empty object', [{}]],
    ['wrong types', [{ roomId: 12, seq: 'x', afterSeq: -1, body: 5, typing: 'yes', token: 7, clientMsgId: {} }]],
    ['a huge string', [{ roomId: 'r'.repeat(50_000) }]],
    ['a deep object', [deep]],
    ['3000 unknown fields', [manyKeys]],
    ['several arguments', [{ roomId: 'r' }, { roomId: 's' }, 3]],
  ];
}

for (const event of Object.keys(EVENT_CLASS) as EventName[]) {
  test(`when ${event} gets malformed payloads, each ack is validation_failed with a short list of details and the socket goes on`, async (t) => {
    const rig = await startRig(t, { settings: { eventLimit: { ratePerSecond: 100, burst: 1_000 }, ...generous } });
    const alice = user();
    const token = fakeToken(alice);
    const roomId = rig.chat.createRoom([alice]);
    const a = await connectSocket(t, rig.urls[0]!, token);
    for (const [what, args] of malformed()) {
      const ack = await raw(a, event, ...args);
      t.like(ack, { ok: false, error: { code: 'validation_failed' } }, what);
      const details = (ack as { error: { details?: unknown[] } }).error.details ?? [];
      t.true(details.length >= 1 && details.length <= 21, `${what}: ${details.length} details`);
    }
    t.true(a.socket.connected);
    t.like(await raw(a, event === 'auth:refresh' ? 'auth:refresh' : 'sync', validPayload(event === 'auth:refresh' ? event : 'sync', roomId, token)), {
      ok: true,
    });
  });
}

test('when one user opens more sockets than allowed at once, exactly the cap connects and the rest are refused rate_limited', async (t) => {
  const rig = await startRig(t, { settings: { maxSocketsPerUser: 3, connectLimit: { ratePerSecond: 100, burst: 100 } } });
  const alice = user();
  const outcomes = await Promise.allSettled(Array.from({ length: 8 }, () => connectSocket(t, rig.urls[0]!, fakeToken(alice))));
  const connected = outcomes.filter((o): o is PromiseFulfilledResult<TestSocket> => o.status === 'fulfilled').map((o) => o.value);
  t.is(connected.length, 3);
  for (const outcome of outcomes.filter((o) => o.status === 'rejected')) {
    const error = outcome.reason as Error & { data?: unknown };
    t.is(error.message, 'rate_limited');
    t.like(error.data, { code: 'rate_limited' });
  }
  // Another user still connects; closing one socket frees its place.
  await connectSocket(t, rig.urls[0]!, fakeToken(user()));
  t.is((await connectError(rig.urls[0]!, fakeToken(alice))).message, 'rate_limited');
  connected[0]!.close();
  await waitUntil(async () => {
    const next = await connectSocket(t, rig.urls[0]!, fakeToken(alice)).catch(() => undefined);
    return next !== undefined;
  });
  t.pass();
});

test('when one user reconnects in a tight loop, past the connect burst it is refused rate_limited with retryAfterMs', async (t) => {
  const rig = await startRig(t, { settings: { connectLimit: { ratePerSecond: 0.01, burst: 4 } } });
  const alice = user();
  for (let i = 0; i < 4; i++) (await connectSocket(t, rig.urls[0]!, fakeToken(alice))).close();
  const refused = await connectError(rig.urls[0]!, fakeToken(alice));
  t.is(refused.message, 'rate_limited');
  t.like(refused.data, { code: 'rate_limited' });
  t.true((refused.data as { retryAfterMs: number }).retryAfterMs > 0);
  // Tokens that do not verify never reach the limit of the user they name.
  t.is((await connectError(rig.urls[0]!, fakeToken(user(), { valid: false }))).message, 'unauthenticated');
});

test('when one address floods handshakes, forged tokens or not, past its burst every attempt is refused rate_limited before the token is checked', async (t) => {
  const rig = await startRig(t, { settings: { handshakeLimit: { ratePerSecond: 0.01, burst: 3 } } });
  for (let i = 0; i < 3; i++) t.is((await connectError(rig.urls[0]!, fakeToken(user(), { valid: false }))).message, 'unauthenticated');
  for (const token of [fakeToken(user(), { valid: false }), 'garbage', undefined, fakeToken(user())]) {
    const refused = await connectError(rig.urls[0]!, token);
    t.is(refused.message, 'rate_limited');
    t.true((refused.data as { retryAfterMs: number }).retryAfterMs > 0);
  }
});

test('when handshakes come through a trusted proxy, each client behind it has its own budget, and X-Forwarded-For from anyone else counts for nothing', async (t) => {
  const limit = { handshakeLimit: { ratePerSecond: 0.01, burst: 2 } };
  const behindProxy = await startRig(t, { settings: limit, clientAddress: clientAddressResolver(parseTrustedProxies('127.0.0.1')) });
  const direct = await startRig(t, { settings: limit, clientAddress: clientAddressResolver(undefined) });
  const attempt = (url: string, forwardedFor: string) => connectError(url, 'garbage', { 'x-forwarded-for': forwardedFor });
  for (const url of [behindProxy.urls[0]!, direct.urls[0]!]) {
    t.is((await attempt(url, '198.51.100.1')).message, 'unauthenticated');
    t.is((await attempt(url, '198.51.100.1')).message, 'unauthenticated');
  }
  t.is((await attempt(behindProxy.urls[0]!, '198.51.100.1')).message, 'rate_limited');
  t.is((await attempt(behindProxy.urls[0]!, '198.51.100.2')).message, 'unauthenticated');
  // Without trusted proxies the peer is the client, whatever the header claims.
  t.is((await attempt(direct.urls[0]!, '198.51.100.2')).message, 'rate_limited');
  t.is((await attempt(direct.urls[0]!, '203.0.113.9, 198.51.100.3')).message, 'rate_limited');
});

/** Polls `check` until it holds (each try is itself a round trip), with a deadline. */
async function waitUntil(check: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
  }
}
