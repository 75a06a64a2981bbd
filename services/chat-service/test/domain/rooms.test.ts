import test from 'ava';
import { isAppError } from '@chat/platform';
import { dmRoomId } from '../../src/domain/keys.js';
import { memoryChat, uid } from '../helpers/index.js';

const codeOf = async (promise: Promise<unknown>) => {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    return isAppError(error) ? error.code : String(error);
  }
};

test('when the owner leaves, the oldest admin takes the room, else the oldest member', async (t) => {
  let clock = Date.parse('2026-01-01T00:00:00Z');
  const chat = memoryChat();
  chat.ctx.now = () => new Date((clock += 1_000));
  const [owner, early, late, admin] = [uid(), uid(), uid(), uid()];
  const room = await chat.rooms.create(owner, { name: 'r', visibility: 'public' });
  await chat.rooms.join(early, room.id);
  await chat.rooms.join(late, room.id);
  await chat.rooms.join(admin, room.id);
  await chat.rooms.setRole(owner, room.id, admin, 'admin');

  await chat.rooms.leave(owner, room.id);
  t.like(await chat.rooms.get(early, room.id), { ownerId: admin, memberCount: 3 });
  await chat.rooms.leave(admin, room.id);
  const detail = await chat.rooms.get(early, room.id);
  t.like(detail, { ownerId: early, memberCount: 2 });
  t.deepEqual(detail.members, [
    { userId: early, role: 'owner' },
    { userId: late, role: 'member' },
  ]);
  t.like((await chat.rooms.list(early))[0], { id: room.id, role: 'owner' });
  t.deepEqual(
    chat.publisher.events.filter((e) => e.topic === 'room.member_left').map((e) => e.data),
    [
      { roomId: room.id, userId: owner },
      { roomId: room.id, userId: admin },
    ],
  );
});

test('when members are removed, admins remove members, only the owner removes admins, and nobody removes the owner', async (t) => {
  const chat = memoryChat();
  const [owner, admin, admin2, member, member2] = [uid(), uid(), uid(), uid(), uid()];
  const room = await chat.rooms.create(owner, { name: 'r', visibility: 'private', memberIds: [admin, admin2, member, member2] });
  await chat.rooms.setRole(owner, room.id, admin, 'admin');
  await chat.rooms.setRole(owner, room.id, admin2, 'admin');
  t.is(await codeOf(chat.rooms.kick(member, room.id, member2)), 'forbidden');
  t.is(await codeOf(chat.rooms.kick(admin, room.id, admin2)), 'forbidden');
  t.is(await codeOf(chat.rooms.kick(admin, room.id, owner)), 'forbidden');
  t.is(await codeOf(chat.rooms.kick(admin, room.id, uid())), 'not_found');
  t.is(await codeOf(chat.rooms.kick(uid(), room.id, member)), 'not_found');
  t.is(await codeOf(chat.rooms.kick(admin, room.id, member)), 'ok');
  t.is(await codeOf(chat.rooms.kick(owner, room.id, admin2)), 'ok');
  t.deepEqual(
    (await chat.rooms.members(owner, room.id)).members.map((m) => m.userId),
    [owner, admin, member2],
  );
  t.deepEqual(await chat.rooms.list(member), []);
});

test('when both users open their dm at once, they get one room with both as members', async (t) => {
  const chat = memoryChat();
  const other = chat.replica();
  const [a, b] = [uid(), uid()];
  const [fromA, fromB] = await Promise.all([chat.rooms.openDm(a, b), other.rooms.openDm(b, a)]);
  t.deepEqual(fromA, fromB);
  t.like(fromA, { id: dmRoomId(a, b), kind: 'dm', ownerId: null, memberCount: 2, visibility: 'private', name: '' });
  t.deepEqual(await chat.rooms.openDm(a, b), fromA);
  t.deepEqual(
    (await chat.rooms.members(a, fromA.id)).members.map((m) => m.role),
    ['member', 'member'],
  );
  t.is(chat.publisher.events.filter((e) => e.topic === 'room.created').length, 1);
  t.is(await codeOf(chat.rooms.leave(a, fromA.id)), 'forbidden');
  t.is(await codeOf(chat.rooms.update(a, fromA.id, { name: 'x' })), 'forbidden');
  t.is(await codeOf(chat.rooms.get(uid(), fromA.id)), 'not_found');
});

