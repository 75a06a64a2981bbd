/**
 * The rooms part of docs/api.md with real sidecars (Redis profile), through the
 * gateway with real access tokens; events observed by a stand-in gateway
 * replica subscribed to `fanout` and `events`. The chat-service's internal
 * routes for the real-time edge (members, contacts) are called as the
 * gateway calls them.
 */
import { randomUUID } from 'node:crypto';
import test from 'ava';
import { inRoom, startChatHarness, type ChatHarness, type RecordedEvent, type TestUser } from '../helpers/platform.js';

let h: ChatHarness;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
/** `n` registered users (typed as six, so that destructuring needs no checks). */
const users = (n: number) => Promise.all(Array.from({ length: n }, () => h.user())) as Promise<Six>;
type Six = [TestUser, TestUser, TestUser, TestUser, TestUser, TestUser];
const about = (user: TestUser) => (e: RecordedEvent) => (e.data.data as { userId?: string }).userId === user.id;
const memberRoles = (members: Array<{ userId: string; role: string }>) => members.map(({ userId, role }) => ({ userId, role }));

test.before(async () => {
  h = await startChatHarness();
});
test.after.always(async () => {
  await h?.stop();
});

async function createRoom(owner: TestUser, body: Record<string, unknown> = {}) {
  const reply = await h.call(owner, 'POST', 'rooms', { name: `room ${randomUUID().slice(0, 6)}`, visibility: 'public', ...body });
  if (reply.status !== 201) throw new Error(`create answered ${reply.status}: ${JSON.stringify(reply.body)}`);
  return reply.body as { id: string; name: string };
}

test('when a user creates a channel, it answers 201 with the room, the caller owner and the listed users members', async (t) => {
  const [owner, a, b] = await users(3);
  const reply = await h.call(owner, 'POST', 'rooms', { name: '  Design  ', topic: 'pixels', visibility: 'private', memberIds: [a.id, b.id, owner.id] });
  t.is(reply.status, 201);
  const room = reply.body;
  t.like(room, { kind: 'channel', name: 'Design', topic: 'pixels', visibility: 'private', ownerId: owner.id, memberCount: 3, lastSeq: 0 });
  t.regex(room.id, /^[0-9a-f-]{36}$/);
  t.regex(room.createdAt, ISO);
  t.is(room.updatedAt, room.createdAt);
  t.deepEqual(Object.keys(room).sort(), ['createdAt', 'id', 'kind', 'lastSeq', 'memberCount', 'name', 'ownerId', 'topic', 'updatedAt', 'visibility']);
  const detail = await h.call(a, 'GET', `rooms/${room.id}`);
  const { members, ...rest } = detail.body;
  t.deepEqual(rest, room);
  t.deepEqual(memberRoles(members), [{ userId: owner.id, role: 'owner' }, ...[a.id, b.id].sort().map((userId) => ({ userId, role: 'member' }))]);
  for (const member of [owner, a, b]) {
    const joined = await h.event((e) => inRoom('fanout', 'room.member_joined', room.id)(e) && about(member)(e), 'member_joined');
    t.deepEqual(joined.data.data, { roomId: room.id, userId: member.id });
    t.regex(joined.data.occurredAt, ISO);
  }
  const created = await h.event(inRoom('events', 'room.created', room.id), 'chat.room.created on events');
  t.deepEqual(created.data, { roomId: room.id, occurredAt: created.data.occurredAt, actorId: owner.id, data: room });
});

