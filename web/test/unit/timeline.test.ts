import test from 'ava';
import type { ChatMessage } from '../../src/api/types.js';
import { contiguousEnd, dividerBefore, markDeleted, mergeMessages, settlePending, type PendingMessage } from '../../src/state/timeline.js';

const msg = (seq: number, extra: Partial<ChatMessage> = {}): ChatMessage => ({
  id: `m${seq}`,
  roomId: 'r',
  seq,
  authorId: 'alice',
  body: `body ${seq}`,
  createdAt: `2026-01-01T00:00:${String(seq).padStart(2, '0')}.000Z`,
  ...extra,
});

test('when pages, live messages and a sync overlap, the timeline is ascending with one message per seq', (t) => {
  const merged = mergeMessages([msg(3), msg(4)], [msg(1), msg(2), msg(3), msg(5), msg(4)]);
  t.deepEqual(
    merged.map((m) => m.seq),
    [1, 2, 3, 4, 5],
  );
});

test('when two copies of a message meet, the tombstone wins over an edit and a later edit over an earlier one, whatever the order', (t) => {
  const edited = msg(1, { body: 'edited', editedAt: '2026-01-01T00:01:00.000Z' });
  const later = msg(1, { body: 'edited again', editedAt: '2026-01-01T00:02:00.000Z' });
  const deleted = msg(1, { body: '', deleted: true });
  t.is(mergeMessages([edited], [msg(1)])[0]!.body, 'edited');
  t.is(mergeMessages([later], [edited])[0]!.body, 'edited again');
  t.is(mergeMessages([edited], [later])[0]!.body, 'edited again');
  t.true(mergeMessages([deleted], [later])[0]!.deleted);
  t.true(mergeMessages([later], [deleted])[0]!.deleted);
});

test('when a message is deleted, it stays in place as an empty tombstone', (t) => {
  const after = markDeleted([msg(1), msg(2), msg(3)], 2);
  t.deepEqual(
    after.map((m) => [m.seq, m.body, m.deleted ?? false]),
    [
      [1, 'body 1', false],
      [2, '', true],
      [3, 'body 3', false],
    ],
  );
});

test('the "new messages" divider goes before the first message after the read marker that someone else wrote', (t) => {
  const messages = [msg(1), msg(2, { authorId: 'me' }), msg(3), msg(4)];
  t.is(dividerBefore(messages, 1, 'me'), 3);
  t.is(dividerBefore(messages, 0, 'me'), 1);
  t.is(dividerBefore(messages, 4, 'me'), null);
  t.is(dividerBefore(messages, null, 'me'), null);
});

test("a pending send is settled by my confirmed message with its clientMsgId, not by anyone else's", (t) => {
  const pending: PendingMessage[] = ['a', 'b'].map((clientMsgId) => ({ clientMsgId, roomId: 'r', body: clientMsgId, status: 'sending', createdAt: '' }));
  t.deepEqual(
    settlePending(pending, [msg(1, { authorId: 'me', clientMsgId: 'a' })], 'me').map((p) => p.clientMsgId),
    ['b'],
  );
  t.deepEqual(
    settlePending(pending, [msg(1, { authorId: 'bob', clientMsgId: 'a' })], 'me').map((p) => p.clientMsgId),
    ['a', 'b'],
  );
});

test('a catch-up starts where the held messages stop being gapless, not after a live message past a hole', (t) => {
  t.is(contiguousEnd([]), 0);
  t.is(contiguousEnd([msg(1), msg(2), msg(3)]), 3);
  // Older pages not loaded: gapless from the first held.
  t.is(contiguousEnd([msg(40), msg(41)]), 41);
  // Reconnected: 11..49 missed, then 50 arrived live.
  t.is(contiguousEnd(mergeMessages([msg(9), msg(10)], [msg(50)])), 10);
  t.is(contiguousEnd(mergeMessages([msg(9), msg(10), msg(50)], [msg(11), msg(12)])), 12);
});
