import test from 'ava';
import { createLogger, type ChatMessage } from '@chat/platform';
import { waitFor } from '@chat/devkit/testing';
import { DeliveryOrderer } from '../../src/realtime/delivery-orderer.js';

const logger = createLogger({ name: 'test', level: 'silent' });

/** A message created now (after the orderer started), unless `createdAt` says otherwise. */
const message = (seq: number, roomId = 'r1', createdAt = new Date()): ChatMessage => ({
  id: `m${seq}`,
  roomId,
  seq,
  authorId: 'u1',
  body: `body ${seq}`,
  createdAt: createdAt.toISOString(),
});
/** A message created long before the orderer started: what chat-service answers a resent old clientMsgId with. */
const old = (seq: number, roomId = 'r1') => message(seq, roomId, new Date(Date.now() - 3_600_000));

function setup(
  t: { teardown: (fn: () => void) => void },
  options: {
    windowMs?: number;
    history?: (roomId: string, afterSeq: number, limit: number) => Promise<ChatMessage[]>;
    unreadableHoldMs?: number;
    idleMs?: number;
    rememberRooms?: number;
  } = {},
) {
  const emitted: number[] = [];
  const fetches: Array<[string, number, number]> = [];
  const sequencer = new DeliveryOrderer({
    windowMs: options.windowMs ?? 30,
    ...(options.unreadableHoldMs === undefined ? {} : { unreadableHoldMs: options.unreadableHoldMs }),
    ...(options.idleMs === undefined ? {} : { idleMs: options.idleMs }),
    ...(options.rememberRooms === undefined ? {} : { rememberRooms: options.rememberRooms }),
    logger,
    emit: (m) => emitted.push(m.seq),
    fetchAfter: async (roomId, afterSeq, limit) => {
      fetches.push([roomId, afterSeq, limit]);
      return options.history ? options.history(roomId, afterSeq, limit) : [];
    },
  });
  t.teardown(() => sequencer.close());
  return { sequencer, emitted, fetches };
}

test('when messages arrive in order from seq 1, each is emitted at once', (t) => {
  const { sequencer, emitted } = setup(t);
  for (const seq of [1, 2, 3]) sequencer.push(message(seq));
  t.deepEqual(emitted, [1, 2, 3]);
});

test('when a later message overtakes an earlier one, it waits and both go out in seq order', (t) => {
  const { sequencer, emitted } = setup(t, { windowMs: 10_000 });
  sequencer.push(message(1));
  sequencer.push(message(3));
  t.deepEqual(emitted, [1]);
  sequencer.push(message(2));
  t.deepEqual(emitted, [1, 2, 3]);
});

test('when a room is seen for the first time, its first window starts from the lowest seq that arrived', async (t) => {
  const { sequencer, emitted, fetches } = setup(t);
  sequencer.push(message(7));
  sequencer.push(message(5));
  sequencer.push(message(6));
  t.deepEqual(emitted, []);
  await waitFor(() => emitted.length === 3, { what: 'the first window to pass', timeoutMs: 2_000 });
  t.deepEqual(emitted, [5, 6, 7]);
  t.deepEqual(fetches, []);
});

test('when a gap stays open past the window, it is filled from history and order is kept', async (t) => {
  const { sequencer, emitted, fetches } = setup(t, { history: async () => [message(2), message(3)] });
  sequencer.push(message(1));
  sequencer.push(message(4));
  await waitFor(() => emitted.length === 4, { what: 'the gap to be filled', timeoutMs: 2_000 });
  t.deepEqual(emitted, [1, 2, 3, 4]);
  t.deepEqual(fetches, [['r1', 1, 3]]);
});

test("when history answers without a gap's messages past the hold time, the gap is skipped and later messages still go out", async (t) => {
  const { sequencer, emitted } = setup(t, { unreadableHoldMs: 150 });
  sequencer.push(message(1));
  sequencer.push(message(3));
  await waitFor(() => emitted.length === 2, { what: 'the gap to be skipped', timeoutMs: 2_000 });
  t.deepEqual(emitted, [1, 3]);
  sequencer.push(message(2));
  sequencer.push(message(4));
  t.deepEqual(emitted, [1, 3, 4], 'a seq below the next one is never emitted out of order');
});