test('when history is paged, pages are ascending with hasMore towards the direction of reading', async (t) => {
  const chat = memoryChat();
  const [author] = [uid()];
  const room = await chat.rooms.create(author, { name: 'r', visibility: 'private' });
  for (let i = 1; i <= 7; i++) await chat.sequencer.send({ roomId: room.id, authorId: author, body: `m${i}` });
  const seqs = async (q: { before?: number; after?: number; limit: number }) => {
    const page = await chat.messages.history(author, room.id, q);
    return { seqs: page.messages.map((m) => m.seq), hasMore: page.hasMore };
  };
  t.deepEqual(await seqs({ limit: 3 }), { seqs: [5, 6, 7], hasMore: true });
  t.deepEqual(await seqs({ before: 5, limit: 3 }), { seqs: [2, 3, 4], hasMore: true });
  t.deepEqual(await seqs({ before: 3, limit: 3 }), { seqs: [1, 2], hasMore: false });
  t.deepEqual(await seqs({ before: 100, limit: 3 }), { seqs: [5, 6, 7], hasMore: true });
  t.deepEqual(await seqs({ after: 0, limit: 3 }), { seqs: [1, 2, 3], hasMore: true });
  t.deepEqual(await seqs({ after: 4, limit: 3 }), { seqs: [5, 6, 7], hasMore: false });
  t.deepEqual(await seqs({ after: 7, limit: 3 }), { seqs: [], hasMore: false });
});

test('when a message is edited or deleted, only the allowed users can, and a tombstone keeps its seq', async (t) => {
  const chat = memoryChat();
  const [owner, admin, author, other] = [uid(), uid(), uid(), uid()];
  const room = await chat.rooms.create(owner, { name: 'r', visibility: 'public', memberIds: [admin, author, other] });
  await chat.rooms.setRole(owner, room.id, admin, 'admin');
  const first = await chat.sequencer.send({ roomId: room.id, authorId: author, body: 'hello', clientMsgId: 'c1' });
  t.is(await codeOf(chat.messages.edit(other, room.id, 1, 'x')), 'forbidden');
  t.is(await codeOf(chat.messages.edit(owner, room.id, 1, 'x')), 'forbidden');
  t.is(await codeOf(chat.messages.edit(author, room.id, 2, 'x')), 'not_found');
  t.is(await codeOf(chat.messages.edit(uid(), room.id, 1, 'x')), 'forbidden');
  const edited = await chat.messages.edit(author, room.id, 1, 'hello, edited');
  t.like(edited, { ...first, body: 'hello, edited' });
  t.truthy(edited.editedAt);
  t.is(await codeOf(chat.messages.remove(other, room.id, 1)), 'forbidden');
  t.is(await codeOf(chat.messages.remove(admin, room.id, 1)), 'ok');
  t.is(await codeOf(chat.messages.remove(author, room.id, 1)), 'ok');
  t.is(await codeOf(chat.messages.edit(author, room.id, 1, 'again')), 'conflict');
  const { messages } = await chat.messages.history(owner, room.id, { limit: 10 });
  t.deepEqual(messages, [{ id: first.id, roomId: room.id, seq: 1, authorId: author, body: '', createdAt: first.createdAt, deleted: true, clientMsgId: 'c1' }]);
  t.is(chat.publisher.events.filter((e) => e.topic === 'message.deleted').length, 1);
  // The repeat of a deleted message is its tombstone, never a new message.
  t.deepEqual(await chat.sequencer.send({ roomId: room.id, authorId: author, body: 'hello', clientMsgId: 'c1' }), messages[0]);
});

test('when read markers move, they only move forward and never past the last message', async (t) => {
  const chat = memoryChat();
  const [owner, reader] = [uid(), uid()];
  const room = await chat.rooms.create(owner, { name: 'r', visibility: 'private', memberIds: [reader] });
  for (let i = 0; i < 5; i++) await chat.sequencer.send({ roomId: room.id, authorId: owner, body: `m${i}` });
  await chat.messages.markRead(reader, room.id, 3);
  await chat.messages.markRead(reader, room.id, 2);
  t.like((await chat.rooms.list(reader))[0], { unread: 2 });
  await chat.messages.markRead(reader, room.id, 99);
  t.like((await chat.rooms.list(reader))[0], { unread: 0 });
  const reads = chat.publisher.events.filter((e) => e.topic === 'read.updated' && (e.data as { userId: string }).userId === reader);
  t.deepEqual(
    reads.map((e) => e.data),
    [
      { roomId: room.id, userId: reader, seq: 3 },
      { roomId: room.id, userId: reader, seq: 5 },
    ],
  );
});

