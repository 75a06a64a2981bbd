import test from 'ava';
import { isAppError } from '@chat/platform';
import { keys } from '../../src/domain/keys.js';
import type { MessageBlock } from '../../src/domain/message-blocks.js';
import type { Message, RoomHead } from '../../src/domain/model.js';
import { memoryChat, uid } from '../helpers/index.js';

async function roomWith(chat: ReturnType<typeof memoryChat>, members: string[], visibility: 'public' | 'private' = 'private') {
  const [owner, ...others] = members;
  return chat.rooms.create(owner!, { name: 'general', visibility, memberIds: others });
}

test('when senders on two replicas race into one room, seq is 1..N without gaps and history equals what was acknowledged', async (t) => {
  const chat = memoryChat({ batchMax: 4, windowSize: 3 });
  const other = chat.replica();
  const users = [uid(), uid(), uid(), uid()];
  const room = await roomWith(chat, users);
  const sends = Array.from({ length: 120 }, (_, i) =>
    (i % 2 === 0 ? chat : other).sequencer.send({ roomId: room.id, authorId: users[i % 4]!, body: `m${i}`, clientMsgId: `c${i}` }),
  );
  const acked = await Promise.all(sends);
  t.deepEqual(
    acked.map((m) => m.seq).sort((a, b) => a - b),
    Array.from({ length: 120 }, (_, i) => i + 1),
  );
  const history: Message[] = [];
  for (let after = 0; ;) {
    const page = await chat.messages.history(users[0]!, room.id, { after, limit: 50 });
    history.push(...page.messages);
    after = page.messages.at(-1)?.seq ?? after;
    if (!page.hasMore) break;
  }
  t.deepEqual(
    history,
    [...acked].sort((a, b) => a.seq - b.seq),
  );
  t.true(chat.store.conflicts > 0, 'the two replicas did race for the head');
});

test('when the same clientMsgId is sent again, in one batch, across replicas, or long after, the first message is answered', async (t) => {
  const chat = memoryChat({ batchMax: 8, windowSize: 2 });
  const other = chat.replica();
  const [author, reader] = [uid(), uid()];
  const room = await roomWith(chat, [author, reader]);
  const send = (replica: typeof chat | typeof other, clientMsgId: string, body = 'hello') =>
    replica.sequencer.send({ roomId: room.id, authorId: author, body, clientMsgId });

  const [a, b, c] = await Promise.all([send(chat, 'x'), send(chat, 'x'), send(other, 'x')]);
  t.deepEqual(b, a);
  t.deepEqual(c, a);
  // Push the first message out of the head's window, then repeat it.
  for (let i = 0; i < 10; i++) await send(chat, `fill-${i}`);
  const head = chat.store.dump<RoomHead>(keys.head(room.id))!;
  t.false(head.window.some((m) => m.id === a.id));
  t.deepEqual(await send(other, 'x', 'a different body'), a);
  // The same clientMsgId from another author is another message.
  const theirs = await chat.sequencer.send({ roomId: room.id, authorId: reader, body: 'mine', clientMsgId: 'x' });
  t.not(theirs.id, a.id);
  const page = await chat.messages.history(author, room.id, { limit: 100 });
  t.is(page.messages.filter((m) => m.clientMsgId === 'x').length, 2);
  t.is(page.messages.length, head.lastSeq + 1);
});

test('when a send is answered, it says whether this send stored the message or an earlier send of its clientMsgId did', async (t) => {
  const chat = memoryChat({ batchMax: 8, windowSize: 2 });
  const other = chat.replica();
  const [author, reader] = [uid(), uid()];
  const room = await roomWith(chat, [author, reader]);
  const send = (replica: typeof chat | typeof other, clientMsgId: string | undefined, body = 'hello') =>
    replica.sequencer.sendOrRepeat({ roomId: room.id, authorId: author, body, clientMsgId });

  // In one batch: the first stores it, the one riding on it is a repeat.
  const [first, twin] = await Promise.all([send(chat, 'x'), send(chat, 'x')]);
  t.deepEqual(first, { message: first.message, repeated: false });
  t.deepEqual(twin, { message: first.message, repeated: true });
  // From the head's window, on another replica.
  t.deepEqual(await send(other, 'x', 'changed'), { message: first.message, repeated: true });
  // Long after, from the idempotency key.
  for (let i = 0; i < 6; i++) t.false((await send(chat, `fill-${i}`)).repeated);
  t.false(chat.store.dump<RoomHead>(keys.head(room.id))!.window.some((m) => m.id === first.message.id));
  t.deepEqual(await send(other, 'x'), { message: first.message, repeated: true });
  // Without a clientMsgId every send is new, and the same id from another author is another message.
  t.false((await send(chat, undefined)).repeated);
  t.like(await chat.sequencer.sendOrRepeat({ roomId: room.id, authorId: reader, body: 'mine', clientMsgId: 'x' }), { repeated: false });
});

