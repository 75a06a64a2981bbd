import { randomUUID } from 'node:crypto';
import test from 'ava';
import { FANOUT_TOPICS, type ChatMessage } from '@chat/platform';
import { settings as configSettings } from '../../src/config.js';
import { connectSocket } from '../helpers/socket-client.js';
import { fakeToken, startRig, type Rig } from '../helpers/realtime-rig.js';
import { rawSocket, type RawConnection } from '../helpers/raw-socket-io.js';

// Clients that would hold the gateway's memory without end, attacked over
// bare TCP so that the client can stop reading: one that does not read what
// it is sent (acks, sync pages, a busy room's messages), and one whose events
// keep being refused. Each is cut off, with what the gateway held for it
// within its bound; a client that reads and behaves never is.

const user = () => `u-${randomUUID().slice(0, 8)}`;

/** The most that any connection of the rig's first replica held unread, sampled at every packet queued (after the gateway's own check). */
function peakQueued(rig: Rig): () => number {
  const realtime = rig.realtimes[0]!;
  let peak = 0;
  realtime.io.engine.on('connection', (conn: Parameters<typeof realtime.queuedBytes>[0]) => {
    conn.on('packetCreate', () => {
      peak = Math.max(peak, realtime.queuedBytes(conn));
    });
  });
  return () => peak;
}

/** Socket.IO acks (`43<id>[...]`) a raw connection received. */
const acksOf = (conn: RawConnection) => conn.received.filter((text) => /^43\d/.test(text));

/** An acked event, as a raw client writes it. */
const event = (id: number, name: string, ...args: unknown[]) => `42${id}${JSON.stringify([name, ...args])}`;

/** The chat-service's history reads made for the rig's clients: how many, and the most at once. */
function historyReads(rig: Rig): { made: () => number; peak: () => number } {
  const read = rig.chat.history.bind(rig.chat);
  let made = 0;
  let running = 0;
  let peak = 0;
  rig.chat.history = async (...args) => {
    made++;
    peak = Math.max(peak, ++running);
    try {
      return await read(...args);
    } finally {
      running--;
    }
  };
  return { made: () => made, peak: () => peak };
}

/** A room with 100 messages of 4,000 characters: each `sync` of it is answered with about 400 KB. */
async function bigRoom(rig: Rig, userId: string): Promise<string> {
  const roomId = rig.chat.createRoom([userId]);
  for (let i = 0; i < 100; i++) await rig.chat.send({ userId }, roomId, { body: `${i} ${'x'.repeat(3_990)}`, clientMsgId: `c${i}` });
  return roomId;
}

test('when a client stops reading and asks for big answers, it is disconnected once its unread answers pass the bound, and the gateway never holds much more', async (t) => {
  const maxQueuedBytes = 256 * 1024;
  const rig = await startRig(t, { settings: { maxQueuedBytes } });
  const peak = peakQueued(rig);
  const alice = user();
  const roomId = await bigRoom(rig, alice);
  const reads = historyReads(rig);
  const conn = await rawSocket(t, rig.urls[0]!, fakeToken(alice));
  conn.stopReading();
  // 100 syncs (the burst allows them): 40 MB of answers, far more than the kernel's socket buffers take.
  conn.send(...Array.from({ length: 100 }, (_, i) => event(i, 'sync', { roomId, afterSeq: 0, limit: 100 })));
  await conn.closedByServer();
  const answered = acksOf(conn).length;
  t.true(answered < 100, `${answered} of 100 answers were sent before the cut`);
  // chat-service read the pages two at a time, and stopped reading them once the connection was cut.
  t.true(reads.peak() <= 2, `${reads.peak()} history reads at once`);
  t.true(reads.made() < 100, `${reads.made()} of 100 pages were read`);
  // One answer is about 420 KB: the bound is passed by at most the answer that passed it.
  t.true(peak() <= maxQueuedBytes + 500_000, `peak ${peak()}`);
  // The user connects again and catches up.
  const again = await connectSocket(t, rig.urls[0]!, fakeToken(alice));
  const page = (await again.socket.timeout(5_000).emitWithAck('sync', { roomId, afterSeq: 95 })) as { ok: boolean; messages: ChatMessage[] };
  t.deepEqual(
    page.messages.map((m) => m.seq),
    [96, 97, 98, 99, 100],
  );
});

