import test from 'ava';
import { createMemoryStateStore } from '../../src/adapters/memory/state-store.js';
import { keys, outboxShardOf } from '../../src/domain/keys.js';
import type { Message, RoomHead } from '../../src/domain/model.js';
import type { OutboxOptions, OutboxShard } from '../../src/domain/outbox.js';
import { memoryChat, uid } from '../helpers/index.js';

// The outbox and its relay (src/domain/outbox.ts) over the in-memory
// adapters: a broker that is down, a replica that dies between its commit
// and its publish, two replicas sharing a room, and the index's cleanup
// racing a commit.

type Chat = ReturnType<typeof memoryChat>;

async function until(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function room(chat: Chat, members: string[]): Promise<string> {
  const created = await chat.rooms.create(members[0]!, { name: 'general', visibility: 'private', memberIds: members.slice(1) });
  return created.id;
}

const head = (chat: Chat, roomId: string) => chat.store.dump<RoomHead>(keys.head(roomId))!;
const listed = (chat: Chat, roomId: string) => Boolean(chat.store.dump<OutboxShard>(keys.outboxShard(outboxShardOf(roomId)))?.rooms[roomId]);
/** Seqs of every message.created the broker took, duplicates included. */
const createdSeqs = (chat: Chat, roomId: string) =>
  chat.publisher.events.filter((e) => e.topic === 'message.created' && e.roomId === roomId).map((e) => (e.data as Message).seq);
/** A room with one message, published and marked. */
async function publishedRoom(outbox: Partial<OutboxOptions> = {}) {
  const chat = memoryChat({}, createMemoryStateStore(), outbox);
  const author = uid();
  const roomId = await room(chat, [author]);
  await chat.sequencer.send({ roomId, authorId: author, body: 'first' });
  await until(() => head(chat, roomId).publishedSeq === 1, 'the first message to be marked');
  await chat.outbox.idle();
  return { chat, author, roomId };
}
const distinctSorted = (seqs: number[]) => [...new Set(seqs)].sort((a, b) => a - b);
const oneTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

test('when the broker is down, sends are still acknowledged, and once it is back every message is published and the marker reaches lastSeq', async (t) => {
  const chat = memoryChat({ batchMax: 4 });
  const author = uid();
  const roomId = await room(chat, [author, uid()]);
  chat.publisher.down = true;
  const acked = await Promise.all(oneTo(20).map((n) => chat.sequencer.send({ roomId, authorId: author, body: `m${n}`, clientMsgId: `c${n}` })));
  t.deepEqual(
    acked.map((m) => m.seq).sort((a, b) => a - b),
    oneTo(20),
  );
  t.like(head(chat, roomId), { lastSeq: 20, publishedSeq: 0 });
  t.true(listed(chat, roomId), 'the room is in the index before its first commit');
  await until(() => chat.publisher.refused > 0, 'a refused publish');

  chat.publisher.down = false;
  await until(() => head(chat, roomId).publishedSeq === 20, 'the marker to reach 20');
  t.deepEqual(distinctSorted(createdSeqs(chat, roomId)), oneTo(20));
  t.true(chat.outbox.stats.publishFailures > 0);
  t.is(chat.outbox.backlog, 0);
});

test('when a replica dies between its commits and their publish, a replica that starts afterwards publishes them from the head', async (t) => {
  const chat = memoryChat({ batchMax: 2, windowSize: 2 });
  const author = uid();
  const roomId = await room(chat, [author]);
  chat.publisher.down = true;
  await Promise.all(oneTo(9).map((n) => chat.sequencer.send({ roomId, authorId: author, body: `m${n}` })));
  // The crash: what was queued in memory is gone (close gives up at once while the broker is down).
  await chat.outbox.close();
  t.is(createdSeqs(chat, roomId).length, 0);
  t.like(head(chat, roomId), { lastSeq: 9, publishedSeq: 0 });
  // Only 2 + the last commit's are still in the head's window: the rest come from the message keys.
  t.true(head(chat, roomId).window.length < 9);

  chat.publisher.down = false;
  const restarted = chat.replica();
  restarted.outbox.start();
  t.teardown(() => restarted.outbox.close());
  await until(() => head(chat, roomId).publishedSeq === 9, 'the restarted replica to publish and mark');
  t.deepEqual(distinctSorted(createdSeqs(chat, roomId)), oneTo(9));
  t.is(restarted.outbox.stats.takenOver, 9);
  const bodies = chat.publisher.events.filter((e) => e.topic === 'message.created').map((e) => (e.data as Message).body);
  t.deepEqual(
    bodies,
    oneTo(9).map((n) => `m${n}`),
  );
});

test('when another replica is still within its grace, a sweep leaves its pending messages to it', async (t) => {
  const chat = memoryChat({}, createMemoryStateStore(), { graceMs: 60_000 });
  const other = chat.replica();
  const author = uid();
  const roomId = await room(chat, [author]);
  chat.publisher.down = true;
  await chat.sequencer.send({ roomId, authorId: author, body: 'young' });
  chat.publisher.down = false;
  await other.outbox.sweep();
  t.is(other.outbox.stats.takenOver, 0);
  // The committer publishes it itself once the broker takes it.
  await until(() => head(chat, roomId).publishedSeq === 1, 'the committer to publish and mark');
  t.deepEqual(createdSeqs(chat, roomId), [1]);
  await Promise.all([chat.outbox.close(), other.outbox.close()]);
});

test('when two replicas send into one room, the marker rides on the commits, reaches lastSeq, and nothing is published twice', async (t) => {
  // A grace far longer than the test: neither replica takes over the other's
  // messages however slow the machine, and the marker still reaches lastSeq
  // without waiting it out.
  const chat = memoryChat({ batchMax: 4 }, createMemoryStateStore(), { markDelayMs: 20, graceMs: 60_000 });
  const other = chat.replica();
  const authors = [uid(), uid(), uid()];
  const roomId = await room(chat, authors);
  const total = 240;
  const sends: Array<Promise<Message>> = [];
  for (let n = 1; n <= total; n++) {
    const replica = n % 2 === 0 ? chat : other;
    sends.push(replica.sequencer.send({ roomId, authorId: authors[n % 3]!, body: `m${n}`, clientMsgId: `c${n}` }));
    // A steady stream rather than one burst, so that commits interleave across replicas.
    if (n % 8 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  await Promise.all(sends);
  await until(() => head(chat, roomId).publishedSeq === total, 'the marker to reach lastSeq', 10_000);
  t.deepEqual(
    createdSeqs(chat, roomId).sort((a, b) => a - b),
    oneTo(total),
  );
  const commits = chat.sequencer.stats.commits + other.sequencer.stats.commits;
  const markerWrites = chat.outbox.stats.markerWrites + other.outbox.stats.markerWrites;
  const markerConflicts = chat.outbox.stats.markerConflicts + other.outbox.stats.markerConflicts;
  const sendConflicts = chat.sequencer.stats.conflicts + other.sequencer.stats.conflicts;
  t.log({ commits, sendConflicts, markerWrites, markerConflicts });
  // A marker write of its own is a head write that can make a concurrent send
  // retry: in a busy room the commits carry the marker, so those are few.
  t.true(markerWrites <= Math.ceil(commits / 4), `${markerWrites} marker writes for ${commits} commits`);
  t.is(chat.outbox.stats.takenOver + other.outbox.stats.takenOver, 0);
  await Promise.all([chat.outbox.close(), other.outbox.close()]);
});

test('when a quiet, fully published room is unlisted while a commit races it, the room stays listed whichever head write wins', async (t) => {
  for (const winner of ['unlisting', 'commit'] as const) {
    const { chat, author, roomId } = await publishedRoom({ unlistAfterMs: 0 });
    t.true(listed(chat, roomId));

    const headKey = keys.head(roomId);
    if (winner === 'unlisting') {
      // The commit has read the head and the shard (listed), then the sweep
      // unlists the room and rewrites the head before the commit's write.
      const sweeper = chat.replica();
      let armed = true;
      chat.store.beforeWrite = async (key) => {
        if (key !== headKey || !armed) return;
        armed = false;
        await sweeper.outbox.sweep();
      };
      await chat.sequencer.send({ roomId, authorId: author, body: 'second' });
      t.is(sweeper.outbox.stats.unlisted, 1, 'the unlisting went through first');
      t.true(chat.sequencer.stats.conflicts > 0, 'the commit lost its head write and went round again');
    } else {
      // The sweep has read the head; just before it removes the room from its
      // shard, a commit reads the shard (listed, so it lists nothing) and lands
      // before the sweep's head write.
      const shardKey = keys.outboxShard(outboxShardOf(roomId));
      let armed = true;
      chat.store.beforeWrite = async (key) => {
        if (key !== shardKey || !armed) return;
        armed = false;
        await chat.replica().sequencer.send({ roomId, authorId: author, body: 'second' });
      };
      await chat.outbox.sweep();
      t.is(chat.outbox.stats.unlisted, 0, 'the unlisting lost its head write');
    }
    delete chat.store.beforeWrite;
    t.is(head(chat, roomId).lastSeq, 2);
    t.true(listed(chat, roomId), `${winner} won: the room with a new commit is listed`);
    await chat.outbox.close();
  }
});

test('when a room is fully published and quiet, a sweep unlists it; its next message lists it again', async (t) => {
  const { chat, author, roomId } = await publishedRoom({ unlistAfterMs: 0 });
  await chat.outbox.sweep();
  t.false(listed(chat, roomId));
  t.is(chat.outbox.stats.unlisted, 1);
  await chat.sequencer.send({ roomId, authorId: author, body: 'two' });
  t.true(listed(chat, roomId));
  await until(() => head(chat, roomId).publishedSeq === 2, 'the marker');
  await chat.outbox.close();
});

test('when heads were written before the outbox, their messages count as published and the next commit starts from lastSeq', async (t) => {
  const { chat, author, roomId } = await publishedRoom();
  // A head as the code before the outbox wrote it.
  const { publishedSeq: _marker, ...legacy } = head(chat, roomId);
  chat.store.data.set(keys.head(roomId), { value: legacy, version: 99 });
  const before = createdSeqs(chat, roomId).length;
  const restarted = chat.replica();
  await restarted.outbox.sweep();
  t.is(createdSeqs(chat, roomId).length, before, 'nothing old is published again');
  await restarted.sequencer.send({ roomId, authorId: author, body: 'new' });
  await until(() => head(chat, roomId).publishedSeq === 2, 'the marker');
  t.deepEqual(createdSeqs(chat, roomId), [1, 2]);
  await Promise.all([chat.outbox.close(), restarted.outbox.close()]);
});

test('when a large commit leaves the room quiet, the relay shrinks the head to its window, only over messages stored; history and repeats still find every one', async (t) => {
  const chat = memoryChat({ windowSize: 3 }, createMemoryStateStore(), { markDelayMs: 5 });
  const author = uid();
  const roomId = await room(chat, [author]);
  const sendAll = (from: number, to: number) =>
    Promise.all(
      Array.from({ length: to - from + 1 }, (_, i) => chat.sequencer.send({ roomId, authorId: author, body: `m${from + i}`, clientMsgId: `c${from + i}` })),
    );
  await sendAll(1, 40);
  t.is(chat.sequencer.stats.commits, 1);
  await until(() => head(chat, roomId).publishedSeq === 40, 'the marker to reach 40');
  t.deepEqual(
    head(chat, roomId).window.map((m) => m.seq),
    [38, 39, 40],
  );
  const page = await chat.messages.history(author, roomId, { after: 0, limit: 100 });
  t.deepEqual(
    page.messages.map((m) => m.body),
    oneTo(40).map((n) => `m${n}`),
  );
  const again = await chat.sequencer.send({ roomId, authorId: author, body: 'again', clientMsgId: 'c7' });
  t.like(again, { seq: 7, body: 'm7' });

  // Blocks that could not be written: those messages stay in the head.
  chat.store.beforeWrite = (key) => {
    if (key.startsWith('msgs:')) throw new Error('the sidecar went away');
  };
  await sendAll(41, 60);
  await until(() => head(chat, roomId).publishedSeq === 60, 'the marker to reach 60');
  await chat.sequencer.idle();
  t.deepEqual(
    head(chat, roomId).window.map((m) => m.seq),
    Array.from({ length: 20 }, (_, i) => 41 + i),
  );
  delete chat.store.beforeWrite;
});
