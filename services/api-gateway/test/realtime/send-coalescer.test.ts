import test from 'ava';
import { AppError, forbidden, type ChatMessage } from '@chat/platform';
import type { BatchedSend, ChatApi } from '../../src/realtime/chat-api.js';
import { coalescingSends } from '../../src/realtime/send-coalescer.js';

interface Call {
  roomId: string;
  sends: BatchedSend[];
  answer: (results: Array<ChatMessage | AppError>) => void;
  fail: (error: unknown) => void;
}

/** A chat-service whose batch calls the test answers by hand. */
function fakeChat() {
  const calls: Call[] = [];
  const waiting: Array<() => void> = [];
  const chat = {
    sendBatch: (_requestId: string, roomId: string, sends: BatchedSend[]) =>
      new Promise<Array<ChatMessage | AppError>>((answer, fail) => {
        calls.push({ roomId, sends, answer, fail });
        waiting.splice(0).forEach((wake) => wake());
      }),
  } as unknown as ChatApi;
  const nextCall = async (n: number): Promise<Call> => {
    while (calls.length < n) await new Promise<void>((wake) => waiting.push(wake));
    return calls[n - 1]!;
  };
  return { chat, calls, nextCall };
}

const caller = (userId: string) => ({ userId, requestId: `r-${userId}` });
const messageFor = (send: BatchedSend, seq: number): ChatMessage => ({
  id: `m${seq}`,
  roomId: 'room',
  seq,
  authorId: send.caller.userId,
  body: send.body,
  createdAt: new Date(0).toISOString(),
  clientMsgId: send.clientMsgId,
});

test('when a room is quiet, a send goes out at once on its own', async (t) => {
  const { chat, nextCall } = fakeChat();
  const coalesced = coalescingSends(chat);
  const sent = coalesced.send(caller('a'), 'room', { body: 'hi', clientMsgId: 'c1' });
  const call = await nextCall(1);
  t.deepEqual(
    call.sends.map((s) => s.body),
    ['hi'],
  );
  call.answer([messageFor(call.sends[0]!, 1)]);
  t.is((await sent).seq, 1);
});

test('when sends arrive while a call for the room is under way, they go out together next, each answered with its own outcome', async (t) => {
  const { chat, calls, nextCall } = fakeChat();
  const coalesced = coalescingSends(chat);
  const first = coalesced.send(caller('a'), 'room', { body: 'one', clientMsgId: 'c1' });
  const firstCall = await nextCall(1);
  const later = ['two', 'three', 'four'].map((body, i) => coalesced.send(caller(i === 1 ? 'stranger' : 'a'), 'room', { body, clientMsgId: body }));
  const elsewhere = coalesced.send(caller('a'), 'other-room', { body: 'there', clientMsgId: 'x' });
  // Another room is not held up by this one.
  t.deepEqual(
    (await nextCall(2)).sends.map((s) => s.body),
    ['there'],
  );
  t.is(calls.length, 2);
  firstCall.answer([messageFor(firstCall.sends[0]!, 1)]);
  await first;
  const batch = await nextCall(3);
  t.deepEqual(
    batch.sends.map((s) => s.body),
    ['two', 'three', 'four'],
  );
  batch.answer([messageFor(batch.sends[0]!, 2), forbidden('Only members of this room can send messages'), messageFor(batch.sends[2]!, 3)]);
  const outcomes = await Promise.allSettled(later);
  t.deepEqual(
    outcomes.map((o) => (o.status === 'fulfilled' ? o.value.seq : (o.reason as AppError).code)),
    [2, 'forbidden', 3],
  );
  calls[1]!.answer([messageFor(calls[1]!.sends[0]!, 1)]);
  await elsewhere;
});

test('when more is queued than one call may carry, it goes out in several calls, by count and by bytes', async (t) => {
  const { chat, nextCall } = fakeChat();
  const coalesced = coalescingSends(chat, { maxBatch: 3, maxBodyBytes: 2_000 });
  const sends = [coalesced.send(caller('a'), 'room', { body: 'first', clientMsgId: 'c0' })];
  const firstCall = await nextCall(1);
  const bodies = ['a', 'b', 'c', 'd', 'x'.repeat(1_500), 'y'.repeat(1_500)];
  sends.push(...bodies.map((body, i) => coalesced.send(caller('a'), 'room', { body, clientMsgId: `c${i + 1}` })));
  let seq = 0;
  const answer = (call: Call) => call.answer(call.sends.map((send) => messageFor(send, ++seq)));
  answer(firstCall);
  const sizes: number[] = [];
  for (let n = 2; sizes.reduce((a, b) => a + b, 0) < bodies.length; n++) {
    const call = await nextCall(n);
    sizes.push(call.sends.length);
    answer(call);
  }
  t.deepEqual(sizes, [3, 2, 1]);
  t.deepEqual(
    (await Promise.all(sends)).map((m) => m.seq),
    [1, 2, 3, 4, 5, 6, 7],
  );
});

test('when a call fails, its sends get the error and the sends queued behind it still go out', async (t) => {
  const { chat, nextCall } = fakeChat();
  const coalesced = coalescingSends(chat);
  const first = coalesced.send(caller('a'), 'room', { body: 'one', clientMsgId: 'c1' });
  const firstCall = await nextCall(1);
  const second = coalesced.send(caller('a'), 'room', { body: 'two', clientMsgId: 'c2' });
  firstCall.fail(new AppError('unavailable', 'chat-service is unavailable'));
  t.is((await t.throwsAsync(first))?.message, 'chat-service is unavailable');
  const secondCall = await nextCall(2);
  secondCall.answer([messageFor(secondCall.sends[0]!, 1)]);
  t.is((await second).seq, 1);
});
