import test from 'ava';
import { createLogger, type ChatMessage } from '@chat/platform';
import { waitFor } from '@chat/platform/testing';
import { RoomSequencer } from '../../src/realtime/sequencer.js';

const logger = createLogger({ name: 'test', level: 'silent' });

const message = (seq: number, roomId = 'r1'): ChatMessage => ({
  id: `m${seq}`,
  roomId,
  seq,
  authorId: 'u1',
  body: `body ${seq}`,
  createdAt: new Date(0).toISOString(),
});

function setup(
  t: { teardown: (fn: () => void) => void },
  options: { windowMs?: number; history?: (roomId: string, afterSeq: number, limit: number) => Promise<ChatMessage[]> } = {},
) {
  const emitted: number[] = [];
  const fetches: Array<[string, number, number]> = [];
  const sequencer = new RoomSequencer({
    windowMs: options.windowMs ?? 30,
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

test('when history cannot fill a gap, the gap is skipped and later messages still go out', async (t) => {
  const { sequencer, emitted } = setup(t);
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
  const s2 = new RoomSequencer({ windowMs: 10_000, logger, emit: (m) => seen.push(`${m.roomId}:${m.seq}`), fetchAfter: async () => [] });
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
  t.deepEqual(emitted, Array.from({ length: 200 }, (_, i) => i + 1));
});