test('when the same message is delivered twice (at-least-once, or a local send then pub/sub), it is emitted once', (t) => {
  const { sequencer, emitted } = setup(t);
  sequencer.push(message(1));
  sequencer.push(message(1));
  sequencer.push(message(2));
  sequencer.push(message(2));
  t.deepEqual(emitted, [1, 2]);
});

test('when an edit arrives before the message it edits, it runs right after that message is emitted', (t) => {
  const { sequencer, emitted } = setup(t, { windowMs: 10_000 });
  const events: string[] = [];
  sequencer.push(message(1));
  sequencer.push(message(3));
  sequencer.afterEmitted('r1', 3, () => events.push(`edit 3 after ${emitted.join(',')}`));
  sequencer.afterEmitted('r1', 1, () => events.push('edit 1 at once'));
  t.deepEqual(events, ['edit 1 at once']);
  sequencer.push(message(2));
  t.deepEqual(events, ['edit 1 at once', 'edit 3 after 1,2,3']);
});

test('when rooms interleave, each room keeps its own order', (t) => {
  const seen: string[] = [];
  const s2 = new DeliveryOrderer({ windowMs: 10_000, logger, emit: (m) => seen.push(`${m.roomId}:${m.seq}`), fetchAfter: async () => [] });
  t.teardown(() => s2.close());
  s2.push(message(1, 'a'));
  s2.push(message(1, 'b'));
  s2.push(message(3, 'a'));
  s2.push(message(2, 'b'));
  s2.push(message(2, 'a'));
  t.deepEqual(seen, ['a:1', 'b:1', 'b:2', 'a:2', 'a:3']);
});

test('when 200 messages arrive shuffled and concurrently, they are emitted exactly once each in seq order', async (t) => {
  const { sequencer, emitted } = setup(t, { windowMs: 50 });
  const seqs = Array.from({ length: 200 }, (_, i) => i + 1);
  // Deterministic shuffle within small windows, as concurrent delivery does.
  for (let i = 0; i < seqs.length; i += 5) {
    const chunk = seqs.slice(i, i + 5).reverse();
    seqs.splice(i, 5, ...chunk);
  }
  await Promise.all(
    seqs.map(
      (seq) =>
        new Promise<void>((resolve) =>
          setImmediate(() => {
            sequencer.push(message(seq));
            resolve();
          }),
        ),
    ),
  );
  await waitFor(() => emitted.length === 200, { what: 'all 200 messages', timeoutMs: 5_000 });
  t.deepEqual(
    emitted,
    Array.from({ length: 200 }, (_, i) => i + 1),
  );
});

test('when history cannot be read (chat-service down), the gap is held and filled by the message arriving late, in order', async (t) => {
  const { sequencer, emitted, fetches } = setup(t, {
    unreadableHoldMs: 10_000,
    history: async () => {
      throw new Error('chat-service is unavailable');
    },
  });
  sequencer.push(message(1));
  sequencer.push(message(3));
  await waitFor(() => fetches.length >= 2, { what: 'history to be asked again', timeoutMs: 2_000 });
  t.deepEqual(emitted, [1], 'nothing skipped while history is unreadable');
  // chat-service's outbox publishes the missing message once it is back.
  sequencer.push(message(2));
  t.deepEqual(emitted, [1, 2, 3]);
});

test('when history comes back while a gap is held, the gap is filled from it', async (t) => {
  let up = false;
  const { sequencer, emitted } = setup(t, {
    unreadableHoldMs: 10_000,
    history: async () => {
      if (!up) throw new Error('chat-service is unavailable');
      return [message(2), message(3)];
    },
  });
  sequencer.push(message(1));
  sequencer.push(message(4));
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.deepEqual(emitted, [1]);
  up = true;
  await waitFor(() => emitted.length === 4, { what: 'the gap to be filled', timeoutMs: 5_000 });
  t.deepEqual(emitted, [1, 2, 3, 4]);
});

test('when history stays unreadable past the hold, the gap is skipped', async (t) => {
  const { sequencer, emitted } = setup(t, {
    unreadableHoldMs: 150,
    history: async () => {
      throw new Error('chat-service is unavailable');
    },
  });
  sequencer.push(message(1));
  sequencer.push(message(3));
  await waitFor(() => emitted.length === 2, { what: 'the gap to be skipped', timeoutMs: 5_000 });
  t.deepEqual(emitted, [1, 3]);
});

