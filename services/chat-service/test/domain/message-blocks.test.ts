import test from 'ava';
import { keys } from '../../src/domain/keys.js';
import { BLOCK_SIZE, type MessageBlock } from '../../src/domain/message-blocks.js';
import type { Message, RoomHead } from '../../src/domain/model.js';
import { memoryChat, uid } from '../helpers/index.js';

type Chat = ReturnType<typeof memoryChat>;

async function privateRoom(chat: Chat, members: string[]) {
  const [owner, ...others] = members;
  return chat.rooms.create(owner!, { name: 'blocks', visibility: 'private', memberIds: others });
}

async function everything(chat: Chat, userId: string, roomId: string): Promise<Message[]> {
  const out: Message[] = [];
  for (let after = 0; ;) {
    const page = await chat.messages.history(userId, roomId, { after, limit: 100 });
    out.push(...page.messages);
    after = page.messages.at(-1)?.seq ?? after;
    if (!page.hasMore) return out;
  }
}

test('when pages start anywhere in a room of several blocks, every page is the exact slice, whichever direction', async (t) => {
  const chat = memoryChat({ batchMax: 7, windowSize: 3 });
  const [author] = [uid()];
  const room = await privateRoom(chat, [author]);
  const total = 3 * BLOCK_SIZE + 5;
  const sent: Message[] = [];
  for (let i = 0; i < total; i += 10) {
    sent.push(
      ...(await Promise.all(
        Array.from({ length: Math.min(10, total - i) }, (_, j) => chat.sequencer.send({ roomId: room.id, authorId: author, body: `m${i + j}` })),
      )),
    );
  }
  sent.sort((a, b) => a.seq - b.seq);
  t.deepEqual(await everything(chat, author, room.id), sent);
  for (const cursor of [1, BLOCK_SIZE, BLOCK_SIZE + 1, 2 * BLOCK_SIZE - 1, total - 1, total, total + 1, total + 500]) {
    for (const limit of [1, 50, 100]) {
      const after = await chat.messages.history(author, room.id, { after: cursor, limit });
      t.deepEqual(after.messages, sent.filter((m) => m.seq > cursor).slice(0, limit), `after ${cursor}, limit ${limit}`);
      const before = await chat.messages.history(author, room.id, { before: cursor, limit });
      const expected = cursor > total + 1 ? sent.slice(-limit) : sent.filter((m) => m.seq < cursor).slice(-limit);
      t.deepEqual(before.messages, expected, `before ${cursor}, limit ${limit}`);
    }
  }
  const stored = [...chat.store.data.keys()].filter((key) => key.startsWith(`msgs:${room.id}:`));
  t.is(stored.length, Math.ceil(total / BLOCK_SIZE), 'one key per block of the room, none per message');
});

test('when edits and deletions race sends into the same block from two replicas, none is undone and no message is lost', async (t) => {
  const chat = memoryChat({ batchMax: 3, windowSize: 2 });
  const other = chat.replica();
  const [owner, author] = [uid(), uid()];
  const room = await privateRoom(chat, [owner, author]);
  const early = await Promise.all([1, 2, 3, 4].map((i) => chat.sequencer.send({ roomId: room.id, authorId: author, body: `early ${i}` })));
  const [toEdit, toDelete] = early.sort((a, b) => a.seq - b.seq);
  const sends = Array.from({ length: 40 }, (_, i) => (i % 2 ? chat : other).sequencer.send({ roomId: room.id, authorId: author, body: `later ${i}` }));
  const changes = [chat.messages.edit(author, room.id, toEdit!.seq, 'edited while others were sent'), other.messages.remove(owner, room.id, toDelete!.seq)];
  await Promise.all([...sends, ...changes]);
  const history = await everything(chat, author, room.id);
  t.deepEqual(
    history.map((m) => m.seq),
    Array.from({ length: 44 }, (_, i) => i + 1),
  );
  t.like(history[toEdit!.seq - 1], { body: 'edited while others were sent' });
  t.like(history[toDelete!.seq - 1], { deleted: true, body: '' });
  t.true(chat.store.conflicts > 0, 'the writers did race');
});