test('when a commit is never materialized, readers use the head window and the next commit stores it', async (t) => {
  const chat = memoryChat({ batchMax: 1, windowSize: 0 });
  const [author] = [uid()];
  const room = await roomWith(chat, [author]);
  let failing = true;
  chat.store.beforeWrite = (key) => {
    if (failing && key.startsWith('msgs:')) throw new Error('the sidecar went away');
  };
  const first = await chat.sequencer.send({ roomId: room.id, authorId: author, body: 'one' });
  await chat.sequencer.idle();
  t.is(chat.store.dump(keys.messageBlock(room.id, 0)), undefined);
  t.deepEqual((await chat.messages.history(author, room.id, { limit: 10 })).messages, [first]);
  failing = false;
  const second = await chat.sequencer.send({ roomId: room.id, authorId: author, body: 'two' });
  await chat.sequencer.idle();
  t.deepEqual(chat.store.dump<MessageBlock>(keys.messageBlock(room.id, 0))?.messages, [first, second]);
  t.deepEqual((await chat.messages.history(author, room.id, { after: 0, limit: 10 })).messages, [first, second]);
});

test("when a send is answered, the commit is made but its block, key and the sender's marker may still be on their way: history, the room list, a repeat and an edit see it meanwhile", async (t) => {
  const chat = memoryChat();
  const [alice, bob] = [uid(), uid()];
  const room = await roomWith(chat, [alice, bob]);
  const before = await chat.sequencer.send({ roomId: room.id, authorId: bob, body: 'before' });
  await chat.sequencer.idle();
  // Hold every write after the commit (blocks, idempotency keys, read markers) until released.
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const held = new Set<string>();
  chat.store.beforeWrite = async (key) => {
    if (!/^(msgs|idem|read):/.test(key)) return;
    held.add(key);
    await released;
  };
  const sent = await chat.sequencer.send({ roomId: room.id, authorId: alice, body: 'hello', clientMsgId: 'c1' });
  t.deepEqual(chat.store.dump<MessageBlock>(keys.messageBlock(room.id, 0))?.messages, [before], 'answered before its block is written');
  t.deepEqual((await chat.messages.history(bob, room.id, { limit: 10 })).messages, [before, sent]);
  t.like((await chat.rooms.list(alice))[0], { lastSeq: 2, unread: 0 }, 'her own message is not unread to her');
  t.like((await chat.rooms.list(bob))[0], { lastSeq: 2, unread: 1 });
  // A repeat and an edit go on once the writes are made; neither makes a second copy.
  const repeat = chat.sequencer.send({ roomId: room.id, authorId: alice, body: 'hello', clientMsgId: 'c1' });
  const edit = chat.messages.edit(alice, room.id, sent.seq, 'hello, edited');
  t.deepEqual(chat.store.dump<MessageBlock>(keys.messageBlock(room.id, 0))?.messages, [before]);
  t.true(held.has(keys.messageBlock(room.id, 0)) && held.has(keys.readMarker(room.id, alice)), 'the writes after the commit were held');
  release();
  t.deepEqual(await repeat, sent);
  const edited = await edit;
  await chat.sequencer.idle();
  t.deepEqual(chat.store.dump<MessageBlock>(keys.messageBlock(room.id, 0))?.messages, [before, edited]);
  t.deepEqual(chat.store.dump(keys.readMarker(room.id, alice)), { seq: sent.seq });
});

test('when the writes after a commit throw (a block the store holds is not a block), the send is still answered and nothing is left unhandled', async (t) => {
  const chat = memoryChat();
  const [author] = [uid()];
  const room = await roomWith(chat, [author]);
  chat.store.data.set(keys.messageBlock(room.id, 0), { value: { damaged: true }, version: 1 });
  const sent = await chat.sequencer.send({ roomId: room.id, authorId: author, body: 'still answered' });
  await chat.sequencer.idle();
  t.like(sent, { seq: 1, body: 'still answered' });
  t.like(chat.store.dump<RoomHead>(keys.head(room.id)), { lastSeq: 1 });
});

