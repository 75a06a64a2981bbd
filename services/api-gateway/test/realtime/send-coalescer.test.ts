import test from 'ava';
import { MessageBody, SocketPayloads, check } from '@chat/contract';
import { AppError, forbidden, JSON_LIMIT_BYTES, type ChatMessage } from '@chat/platform';
import { sendBatchRequest, type BatchedSend, type ChatApi, type SendResult } from '../../src/realtime/chat-api.js';
import { coalescingSends, SEND_COALESCING } from '../../src/realtime/send-coalescer.js';

interface Call {
  roomId: string;
  sends: BatchedSend[];
  answer: (results: Array<SendResult | AppError>) => void;
  fail: (error: unknown) => void;
}

/** A chat-service whose batch calls the test answers by hand. */
function fakeChat() {
  const calls: Call[] = [];
  const waiting: Array<() => void> = [];
  const chat = {
    sendBatch: (_requestId: string, roomId: string, sends: BatchedSend[]) =>
      new Promise<Array<SendResult | AppError>>((answer, fail) => {
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
const resultFor = (send: BatchedSend, seq: number): SendResult => ({ message: messageFor(send, seq), repeated: false });

test('when a room is quiet, a send goes out at once on its own', async (t) => {
  const { chat, nextCall } = fakeChat();
  const coalesced = coalescingSends(chat);
  const sent = coalesced.send(caller('a'), 'room', { body: 'hi', clientMsgId: 'c1' });
  const call = await nextCall(1);
  t.deepEqual(
    call.sends.map((s) => s.body),
    ['hi'],
  );
  call.answer([resultFor(call.sends[0]!, 1)]);
  t.is((await sent).message.seq, 1);
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
  firstCall.answer([resultFor(firstCall.sends[0]!, 1)]);
  await first;
  const batch = await nextCall(3);
  t.deepEqual(
    batch.sends.map((s) => s.body),
    ['two', 'three', 'four'],
  );
  batch.answer([resultFor(batch.sends[0]!, 2), forbidden('Only members of this room can send messages'), resultFor(batch.sends[2]!, 3)]);
  const outcomes = await Promise.allSettled(later);
  t.deepEqual(
    outcomes.map((o) => (o.status === 'fulfilled' ? o.value.message.seq : (o.reason as AppError).code)),
    [2, 'forbidden', 3],
  );
  calls[1]!.answer([resultFor(calls[1]!.sends[0]!, 1)]);
  await elsewhere;
});

test('when more is queued than one call may carry, it goes out in several calls, by count and by bytes', async (t) => {
  const { chat, nextCall } = fakeChat();
  const coalesced = coalescingSends(chat, { maxBatch: 3, maxBatchBytes: 2_000 });
  const sends = [coalesced.send(caller('a'), 'room', { body: 'first', clientMsgId: 'c0' })];
  const firstCall = await nextCall(1);
  const bodies = ['a', 'b', 'c', 'd', 'x'.repeat(1_500), 'y'.repeat(1_500)];
  sends.push(...bodies.map((body, i) => coalesced.send(caller('a'), 'room', { body, clientMsgId: `c${i + 1}` })));
  let seq = 0;
  const answer = (call: Call) => call.answer(call.sends.map((send) => resultFor(send, ++seq)));
  answer(firstCall);
  const sizes: number[] = [];
  for (let n = 2; sizes.reduce((a, b) => a + b, 0) < bodies.length; n++) {
    const call = await nextCall(n);
    sizes.push(call.sends.length);
    answer(call);
  }
  t.deepEqual(sizes, [3, 2, 1]);
  t.deepEqual(
    (await Promise.all(sends)).map((r) => r.message.seq),
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
  secondCall.answer([resultFor(secondCall.sends[0]!, 1)]);
  t.is((await second).message.seq, 1);
});

/** A chat-service that answers every call at once, and keeps each call's request body as it goes on the wire. */
function answeringChat(refuse: (sends: BatchedSend[]) => AppError | undefined = () => undefined) {
  const requests: Array<{ bytes: number; sends: BatchedSend[] }> = [];
  let seq = 0;
  const chat = {
    async sendBatch(_requestId: string, _roomId: string, sends: BatchedSend[]) {
      requests.push({ bytes: Buffer.byteLength(JSON.stringify(sendBatchRequest(sends))), sends });
      await new Promise((resolve) => setImmediate(resolve));
      const refused = refuse(sends);
      if (refused) throw refused;
      return sends.map((send) => resultFor(send, ++seq));
    },
  } as unknown as ChatApi;
  return { chat, requests };
}

const author = '3f0b9c1e-6a2d-4c8e-9f57-1d2e3a4b5c6d';
const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
/** Characters that take the most bytes in JSON text: a lone surrogate is escaped to 6 (`\ud800`), like a control character. */
const WORST = { body: '\uD800'.repeat(4000), clientMsgId: '\uD800'.repeat(64) };

test("when bodies are made of what JSON escapes or UTF-8 widens, every call's request, as sent, stays within the bound", async (t) => {
  const { chat, requests } = answeringChat();
  const coalesced = coalescingSends(chat);
  const bodies = [
    '\u0001'.repeat(10_000), // refused at the socket (MessageBody), but sized right whatever reaches the coalescer
    '"'.repeat(4000),
    '\\'.repeat(4000),
    '😀'.repeat(4000),
    `a${'\n\t'.repeat(1999)}a`,
    '\u2028'.repeat(4000),
    WORST.body,
    'plain',
  ];
  const sends = Array.from({ length: 40 }, (_, i) =>
    coalesced.send({ userId: author, requestId: `r${i}` }, 'room', {
      body: bodies[i % bodies.length]!,
      clientMsgId: i % 5 === 0 ? WORST.clientMsgId : `c${i}`,
    }),
  );
  const results = await Promise.all(sends);
  t.is(results.length, 40);
  // Only a send larger than the bound by itself (10 000 control characters: 60 000 bytes) goes over it, and alone.
  t.true(
    requests.every((r) => r.bytes <= SEND_COALESCING.maxBatchBytes || (r.sends.length === 1 && r.sends[0]!.body.startsWith('\u0001'))),
    JSON.stringify(requests.map((r) => [r.sends.length, r.bytes])),
  );
  t.true(
    requests.some((r) => r.sends.length > 1),
    'sends still share calls',
  );
  t.is(
    requests.reduce((n, r) => n + r.sends.length, 0),
    40,
  );
});

test("the largest valid send fits a call, and a call's bound leaves a quarter of what chat-service reads spare", (t) => {
  // The largest send the socket lets through: 4000 code points at 6 bytes each once escaped, the longest clientMsgId, a trace.
  t.true(check(SocketPayloads['message:send'], { roomId: author, body: WORST.body, clientMsgId: WORST.clientMsgId }).ok);
  for (const body of ['😀'.repeat(4000), '"'.repeat(4000), '\\'.repeat(4000)]) t.true(check(MessageBody, body).ok);
  const largest = Buffer.byteLength(
    JSON.stringify(
      sendBatchRequest([{ caller: { userId: author, requestId: 'r' }, body: WORST.body, clientMsgId: WORST.clientMsgId, traceparent: TRACEPARENT }]),
    ),
  );
  t.true(largest <= SEND_COALESCING.maxBatchBytes, `the largest valid send (${largest} bytes) fits one call`);
  t.true(SEND_COALESCING.maxBatchBytes <= JSON_LIMIT_BYTES * 0.75, "a call's bound is below chat-service's request limit, with margin");
});

test('when a call is refused as a whole for something in its request, each of its sends goes again alone, and only the one at fault fails', async (t) => {
  // chat-service refuses a request holding the poisoned body as a whole; alone, that send is refused on its own.
  const poisoned = (sends: BatchedSend[]) => sends.some((s) => s.body === 'poison');
  const { chat, requests } = answeringChat((sends) =>
    poisoned(sends)
      ? sends.length > 1
        ? new AppError('payload_too_large', 'The body is larger than 65536 bytes')
        : new AppError('validation_failed', 'The request is not valid')
      : undefined,
  );
  const coalesced = coalescingSends(chat);
  const send = (userId: string, body: string, i: number) => coalesced.send({ userId, requestId: `r${i}` }, 'room', { body, clientMsgId: `c${i}` });
  const first = send('victim', 'first', 0);
  // Queued while the first call is under way: one call, refused as a whole.
  const later = ['mine', 'poison', 'yours', 'ours'].map((body, i) => send(body === 'poison' ? 'attacker' : 'victim', body, i + 1));
  const outcomes = await Promise.allSettled([first, ...later]);
  t.deepEqual(
    outcomes.map((o) => (o.status === 'fulfilled' ? o.value.message.body : (o.reason as AppError).code)),
    ['first', 'mine', 'validation_failed', 'yours', 'ours'],
  );
  t.deepEqual(
    requests.map((r) => r.sends.map((s) => s.body)),
    [['first'], ['mine', 'poison', 'yours', 'ours'], ['mine'], ['poison'], ['yours'], ['ours']],
  );
  // The room goes on batching afterwards.
  const again = [send('victim', 'a', 9), send('victim', 'b', 10), send('victim', 'c', 11)];
  await Promise.all(again);
  t.deepEqual(
    requests.slice(6).map((r) => r.sends.length),
    [1, 2],
  );
});