test('when a create body breaks the rules, it answers 400 validation_failed naming each field', async (t) => {
  const [owner] = await users(1);
  const reply = await h.call(owner, 'POST', 'rooms', { name: '   ', visibility: 'secret', memberIds: ['nope', owner.id, owner.id], extra: 1 });
  t.is(reply.status, 400);
  t.is(reply.body.error.code, 'validation_failed');
  t.deepEqual(reply.body.error.details.map((d: { path: string }) => d.path).sort(), ['body.extra', 'body.memberIds[0]', 'body.name', 'body.visibility']);
  t.like(await h.call(owner, 'POST', 'rooms', { name: 'x'.repeat(65), visibility: 'public' }), {
    status: 400,
    body: { error: { code: 'validation_failed', details: [{ path: 'body.name', message: 'must be at most 64 characters' }] } },
  });
  t.like(await h.call(owner, 'POST', 'rooms', { name: 'ok', topic: 't'.repeat(501), visibility: 'public' }), {
    status: 400,
    body: { error: { details: [{ path: 'body.topic' }] } },
  });
  t.like(await h.call(owner, 'POST', 'rooms', '{"name": '), { status: 400, body: { error: { code: 'invalid_json' } } });
  t.like(await h.call(owner, 'POST', 'rooms', { name: 'a', visibility: 'public', memberIds: Array.from({ length: 101 }, () => randomUUID()) }), {
    status: 400,
    body: { error: { details: [{ path: 'body.memberIds', message: 'must have at most 100 items' }] } },
  });
  t.like(await h.call(undefined, 'POST', 'rooms', { name: 'a', visibility: 'public' }), { status: 401, body: { error: { code: 'unauthenticated' } } });
});

test('when a room is read, members and anyone for a public room see it; others get 404, a bad id 400', async (t) => {
  const [owner, stranger] = await users(2);
  const open = await createRoom(owner, { visibility: 'public' });
  const closed = await createRoom(owner, { visibility: 'private' });
  t.like(await h.call(stranger, 'GET', `rooms/${open.id}`), { status: 200, body: { id: open.id, members: [{ userId: owner.id, role: 'owner' }] } });
  t.like(await h.call(stranger, 'GET', `rooms/${closed.id}`), { status: 404, body: { error: { code: 'not_found' } } });
  t.like(await h.call(stranger, 'GET', `rooms/${randomUUID()}`), { status: 404, body: { error: { code: 'not_found' } } });
  t.like(await h.call(stranger, 'GET', 'rooms/not-a-uuid'), {
    status: 400,
    body: { error: { code: 'validation_failed', details: [{ path: 'params.roomId' }] } },
  });
});

test('when the real-time edge asks for members and contacts, members get them, others 403 or 404', async (t) => {
  const [me, a, b, c, stranger] = await users(5);
  const open = await createRoom(me, { visibility: 'public', memberIds: [a.id] });
  await createRoom(b, { visibility: 'private', memberIds: [me.id] });
  await h.call(c, 'POST', 'dms', { userId: me.id });
  t.deepEqual((await h.internal(a.id, 'GET', `rooms/${open.id}/members`)).body, {
    members: [
      { userId: me.id, role: 'owner' },
      { userId: a.id, role: 'member' },
    ],
    membersVersion: 1,
  });
  t.like(await h.internal(stranger.id, 'GET', `rooms/${open.id}/members`), { status: 403, body: { error: { code: 'forbidden' } } });
  t.like(await h.internal(stranger.id, 'GET', `rooms/${randomUUID()}/members`), { status: 404 });
  t.deepEqual((await h.internal(me.id, 'GET', 'users/me/contacts')).body, { userIds: [a.id, b.id, c.id].sort() });
  t.deepEqual((await h.internal(stranger.id, 'GET', 'users/me/contacts')).body, { userIds: [] });
  t.like(await h.internal(undefined, 'GET', 'users/me/contacts'), { status: 401, body: { error: { code: 'unauthenticated' } } });
});