test('when everyone leaves a public room, the next to join becomes its owner', async (t) => {
  const chat = memoryChat();
  const [owner, next] = [uid(), uid()];
  const room = await chat.rooms.create(owner, { name: 'r', visibility: 'public' });
  await chat.rooms.leave(owner, room.id);
  t.like(await chat.rooms.get(next, room.id), { memberCount: 0, ownerId: owner, members: [] });
  t.like(await chat.rooms.join(next, room.id), { memberCount: 1, ownerId: next });
  t.like((await chat.rooms.list(next))[0], { id: room.id, role: 'owner' });
  t.deepEqual(await chat.rooms.discover('', 10).then((rooms) => rooms.map((r) => r.id)), [room.id]);
});

test('when users are added to many rooms at once, every index and count is right', async (t) => {
  const chat = memoryChat();
  const other = chat.replica();
  const [owner, a, b] = [uid(), uid(), uid()];
  const rooms = await Promise.all(
    Array.from({ length: 12 }, (_, i) => (i % 2 ? chat : other).rooms.create(owner, { name: `r${i}`, visibility: 'public', memberIds: [a] })),
  );
  await Promise.all(rooms.map((room, i) => (i % 2 ? other : chat).rooms.join(b, room.id)));
  for (const user of [owner, a, b]) t.is((await chat.rooms.list(user)).length, 12);
  for (const room of rooms) t.like(await chat.rooms.get(owner, room.id), { memberCount: 3 });
  t.deepEqual(await chat.rooms.contacts(b), [owner, a].sort());
});

/** Makes every write of a key that `matches` fail, as a store that refuses it would. */
function failWrites(chat: ReturnType<typeof memoryChat>, matches: (key: string) => boolean) {
  chat.store.beforeWrite = (key) => {
    if (matches(key)) throw new Error(`store refused ${key}`);
  };
  return () => {
    delete chat.store.beforeWrite;
  };
}

const memberLeftOf = (chat: ReturnType<typeof memoryChat>, userId: string) =>
  chat.publisher.events.filter((e) => e.topic === 'room.member_left' && (e.data as { userId: string }).userId === userId);

for (const [what, failing] of [
  ['their room index', (userId: string, _roomId: string) => (key: string) => key === `user:${userId}:rooms`],
  ['their read marker', (userId: string, roomId: string) => (key: string) => key === `read:${roomId}:${userId}`],
  ['the room head', (_userId: string, roomId: string) => (key: string) => key === `room:${roomId}`],
  [
    'every derived copy',
    (userId: string, roomId: string) => (key: string) => (key !== `members:${roomId}` && key.includes(userId.slice(0, 8))) || key === `room:${roomId}`,
  ],
] as const) {
  test(`when a member is removed while ${what} cannot be written, the removal stands, member_left goes out and no read shows them the room`, async (t) => {
    const chat = memoryChat();
    const [owner, mallory, other] = [uid(), uid(), uid()];
    const room = await chat.rooms.create(owner, { name: 'r', visibility: 'private', memberIds: [mallory, other] });
    await chat.sequencer.send({ roomId: room.id, authorId: mallory, body: 'hi' });
    await chat.messages.markRead(mallory, room.id, 1);
    const restore = failWrites(chat, failing(mallory, room.id));
    t.is(await codeOf(chat.rooms.kick(owner, room.id, mallory)), 'ok');
    restore();
    const [left] = memberLeftOf(chat, mallory);
    t.deepEqual(left?.data, { roomId: room.id, userId: mallory });
    t.is(left?.membersVersion, 2);
    // The member list is the authority, and every read follows it.
    t.deepEqual((await chat.rooms.members(owner, room.id)).members.map((m) => m.userId).sort(), [owner, other].sort());
    t.deepEqual(await chat.rooms.list(mallory), []);
    t.deepEqual(await chat.rooms.ids(mallory), [], 'nor does a connecting socket join it');
    t.deepEqual(await chat.rooms.ids(other), [room.id]);
    t.deepEqual(await chat.rooms.contacts(mallory), []);
    t.is(await codeOf(chat.rooms.get(mallory, room.id)), 'not_found');
    t.is(await codeOf(chat.messages.history(mallory, room.id, { after: 0, limit: 10 })), 'not_found');
    t.is(await codeOf(chat.sequencer.send({ roomId: room.id, authorId: mallory, body: 'still here?' })), 'not_found');
  });
}