test('when a client here synced a room not seen yet, its live delivery starts right after the synced end', async (t) => {
  const { sequencer, emitted, fetches } = setup(t, { windowMs: 200, history: async () => [message(8)] });
  sequencer.push(message(9));
  t.deepEqual(emitted, [], 'a first window would wait, then start at 9');
  // The sync answered up to 7: 8 was committed but is not here yet, so it is filled from history.
  sequencer.synced('r1', 7);
  t.is(sequencer.nextSeq('r1'), 8);
  await waitFor(() => emitted.length === 2, { what: 'the gap at 8 to be filled', timeoutMs: 5_000 });
  t.deepEqual(emitted, [8, 9]);
  t.deepEqual(fetches, [['r1', 7, 2]]);
  // A room already under way is not moved by a sync.
  sequencer.synced('r1', 3);
  t.is(sequencer.nextSeq('r1'), 10);
});

test('when a duplicate arrives long after the room went idle, it is still dropped', async (t) => {
  const { sequencer, emitted } = setup(t, { idleMs: 20 });
  sequencer.push(message(1));
  sequencer.push(message(2));
  await waitFor(() => sequencer.nextSeq('r1') === 3 && emitted.length === 2, { what: 'the messages', timeoutMs: 1_000 });
  // Idle for a while: the room is reduced to its next seq.
  await new Promise((resolve) => setTimeout(resolve, 100));
  sequencer.push(message(2));
  sequencer.push(message(3));
  t.deepEqual(emitted, [1, 2, 3], 'the republished 2 is dropped and 3 goes out at once');
});

test('when an orderer with no position for a room is handed an old message (a resent clientMsgId), nobody gets it and history is not replayed', async (t) => {
  const history = Array.from({ length: 600 }, (_, i) => old(i + 1));
  const { sequencer, emitted, fetches } = setup(t, { history: async (_roomId, after, limit) => history.filter((m) => m.seq > after).slice(0, limit) });
  // seq 1 has no predecessor to wait for, yet an old one does not start the room either.
  sequencer.push(old(1));
  sequencer.push(old(3));
  t.is(sequencer.nextSeq('r1'), undefined);
  // The room's live messages: it starts at the first of them.
  sequencer.push(message(500));
  sequencer.push(message(501));
  await waitFor(() => emitted.length === 2, { what: 'the live messages', timeoutMs: 2_000 });
  t.deepEqual(emitted, [500, 501]);
  t.deepEqual(fetches, [], 'no gap was opened from the old seqs');
  // Once the room has a position, an old seq is below it and dropped as any duplicate.
  sequencer.push(old(3));
  sequencer.push(message(502));
  t.deepEqual(emitted, [500, 501, 502]);
  t.deepEqual(fetches, []);
});

test('when old and live messages of an unseen room arrive in one window, only the live ones count, in order', async (t) => {
  const { sequencer, emitted, fetches } = setup(t, { history: async () => [message(41)] });
  for (const m of [message(42), old(7), message(40), old(2)]) sequencer.push(m);
  // 41 is live but late: the gap between live messages is still filled from history.
  await waitFor(() => emitted.length === 3, { what: 'the live messages', timeoutMs: 2_000 });
  t.deepEqual(emitted, [40, 41, 42]);
  t.deepEqual(fetches, [['r1', 40, 2]]);
});

test("when a room's position is forgotten (more idle rooms than remembered), the messages it emitted stay old; newer ones still go out", async (t) => {
  const { sequencer, emitted } = setup(t, { idleMs: 20, rememberRooms: 1 });
  const sent = new Date();
  sequencer.push(message(1, 'a', sent));
  sequencer.push(message(2, 'a', sent));
  sequencer.push(message(1, 'b', sent));
  t.deepEqual(emitted, [1, 2, 1]);
  // Both go idle; 'a', the oldest, is forgotten, 'b' remembered.
  await waitFor(() => sequencer.nextSeq('a') === undefined && sequencer.nextSeq('b') === 2, { what: "room a's position to be forgotten", timeoutMs: 2_000 });
  sequencer.push(message(2, 'a', sent));
  sequencer.push(message(1, 'a', sent));
  t.is(sequencer.nextSeq('a'), undefined, 'what room a emitted does not set where it starts again');
  sequencer.push(message(3, 'a', new Date(sent.getTime() + 1)));
  await waitFor(() => emitted.length === 4, { what: "room a's next message", timeoutMs: 2_000 });
  t.deepEqual(emitted, [1, 2, 1, 3]);
});