test('when a user lists their rooms, each has role and unread, most recent activity first', async (t) => {
  const [me, other] = await users(2);
  const quiet = await createRoom(other, { memberIds: [me.id] });
  const busy = await createRoom(me, { visibility: 'private', memberIds: [other.id] });
  const dm = (await h.call(me, 'POST', 'dms', { userId: other.id })).body;
  for (const body of ['one', 'two', 'three']) t.is((await h.call(other, 'POST', `rooms/${busy.id}/messages`, { body })).status, 201);
  t.is((await h.call(me, 'POST', `rooms/${busy.id}/read`, { seq: 1 })).status, 204);
  const list = await h.call(me, 'GET', 'rooms');
  t.is(list.status, 200);
  t.deepEqual(
    list.body.rooms.map((r: { id: string; unread: number; role: string; lastSeq: number }) => [r.id, r.role, r.lastSeq, r.unread]),
    [
      [busy.id, 'owner', 3, 2],
      [dm.id, 'member', 0, 0],
      [quiet.id, 'member', 0, 0],
    ],
  );
  t.like(list.body.rooms[0], { name: busy.name, kind: 'channel', memberCount: 2 });
  t.deepEqual((await h.call((await users(1))[0], 'GET', 'rooms')).body, { rooms: [] });
});

test('when public rooms are discovered, only public ones match the name filter, newest activity first, up to limit', async (t) => {
  const [owner, visitor] = await users(2);
  const tag = randomUUID().slice(0, 8);
  const first = await createRoom(owner, { name: `Alpha ${tag}` });
  const second = await createRoom(owner, { name: `beta ${tag}` });
  await createRoom(owner, { name: `Gamma ${tag}`, visibility: 'private' });
  const found = await h.call(visitor, 'GET', `rooms/public?query=${tag.toUpperCase()}`);
  t.is(found.status, 200);
  t.deepEqual(
    found.body.rooms.map((r: { id: string }) => r.id),
    [second.id, first.id],
  );
  t.like(found.body.rooms[0], { kind: 'channel', visibility: 'public', name: `beta ${tag}` });
  const limited = await h.call(visitor, 'GET', `rooms/public?query=${tag}&limit=1`);
  t.deepEqual(
    limited.body.rooms.map((r: { id: string }) => r.id),
    [second.id],
  );
  t.like(await h.call(visitor, 'GET', 'rooms/public?limit=0'), { status: 400, body: { error: { details: [{ path: 'query.limit' }] } } });
  t.like(await h.call(visitor, 'GET', `rooms/public?query=${'q'.repeat(65)}`), { status: 400, body: { error: { details: [{ path: 'query.query' }] } } });
});

test('when a room is renamed, the owner and admins may, members get 403, outsiders 404, and members hear room.updated', async (t) => {
  const [owner, admin, member, stranger] = await users(4);
  const room = await createRoom(owner, { visibility: 'private', memberIds: [admin.id, member.id] });
  t.like(await h.call(owner, 'PATCH', `rooms/${room.id}/members/${admin.id}`, { role: 'admin' }), { status: 200, body: { userId: admin.id, role: 'admin' } });
  const renamed = await h.call(admin, 'PATCH', `rooms/${room.id}`, { name: 'Renamed', topic: 'new topic' });
  t.like(renamed, { status: 200, body: { id: room.id, name: 'Renamed', topic: 'new topic', ownerId: owner.id } });
  const updated = await h.event(inRoom('fanout', 'room.updated', room.id), 'room.updated');
  t.deepEqual(updated.data.data, renamed.body);
  t.like(await h.call(owner, 'PATCH', `rooms/${room.id}`, { topic: '' }), { status: 200, body: { name: 'Renamed', topic: '' } });
  t.like(await h.call(member, 'PATCH', `rooms/${room.id}`, { name: 'x' }), { status: 403, body: { error: { code: 'forbidden' } } });
  t.like(await h.call(stranger, 'PATCH', `rooms/${room.id}`, { name: 'x' }), { status: 404, body: { error: { code: 'not_found' } } });
  t.like(await h.call(owner, 'PATCH', `rooms/${room.id}`, {}), { status: 400, body: { error: { code: 'validation_failed' } } });
  t.like(await h.call(member, 'PATCH', `rooms/${room.id}/members/${owner.id}`, { role: 'member' }), { status: 403 });
  const open = await createRoom(owner);
  t.like(await h.call(stranger, 'PATCH', `rooms/${open.id}`, { name: 'x' }), { status: 403, body: { error: { code: 'forbidden' } } });
});