test("when the owner leaves while the successor's index cannot be written, the successor is listed as owner from the member list", async (t) => {
  let clock = Date.parse('2026-01-01T00:00:00Z');
  const chat = memoryChat();
  chat.ctx.now = () => new Date((clock += 1_000));
  const [owner, heir] = [uid(), uid()];
  const room = await chat.rooms.create(owner, { name: 'r', visibility: 'public' });
  await chat.rooms.join(heir, room.id);
  const restore = failWrites(chat, (key) => key === `user:${heir}:rooms` || key === `user:${owner}:rooms`);
  t.is(await codeOf(chat.rooms.leave(owner, room.id)), 'ok');
  restore();
  t.like((await chat.rooms.list(heir))[0], { id: room.id, role: 'owner' });
  t.deepEqual(await chat.rooms.list(owner), []);
  t.is(memberLeftOf(chat, owner).length, 1);
});

test('when an invitation cannot write the index, member_joined still goes out, the request fails, and repeating it repairs the index', async (t) => {
  const chat = memoryChat();
  const [owner, guest] = [uid(), uid()];
  const room = await chat.rooms.create(owner, { name: 'r', visibility: 'private' });
  const restore = failWrites(chat, (key) => key === `user:${guest}:rooms`);
  t.not(await codeOf(chat.rooms.invite(owner, room.id, guest)), 'ok');
  restore();
  const joined = chat.publisher.events.filter((e) => e.topic === 'room.member_joined' && (e.data as { userId: string }).userId === guest);
  t.is(joined.length, 1);
  t.is(joined[0]!.membersVersion, 2);
  t.deepEqual(await chat.rooms.list(guest), []);
  t.is(await codeOf(chat.rooms.invite(owner, room.id, guest)), 'ok');
  t.like((await chat.rooms.list(guest))[0], { id: room.id, role: 'member' });
});

test('when a member is removed, added and removed again, each membership event carries a higher member-list version', async (t) => {
  const chat = memoryChat();
  const [owner, guest] = [uid(), uid()];
  const room = await chat.rooms.create(owner, { name: 'r', visibility: 'private', memberIds: [guest] });
  await chat.rooms.kick(owner, room.id, guest);
  await chat.rooms.invite(owner, room.id, guest);
  await chat.rooms.kick(owner, room.id, guest);
  const versions = chat.publisher.events
    .filter((e) => e.topic.startsWith('room.member_') && (e.data as { userId: string }).userId === guest)
    .map((e) => [e.topic, e.membersVersion]);
  t.deepEqual(versions, [
    ['room.member_joined', 1],
    ['room.member_left', 2],
    ['room.member_joined', 3],
    ['room.member_left', 4],
  ]);
});

test('when a user hears member_joined about themselves, the room is already in their list: invited, added at creation, or in a new dm', async (t) => {
  const chat = memoryChat();
  const [owner, invited, founding, other] = [uid(), uid(), uid(), uid()];
  // What each user's room list held at the moment their member_joined was published.
  const seenAtEvent: Array<{ userId: string; roomId: string; listed: boolean }> = [];
  const publish = chat.publisher.publish.bind(chat.publisher);
  chat.publisher.publish = async (events) => {
    for (const e of events.filter((e) => e.topic === 'room.member_joined')) {
      const { userId } = e.data as { userId: string };
      seenAtEvent.push({ userId, roomId: e.roomId, listed: (await chat.rooms.list(userId)).some((r) => r.id === e.roomId) });
    }
    return publish(events);
  };
  const created = await chat.rooms.create(owner, { name: 'r', visibility: 'private', memberIds: [founding] });
  await chat.rooms.invite(owner, created.id, invited);
  const dm = await chat.rooms.openDm(owner, other);
  const expected = [
    { userId: owner, roomId: created.id },
    { userId: founding, roomId: created.id },
    { userId: invited, roomId: created.id },
    { userId: owner, roomId: dm.id },
    { userId: other, roomId: dm.id },
  ];
  t.deepEqual(
    seenAtEvent,
    expected.map((e) => ({ ...e, listed: true })),
  );
});