test('when a non-member sends, a public room answers 403 and a private one 404', async (t) => {
  const chat = memoryChat();
  const [owner, stranger] = [uid(), uid()];
  const open = await roomWith(chat, [owner], 'public');
  const closed = await roomWith(chat, [owner], 'private');
  const refused = async (roomId: string) => {
    const error = await t.throwsAsync(chat.sequencer.send({ roomId, authorId: stranger, body: 'hi' }));
    return isAppError(error) ? error.code : undefined;
  };
  t.is(await refused(open.id), 'forbidden');
  t.is(await refused(closed.id), 'not_found');
  t.is(await refused(uid()), 'not_found');
});

test('when a member sends, the message.created events come in seq order and the sender has no unread', async (t) => {
  const chat = memoryChat({ batchMax: 3 });
  const [author, reader] = [uid(), uid()];
  const room = await roomWith(chat, [author, reader]);
  await Promise.all(Array.from({ length: 7 }, (_, i) => chat.sequencer.send({ roomId: room.id, authorId: author, body: `m${i}` })));
  await chat.outbox.idle();
  const created = chat.publisher.events.filter((e) => e.topic === 'message.created').map((e) => (e.data as Message).seq);
  t.deepEqual(created, [1, 2, 3, 4, 5, 6, 7]);
  const [mine] = await chat.rooms.list(author);
  const [theirs] = await chat.rooms.list(reader);
  t.like(mine, { id: room.id, lastSeq: 7, unread: 0, role: 'owner' });
  t.like(theirs, { id: room.id, lastSeq: 7, unread: 7, role: 'member' });
});

test('when sends to one room are made together (a batch from the gateway), one head write commits them all', async (t) => {
  const chat = memoryChat({ batchMax: 32 });
  const users = [uid(), uid()];
  const room = await roomWith(chat, users);
  const before = chat.sequencer.stats.commits;
  const acked = await Promise.all(Array.from({ length: 20 }, (_, i) => chat.sequencer.send({ roomId: room.id, authorId: users[i % 2]!, body: `m${i}` })));
  t.deepEqual(
    acked.map((m) => m.seq),
    Array.from({ length: 20 }, (_, i) => i + 1),
  );
  t.is(chat.sequencer.stats.commits - before, 1);
});

test('with the defaults a whole batch of the gateway (100 sends) is one commit; a commit takes at most batchBytes of bodies, and a larger message alone', async (t) => {
  const chat = memoryChat();
  const users = [uid(), uid()];
  const room = await roomWith(chat, users);
  const send = (body: string) => chat.sequencer.send({ roomId: room.id, authorId: users[0]!, body });
  let before = chat.sequencer.stats.commits;
  await Promise.all(Array.from({ length: 100 }, (_, i) => send(`m${i}`)));
  t.is(chat.sequencer.stats.commits - before, 1, 'not split as 32 + 32 + 32 + 4');

  const bounded = memoryChat({ batchBytes: 1_000 });
  const boundedRoom = await roomWith(bounded, users);
  before = bounded.sequencer.stats.commits;
  const sent = await Promise.all(
    ['a'.repeat(400), 'b'.repeat(400), 'c'.repeat(400), 'd'.repeat(3_000), 'é'.repeat(300), 'f'.repeat(300)].map((body) =>
      bounded.sequencer.send({ roomId: boundedRoom.id, authorId: users[0]!, body }),
    ),
  );
  t.deepEqual(
    sent.map((m) => m.seq),
    [1, 2, 3, 4, 5, 6],
  );
  // a+b (800 bytes), c alone (c+d would pass 1,000), d alone (larger than the bound), é (600 bytes in UTF-8) + f.
  t.is(bounded.sequencer.stats.commits - before, 4);
});

test("when a sender was up to date, their send moves their marker unannounced; when it passes others' messages, read.updated rides with the message", async (t) => {
  const chat = memoryChat();
  const [alice, bob] = [uid(), uid()];
  const room = await roomWith(chat, [alice, bob]);
  // To the real-time edge inside the commit's message.created; `events` gets no read.updated of its own for a send.
  const readsWithMessages = () => chat.publisher.events.filter((e) => e.topic === 'message.created').flatMap((e) => e.reads ?? []);
  const readEvents = () => chat.publisher.events.filter((e) => e.topic === 'read.updated');
  await chat.sequencer.send({ roomId: room.id, authorId: alice, body: 'one' });
  await chat.sequencer.send({ roomId: room.id, authorId: alice, body: 'two' });
  await chat.outbox.idle();
  t.deepEqual(readsWithMessages(), [], 'sending in turn, up to date: the messages say it');
  await chat.sequencer.send({ roomId: room.id, authorId: bob, body: 'three' });
  await chat.outbox.idle();
  // Bob had not read one and two: his marker passed them.
  t.deepEqual(readsWithMessages(), [{ roomId: room.id, userId: bob, seq: 3 }]);
  t.deepEqual(readEvents(), []);
  t.is((await chat.rooms.list(bob))[0]?.unread, 0);
});