test('when a room holds messages stored one key each (before blocks), history reads them, and an edit moves the message into its block', async (t) => {
  const chat = memoryChat();
  const [author] = [uid()];
  const room = await privateRoom(chat, [author]);
  // The layout of an earlier version: one key per message, nothing in blocks.
  const legacy: Message[] = Array.from({ length: 40 }, (_, i) => ({
    id: uid(),
    roomId: room.id,
    seq: i + 1,
    authorId: author,
    body: `old ${i + 1}`,
    createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
  }));
  for (const message of legacy) await chat.store.put(keys.legacyMessage(room.id, message.seq), message);
  const head = await chat.store.get<RoomHead>(keys.head(room.id));
  await chat.store.put(keys.head(room.id), { ...head!.value, lastSeq: 40, lastMessageAt: legacy.at(-1)!.createdAt, window: [] }, { etag: head!.etag });

  const next = await chat.sequencer.send({ roomId: room.id, authorId: author, body: 'new' });
  t.is(next.seq, 41);
  t.deepEqual(await everything(chat, author, room.id), [...legacy, next]);
  t.deepEqual((await chat.messages.history(author, room.id, { before: 20, limit: 5 })).messages, legacy.slice(14, 19));

  const edited = await chat.messages.edit(author, room.id, 3, 'old 3, edited');
  t.like(edited, { seq: 3, body: 'old 3, edited' });
  t.like(
    chat.store.dump<MessageBlock>(keys.messageBlock(room.id, 0))?.messages.find((m) => m.seq === 3),
    { body: 'old 3, edited' },
  );
  t.like((await chat.messages.history(author, room.id, { after: 2, limit: 1 })).messages[0], { seq: 3, body: 'old 3, edited' });
  t.is((await t.throwsAsync(chat.messages.edit(author, room.id, 42, 'none')))?.message, 'No message with this seq in this room');
});

test('when a page back in history is wholly in its blocks, only members read it: a stranger gets 403 in a public room and 404 in a private one', async (t) => {
  const chat = memoryChat({ batchMax: 8, windowSize: 2 });
  const [owner, stranger] = [uid(), uid()];
  const open = await chat.rooms.create(owner, { name: 'open', visibility: 'public', memberIds: [] });
  const closed = await privateRoom(chat, [owner]);
  for (const room of [open, closed]) {
    for (let i = 0; i < 3; i++) {
      await Promise.all(Array.from({ length: 8 }, (_, j) => chat.sequencer.send({ roomId: room.id, authorId: owner, body: `m${i * 8 + j}` })));
    }
    t.is((await chat.messages.history(owner, room.id, { before: 20, limit: 10 })).messages.length, 10);
  }
  const codeOf = async (roomId: string) =>
    ((await t.throwsAsync(chat.messages.history(stranger, roomId, { before: 20, limit: 10 }))) as { code?: string }).code;
  t.is(await codeOf(open.id), 'forbidden');
  t.is(await codeOf(closed.id), 'not_found');
});

test('when a room is opened again, its newest page is one read of the store, and still the exact newest page after sends moved it into another block', async (t) => {
  const chat = memoryChat({ batchMax: 8, windowSize: 3 });
  const [author] = [uid()];
  const room = await privateRoom(chat, [author]);
  const sent: Message[] = [];
  async function sendMany(count: number) {
    for (let i = 0; i < count; i += 8) {
      const batch = Array.from({ length: Math.min(8, count - i) }, (_, j) =>
        chat.sequencer.send({ roomId: room.id, authorId: author, body: `m${sent.length + i + j}` }),
      );
      sent.push(...(await Promise.all(batch)));
    }
    sent.sort((a, b) => a.seq - b.seq);
    await chat.sequencer.idle();
  }
  // The history's reads: the head and member list with blocks, or blocks alone (the outbox relay and the
  // sequencer read other keys beside them).
  const block = (key: string) => key.startsWith(`msgs:${room.id}:`);
  const historyRead = (asked: string[]) =>
    asked.every((key) => key === keys.head(room.id) || key === keys.members(room.id) || block(key)) &&
    (asked.includes(keys.members(room.id)) || asked.every(block));
  const getMany = chat.store.getMany.bind(chat.store);
  let reads = 0;
  chat.store.getMany = (asked) => {
    if (historyRead(asked)) reads++;
    return getMany(asked);
  };
  async function newest(query: { before?: number } = {}) {
    reads = 0;
    const page = await chat.messages.history(author, room.id, { limit: 50, ...query });
    t.deepEqual(page.messages, sent.slice(-50));
    return reads;
  }

  await sendMany(2 * BLOCK_SIZE + 3);
  t.is(await newest(), 2, 'the first time: the head, then the blocks it names');
  t.is(await newest(), 1, 'again: the blocks are read along with the head');
  t.is(await newest({ before: 10_000 }), 2, 'a cursor past the end names its own blocks, then the newest are read');
  await sendMany(BLOCK_SIZE);
  t.is(await newest(), 2, 'the room moved on by a block: the block the guess missed is read after');
  t.is(await newest(), 1);
  t.deepEqual(
    (await chat.messages.history(author, room.id, { before: 40, limit: 10 })).messages,
    sent.slice(29, 39),
    'a page further back is its own read, as before',
  );
});