test('when a user joins, public rooms take them, private rooms and dms answer 404, joining again answers the room', async (t) => {
  const [owner, joiner, friend] = await users(3);
  const open = await createRoom(owner);
  const closed = await createRoom(owner, { visibility: 'private' });
  const joined = await h.call(joiner, 'POST', `rooms/${open.id}/join`);
  t.like(joined, { status: 200, body: { id: open.id, memberCount: 2 } });
  const event = await h.event((e) => inRoom('fanout', 'room.member_joined', open.id)(e) && about(joiner)(e), 'join event');
  t.deepEqual(event.data.data, { roomId: open.id, userId: joiner.id });
  t.like(await h.call(joiner, 'POST', `rooms/${open.id}/join`), { status: 200, body: { id: open.id, memberCount: 2 } });
  t.like(await h.call(joiner, 'POST', `rooms/${closed.id}/join`), { status: 404, body: { error: { code: 'not_found' } } });
  const dm = (await h.call(owner, 'POST', 'dms', { userId: friend.id })).body;
  t.like(await h.call(joiner, 'POST', `rooms/${dm.id}/join`), { status: 404 });
  t.like(
    (await h.call(joiner, 'GET', 'rooms')).body.rooms.find((r: { id: string }) => r.id === open.id),
    { role: 'member', unread: 0 },
  );
});

test('when members leave, the owner hands over to the oldest admin or member, and members hear member_left', async (t) => {
  const [owner, first, second, stranger] = await users(4);
  const room = await createRoom(owner);
  await h.call(first, 'POST', `rooms/${room.id}/join`);
  await h.call(second, 'POST', `rooms/${room.id}/join`);
  t.is((await h.call(owner, 'POST', `rooms/${room.id}/leave`)).status, 204);
  const left = await h.event((e) => inRoom('fanout', 'room.member_left', room.id)(e) && about(owner)(e), 'left');
  t.deepEqual(left.data.data, { roomId: room.id, userId: owner.id });
  const handed = await h.event(inRoom('fanout', 'room.updated', room.id), 'room.updated after hand-over');
  t.like(handed.data.data, { id: room.id, ownerId: first.id, memberCount: 2 });
  const detail = (await h.call(first, 'GET', `rooms/${room.id}`)).body;
  t.like(detail, { ownerId: first.id, memberCount: 2 });
  t.deepEqual(memberRoles(detail.members), [
    { userId: first.id, role: 'owner' },
    { userId: second.id, role: 'member' },
  ]);
  t.false((await h.call(owner, 'GET', 'rooms')).body.rooms.some((r: { id: string }) => r.id === room.id));
  t.is((await h.call(stranger, 'POST', `rooms/${room.id}/leave`)).status, 204);
  const closed = await createRoom(owner, { visibility: 'private' });
  t.like(await h.call(stranger, 'POST', `rooms/${closed.id}/leave`), { status: 404 });
});

test('when an owner leaves, an admin is preferred over an older member', async (t) => {
  const [owner, older, admin] = await users(3);
  const room = await createRoom(owner, { visibility: 'private', memberIds: [older.id] });
  t.is((await h.call(owner, 'POST', `rooms/${room.id}/members`, { userId: admin.id })).status, 201);
  await h.call(owner, 'PATCH', `rooms/${room.id}/members/${admin.id}`, { role: 'admin' });
  t.is((await h.call(owner, 'POST', `rooms/${room.id}/leave`)).status, 204);
  t.like((await h.call(older, 'GET', `rooms/${room.id}`)).body, { ownerId: admin.id, memberCount: 2 });
  t.like((await h.call(admin, 'GET', 'rooms')).body.rooms[0], { id: room.id, role: 'owner' });
});