test('when the one write after a commit loses a race (its block edited, the sender marking read since step 2), each write is made again alone and nothing is lost', async (t) => {
  const chat = memoryChat();
  const [alice, bob] = [uid(), uid()];
  const room = await roomWith(chat, [alice, bob]);
  const first = await chat.sequencer.send({ roomId: room.id, authorId: bob, body: 'one', clientMsgId: 'one' });
  await chat.sequencer.idle();
  const block = keys.messageBlock(room.id, 0);
  const marker = keys.readMarker(room.id, alice);
  let raced = 0;
  chat.store.beforeWrite = (key) => {
    // Another writer gets there between the commit's read and its write: the block changes, and Alice reads on another device.
    if (raced >= 2 || (key !== block && key !== marker)) return;
    raced++;
    const current = chat.store.data.get(key);
    chat.store.data.set(key, { value: current?.value ?? { seq: first.seq }, version: (current?.version ?? 0) + 1 });
  };
  const second = await chat.sequencer.send({ roomId: room.id, authorId: alice, body: 'two', clientMsgId: 'two' });
  await chat.sequencer.idle();
  t.is(raced, 2);
  t.true(chat.store.conflicts > 0);
  t.deepEqual(chat.store.dump<MessageBlock>(block)?.messages, [first, second]);
  t.deepEqual(chat.store.dump(marker), { seq: second.seq });
  t.is((await chat.rooms.list(alice))[0]?.unread, 0);
  // The idempotency key was written too: a repeat long after is answered with the same message.
  for (let i = 0; i < 10; i++) await chat.sequencer.send({ roomId: room.id, authorId: bob, body: `pushing ${i}` });
  t.deepEqual(await chat.sequencer.send({ roomId: room.id, authorId: alice, body: 'two', clientMsgId: 'two' }), second);
});

test("when a replica made the room's last commit, its next commit reads once; after another replica's commit it reads again, and repeats are still found", async (t) => {
  // The relay never writes the head by itself here (the commits carry its marker): no lost race adds reads.
  const chat = memoryChat({ windowSize: 2 }, undefined, { markDelayMs: 60_000, sweepMs: 60_000 });
  const other = chat.replica();
  const [alice, bob] = [uid(), uid()];
  const room = await roomWith(chat, [alice, bob]);
  // The commits' reads only: they ask for the member list (step 1) or idempotency keys (step 2); the outbox relay's never do.
  let reads = 0;
  const getMany = chat.store.getMany.bind(chat.store);
  chat.store.getMany = (keyList) => {
    if (keyList.some((key) => key === keys.members(room.id) || key.startsWith(`idem:${room.id}:`))) reads++;
    return getMany(keyList);
  };
  const readsFor = async (send: () => Promise<Message>) => {
    const before = reads;
    const message = await send();
    return { message, reads: reads - before };
  };
  // A lane that knows nothing yet reads the head, then step 2's keys.
  t.is((await readsFor(() => chat.sequencer.send({ roomId: room.id, authorId: alice, body: 'one', clientMsgId: 'one' }))).reads, 2);
  for (const body of ['two', 'three', 'four']) {
    t.is((await readsFor(() => chat.sequencer.send({ roomId: room.id, authorId: alice, body, clientMsgId: body }))).reads, 1, body);
  }
  // Another replica commits: this one's next commit finds the head moved on and reads after it.
  await other.sequencer.send({ roomId: room.id, authorId: bob, body: 'five', clientMsgId: 'five' });
  const six = await readsFor(() => chat.sequencer.send({ roomId: room.id, authorId: alice, body: 'six', clientMsgId: 'six' }));
  t.is(six.reads, 2);
  t.is(six.message.seq, 6);
  // 'one' left the window long ago: its repeat is answered from its idempotency key, on the read-ahead path too.
  const again = await readsFor(() => chat.sequencer.send({ roomId: room.id, authorId: alice, body: 'one', clientMsgId: 'one' }));
  t.is(again.message.seq, 1);
  t.is((await chat.sequencer.send({ roomId: room.id, authorId: alice, body: 'seven' })).seq, 7);
  await chat.outbox.idle();
});