test('when a member stops reading while its room is busy, it is disconnected and the members who read get every message', async (t) => {
  const maxQueuedBytes = 1024 * 1024;
  const rig = await startRig(t, { settings: { maxQueuedBytes } });
  const peak = peakQueued(rig);
  const [alice, bob] = [user(), user()];
  const roomId = rig.chat.createRoom([alice, bob]);
  const reader = await connectSocket(t, rig.urls[0]!, fakeToken(alice));
  const sleeper = await rawSocket(t, rig.urls[0]!, fakeToken(bob));
  sleeper.stopReading();
  // 60 commits of 100 messages of 4,000 characters: 24 MB to each member.
  let seq = 0;
  for (let commit = 0; commit < 60; commit++) {
    const messages: ChatMessage[] = Array.from({ length: 100 }, () => ({
      id: randomUUID(),
      roomId,
      seq: ++seq,
      authorId: alice,
      body: 'y'.repeat(4_000),
      createdAt: new Date().toISOString(),
      clientMsgId: randomUUID(),
    }));
    await rig.publish(FANOUT_TOPICS.messagesCreated, { roomId, occurredAt: new Date().toISOString(), data: { messages } });
    // The reader keeps up (a commit is 400 KB, well under the bound); the sleeper's backlog grows.
    await reader.next('message:new', (m) => m.seq === seq);
  }
  await sleeper.closedByServer();
  t.deepEqual(
    reader.received('message:new').map((m) => m.seq),
    Array.from({ length: seq }, (_, i) => i + 1),
  );
  t.true(reader.socket.connected);
  t.true(peak() <= maxQueuedBytes + 10_000, `peak ${peak()}`);
});

test('when a client that does not read floods tiny acked events that are all refused, with a pong now and then, it is cut off at its refusal budget', async (t) => {
  const rig = await startRig(t, { settings: { refusalLimit: { ratePerSecond: 0.01, burst: 300 } } });
  const peak = peakQueued(rig);
  const alice = user();
  const conn = await rawSocket(t, rig.urls[0]!, fakeToken(alice));
  conn.stopReading();
  // Unknown events (not_found), then past the event bucket (rate_limited); an unsolicited pong keeps the heartbeat happy.
  conn.send(...Array.from({ length: 3_000 }, (_, i) => (i % 100 === 99 ? '3' : event(i, 'x'))));
  await conn.closedByServer();
  const answered = acksOf(conn).length;
  t.true(answered <= 301, `${answered} refusals answered`);
  t.true(peak() < 300 * 1024, `peak ${peak()}`);
});

test('with the default settings, a flood of refused events is cut off too', async (t) => {
  const rig = await startRig(t);
  const conn = await rawSocket(t, rig.urls[0]!, fakeToken(user()));
  conn.stopReading();
  conn.send(...Array.from({ length: 5_000 }, (_, i) => (i % 100 === 99 ? '3' : event(i, 'x'))));
  await conn.closedByServer();
  t.true(acksOf(conn).length < 5_000);
});

const generous = {
  eventLimit: { ratePerSecond: 10_000, burst: 10_000 },
  syncLimit: { ratePerSecond: 10_000, burst: 10_000 },
  refusalLimit: { ratePerSecond: 0.01, burst: 50 },
};

for (const [kind, settings, payload] of [
  ['not_found', generous, (i: number) => event(i, 'nope', {})],
  ['validation_failed', generous, (i: number) => event(i, 'sync', { roomId: 12 })],
  ['rate_limited', { ...generous, syncLimit: { ratePerSecond: 0.01, burst: 1 } }, (i: number) => event(i, 'sync', { roomId: randomUUID(), afterSeq: 0 })],
] as const) {
  test(`refusals answered ${kind} count against the budget: past it the socket is closed, unanswered`, async (t) => {
    const rig = await startRig(t, { settings });
    const conn = await rawSocket(t, rig.urls[0]!, fakeToken(user()));
    // One at a time, each answer awaited, until the server closes the connection.
    const answers: string[] = [];
    for (let i = 0; i < 200; i++) {
      conn.send(payload(i));
      const answer = await conn.next((text) => text.startsWith(`43${i}[`)).catch(() => undefined);
      if (answer === undefined) break;
      answers.push(answer);
    }
    await conn.closedByServer();
    t.is(answers.filter((answer) => answer.includes(`"code":"${kind}"`)).length, 50, answers.slice(-2).join('\n'));
    t.true(answers.length <= 51, `${answers.length} answered`);
  });
}

test('a client that reads, sends thousands of commands within its limits and now and then a refused one, stays connected', async (t) => {
  const rig = await startRig(t, { settings: { eventLimit: { ratePerSecond: 10_000, burst: 10_000 }, syncLimit: { ratePerSecond: 10_000, burst: 10_000 } } });
  const peak = peakQueued(rig);
  const alice = user();
  const roomId = rig.chat.createRoom([alice]);
  for (let i = 0; i < 50; i++) await rig.chat.send({ userId: alice }, roomId, { body: `message ${i} ${'z'.repeat(100)}`, clientMsgId: `c${i}` });
  const client = await connectSocket(t, rig.urls[0]!, fakeToken(alice));
  const emit = client.socket.timeout(5_000) as unknown as { emitWithAck: (...args: unknown[]) => Promise<{ ok: boolean }> };
  let ok = 0;
  for (let round = 0; round < 30; round++) {
    const acks = await Promise.all(Array.from({ length: 100 }, () => emit.emitWithAck('sync', { roomId, afterSeq: 0 })));
    ok += acks.filter((ack) => ack.ok).length;
    // A mistake now and then: well within the refusal budget.
    t.like(await emit.emitWithAck('sync', { roomId: 'not a room id' }), { ok: false });
  }
  t.is(ok, 3_000);
  t.true(client.socket.connected);
  t.true(peak() <= configSettings.maxQueuedBytes.default, `peak ${peak()}`);
});