test('when members are added and removed, only the owner or an admin may, and the owner cannot be removed', async (t) => {
  const [owner, admin, member, newcomer, stranger] = await users(5);
  const room = await createRoom(owner, { visibility: 'private', memberIds: [admin.id, member.id] });
  await h.call(owner, 'PATCH', `rooms/${room.id}/members/${admin.id}`, { role: 'admin' });
  t.like(await h.call(member, 'POST', `rooms/${room.id}/members`, { userId: newcomer.id }), { status: 403 });
  t.like(await h.call(stranger, 'POST', `rooms/${room.id}/members`, { userId: newcomer.id }), { status: 404 });
  const added = await h.call(admin, 'POST', `rooms/${room.id}/members`, { userId: newcomer.id });
  t.is(added.status, 201);
  t.is(added.body, undefined);
  const joined = await h.event((e) => inRoom('fanout', 'room.member_joined', room.id)(e) && about(newcomer)(e), 'added');
  t.deepEqual(joined.data.data, { roomId: room.id, userId: newcomer.id });
  t.is((await h.call(admin, 'POST', `rooms/${room.id}/members`, { userId: newcomer.id })).status, 201);
  t.like(await h.call(admin, 'POST', `rooms/${room.id}/members`, { userId: 'x' }), { status: 400, body: { error: { details: [{ path: 'body.userId' }] } } });
  t.like((await h.call(newcomer, 'GET', 'rooms')).body.rooms[0], { id: room.id, role: 'member' });
  t.like(await h.call(admin, 'DELETE', `rooms/${room.id}/members/${owner.id}`), { status: 403 });
  t.like(await h.call(member, 'DELETE', `rooms/${room.id}/members/${newcomer.id}`), { status: 403 });
  t.like(await h.call(admin, 'DELETE', `rooms/${room.id}/members/${stranger.id}`), { status: 404 });
  t.is((await h.call(admin, 'DELETE', `rooms/${room.id}/members/${newcomer.id}`)).status, 204);
  const removed = await h.event((e) => inRoom('fanout', 'room.member_left', room.id)(e) && about(newcomer)(e), 'kick');
  t.deepEqual(removed.data.data, { roomId: room.id, userId: newcomer.id });
  t.like(await h.call(newcomer, 'GET', `rooms/${room.id}`), { status: 404 });
  t.deepEqual((await h.call(newcomer, 'GET', 'rooms')).body, { rooms: [] });
  t.like(await h.call(newcomer, 'GET', `rooms/${room.id}/messages`), { status: 404 });
});

test('when two users ask for their dm at once, both get the same room, every time, and it cannot be left or managed', async (t) => {
  const [a, b, c] = await users(3);
  const [fromA, fromB] = await Promise.all([h.call(a, 'POST', 'dms', { userId: b.id }), h.call(b, 'POST', 'dms', { userId: a.id })]);
  t.is(fromA.status, 200);
  t.is(fromB.status, 200);
  t.deepEqual(fromA.body, fromB.body);
  t.like(fromA.body, { kind: 'dm', visibility: 'private', ownerId: null, memberCount: 2, name: '', topic: '' });
  t.deepEqual((await h.call(a, 'POST', 'dms', { userId: b.id })).body, fromA.body);
  const roomId = fromA.body.id as string;
  t.deepEqual(
    memberRoles((await h.call(b, 'GET', `rooms/${roomId}`)).body.members),
    [a.id, b.id].sort().map((userId) => ({ userId, role: 'member' })),
  );
  t.like(await h.call(a, 'POST', `rooms/${roomId}/leave`), { status: 403 });
  t.like(await h.call(a, 'POST', `rooms/${roomId}/members`, { userId: c.id }), { status: 403 });
  t.like(await h.call(a, 'PATCH', `rooms/${roomId}`, { name: 'ours' }), { status: 403 });
  t.like(await h.call(c, 'GET', `rooms/${roomId}`), { status: 404 });
  t.like(await h.call(a, 'POST', 'dms', { userId: a.id }), { status: 400, body: { error: { details: [{ path: 'body.userId' }] } } });
  t.is((await h.call(a, 'POST', `rooms/${roomId}/messages`, { body: 'psst' })).status, 201);
  t.like((await h.call(b, 'GET', 'rooms')).body.rooms[0], { id: roomId, kind: 'dm', unread: 1, role: 'member' });
  const created = h.events.filter(inRoom('events', 'room.created', roomId));
  t.is(created.length, 1);
});
