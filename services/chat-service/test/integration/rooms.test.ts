/**
 * The rooms part of API.md against chat-service with real sidecars (Redis
 * profile), called as the api-gateway calls it: through Dapr invocation from
 * a sidecar with app-id api-gateway, the verified user in `x-user-id`.
 */
import { randomUUID } from 'node:crypto';
import test from 'ava';
import { inRoom, startChatHarness, type ChatHarness } from '../helpers/platform.js';

let h: ChatHarness;
const user = () => randomUUID();
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

test.before(async () => {
  h = await startChatHarness();
});
test.after.always(async () => {
  await h?.stop();
});

async function createRoom(owner: string, body: Record<string, unknown> = {}) {
  const reply = await h.call(owner, 'POST', 'rooms', { name: `room ${randomUUID().slice(0, 6)}`, visibility: 'public', ...body });
  if (reply.status !== 201) throw new Error(`create answered ${reply.status}: ${JSON.stringify(reply.body)}`);
  return reply.body as { id: string; name: string };
}

test('when a user creates a channel, it answers 201 with the room, the caller owner and the listed users members', async (t) => {
  const [owner, a, b] = [user(), user(), user()];
  const reply = await h.call(owner, 'POST', 'rooms', { name: '  Design  ', topic: 'pixels', visibility: 'private', memberIds: [a, b, owner] });
  t.is(reply.status, 201);
  const room = reply.body;
  t.like(room, { kind: 'channel', name: 'Design', topic: 'pixels', visibility: 'private', ownerId: owner, memberCount: 3, lastSeq: 0 });
  t.regex(room.id, /^[0-9a-f-]{36}$/);
  t.regex(room.createdAt, ISO);
  t.is(room.updatedAt, room.createdAt);
  t.deepEqual(Object.keys(room).sort(), ['createdAt', 'id', 'kind', 'lastSeq', 'memberCount', 'name', 'ownerId', 'topic', 'updatedAt', 'visibility']);
  const detail = await h.call(a, 'GET', `rooms/${room.id}`);
  t.deepEqual(detail.body, {
    ...room,
    members: [
      { userId: owner, role: 'owner' },
      ...[a, b].sort().map((userId) => ({ userId, role: 'member' })),
    ],
  });
  for (const member of [owner, a, b]) {
    const joined = await h.event((e) => inRoom('fanout', 'room.member_joined', room.id)(e) && (e.data.data as { userId: string }).userId === member, 'member_joined');
    t.deepEqual(joined.data.data, { roomId: room.id, userId: member });
    t.regex(joined.data.occurredAt, ISO);
  }
  const created = await h.event(inRoom('events', 'room.created', room.id), 'room.created on events');
  t.deepEqual(created.data, { roomId: room.id, occurredAt: created.data.occurredAt, actorId: owner, data: room });
});

test('when a create body breaks the rules, it answers 400 validation_failed naming each field', async (t) => {
  const owner = user();
  const reply = await h.call(owner, 'POST', 'rooms', { name: '   ', visibility: 'secret', memberIds: ['nope', owner, owner], extra: 1 });
  t.is(reply.status, 400);
  t.is(reply.body.error.code, 'validation_failed');
  t.deepEqual(
    reply.body.error.details.map((d: { path: string }) => d.path).sort(),
    ['body.extra', 'body.memberIds[0]', 'body.name', 'body.visibility'],
  );
  t.like(await h.call(owner, 'POST', 'rooms', { name: 'x'.repeat(65), visibility: 'public' }), {
    status: 400,
    body: { error: { code: 'validation_failed', details: [{ path: 'body.name', message: 'must be at most 64 characters' }] } },
  });
  t.like(await h.call(owner, 'POST', 'rooms', '{"name": '), { status: 400, body: { error: { code: 'invalid_json' } } });
  t.like(await h.call(undefined, 'POST', 'rooms', { name: 'a', visibility: 'public' }), { status: 401, body: { error: { code: 'unauthenticated' } } });
});

test('when a room is read, members and anyone for a public room see it; others get 404, a bad id 400', async (t) => {
  const [owner, stranger] = [user(), user()];
  const open = await createRoom(owner, { visibility: 'public' });
  const closed = await createRoom(owner, { visibility: 'private' });
  t.like(await h.call(stranger, 'GET', `rooms/${open.id}`), { status: 200, body: { id: open.id, members: [{ userId: owner, role: 'owner' }] } });
  t.like(await h.call(stranger, 'GET', `rooms/${closed.id}`), { status: 404, body: { error: { code: 'not_found' } } });
  t.like(await h.call(stranger, 'GET', `rooms/${randomUUID()}`), { status: 404, body: { error: { code: 'not_found' } } });
  t.like(await h.call(stranger, 'GET', 'rooms/not-a-uuid'), {
    status: 400,
    body: { error: { code: 'validation_failed', details: [{ path: 'params.roomId' }] } },
  });
  t.like(await h.call(stranger, 'GET', `rooms/${open.id}/members`), { status: 403, body: { error: { code: 'forbidden' } } });
  t.deepEqual((await h.call(owner, 'GET', `rooms/${closed.id}/members`)).body, { members: [{ userId: owner, role: 'owner' }] });
});

test('when a user lists their rooms, each has role and unread, most recent activity first', async (t) => {
  const [me, other] = [user(), user()];
  const quiet = await createRoom(other, { memberIds: [me] });
  const busy = await createRoom(me, { visibility: 'private', memberIds: [other] });
  const dm = (await h.call(me, 'POST', 'dms', { userId: other })).body;
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
});

test('when public rooms are discovered, only public ones match the name filter, newest activity first, up to limit', async (t) => {
  const owner = user();
  const tag = randomUUID().slice(0, 8);
  const first = await createRoom(owner, { name: `Alpha ${tag}` });
  const second = await createRoom(owner, { name: `beta ${tag}` });
  await createRoom(owner, { name: `Gamma ${tag}`, visibility: 'private' });
  const found = await h.call(user(), 'GET', `rooms/public?query=${tag.toUpperCase()}`);
  t.is(found.status, 200);
  t.deepEqual(found.body.rooms.map((r: { id: string }) => r.id), [second.id, first.id]);
  t.like(found.body.rooms[0], { kind: 'channel', visibility: 'public', name: `beta ${tag}` });
  const limited = await h.call(user(), 'GET', `rooms/public?query=${tag}&limit=1`);
  t.deepEqual(limited.body.rooms.map((r: { id: string }) => r.id), [second.id]);
  t.like(await h.call(user(), 'GET', 'rooms/public?limit=0'), { status: 400, body: { error: { details: [{ path: 'query.limit' }] } } });
  t.like(await h.call(user(), 'GET', `rooms/public?query=${'q'.repeat(65)}`), { status: 400, body: { error: { details: [{ path: 'query.query' }] } } });
});

test('when a room is renamed, the owner and admins may, members get 403, outsiders 404, and members hear room.updated', async (t) => {
  const [owner, admin, member, stranger] = [user(), user(), user(), user()];
  const room = await createRoom(owner, { visibility: 'private', memberIds: [admin, member] });
  t.like(await h.call(owner, 'PATCH', `rooms/${room.id}/members/${admin}`, { role: 'admin' }), { status: 200, body: { userId: admin, role: 'admin' } });
  const renamed = await h.call(admin, 'PATCH', `rooms/${room.id}`, { name: 'Renamed', topic: 'new topic' });
  t.like(renamed, { status: 200, body: { id: room.id, name: 'Renamed', topic: 'new topic', ownerId: owner } });
  const updated = await h.event(inRoom('fanout', 'room.updated', room.id), 'room.updated');
  t.deepEqual(updated.data.data, renamed.body);
  t.like(await h.call(owner, 'PATCH', `rooms/${room.id}`, { topic: '' }), { status: 200, body: { name: 'Renamed', topic: '' } });
  t.like(await h.call(member, 'PATCH', `rooms/${room.id}`, { name: 'x' }), { status: 403, body: { error: { code: 'forbidden' } } });
  t.like(await h.call(stranger, 'PATCH', `rooms/${room.id}`, { name: 'x' }), { status: 404, body: { error: { code: 'not_found' } } });
  t.like(await h.call(owner, 'PATCH', `rooms/${room.id}`, {}), { status: 400, body: { error: { code: 'validation_failed' } } });
  const open = await createRoom(owner);
  t.like(await h.call(stranger, 'PATCH', `rooms/${open.id}`, { name: 'x' }), { status: 403, body: { error: { code: 'forbidden' } } });
});

test('when a user joins, public rooms take them, private rooms and dms answer 404, joining again answers the room', async (t) => {
  const [owner, joiner] = [user(), user()];
  const open = await createRoom(owner);
  const closed = await createRoom(owner, { visibility: 'private' });
  const joined = await h.call(joiner, 'POST', `rooms/${open.id}/join`);
  t.like(joined, { status: 200, body: { id: open.id, memberCount: 2 } });
  const event = await h.event((e) => inRoom('fanout', 'room.member_joined', open.id)(e) && (e.data.data as { userId: string }).userId === joiner, 'join event');
  t.deepEqual(event.data.data, { roomId: open.id, userId: joiner });
  t.like(await h.call(joiner, 'POST', `rooms/${open.id}/join`), { status: 200, body: { id: open.id, memberCount: 2 } });
  t.like(await h.call(joiner, 'POST', `rooms/${closed.id}/join`), { status: 404, body: { error: { code: 'not_found' } } });
  const dm = (await h.call(owner, 'POST', 'dms', { userId: user() })).body;
  t.like(await h.call(joiner, 'POST', `rooms/${dm.id}/join`), { status: 404 });
  t.like((await h.call(joiner, 'GET', 'rooms')).body.rooms.find((r: { id: string }) => r.id === open.id), { role: 'member', unread: 0 });
});

test('when members leave, the owner hands over to the oldest admin or member, and members hear member_left', async (t) => {
  const [owner, first, second, stranger] = [user(), user(), user(), user()];
  const room = await createRoom(owner);
  await h.call(first, 'POST', `rooms/${room.id}/join`);
  await h.call(second, 'POST', `rooms/${room.id}/join`);
  t.is((await h.call(owner, 'POST', `rooms/${room.id}/leave`)).status, 204);
  const left = await h.event((e) => inRoom('fanout', 'room.member_left', room.id)(e) && (e.data.data as { userId: string }).userId === owner, 'left');
  t.deepEqual(left.data.data, { roomId: room.id, userId: owner });
  const handed = await h.event(inRoom('fanout', 'room.updated', room.id), 'room.updated after hand-over');
  t.like(handed.data.data, { id: room.id, ownerId: first, memberCount: 2 });
  t.like((await h.call(first, 'GET', `rooms/${room.id}`)).body, {
    ownerId: first,
    memberCount: 2,
    members: [
      { userId: first, role: 'owner' },
      { userId: second, role: 'member' },
    ],
  });
  t.false((await h.call(owner, 'GET', 'rooms')).body.rooms.some((r: { id: string }) => r.id === room.id));
  t.is((await h.call(stranger, 'POST', `rooms/${room.id}/leave`)).status, 204);
  const closed = await createRoom(owner, { visibility: 'private' });
  t.like(await h.call(stranger, 'POST', `rooms/${closed.id}/leave`), { status: 404 });
});

test('when members are added and removed, only the owner or an admin may, and the owner cannot be removed', async (t) => {
  const [owner, admin, member, newcomer, stranger] = [user(), user(), user(), user(), user()];
  const room = await createRoom(owner, { visibility: 'private', memberIds: [admin, member] });
  await h.call(owner, 'PATCH', `rooms/${room.id}/members/${admin}`, { role: 'admin' });
  t.like(await h.call(member, 'POST', `rooms/${room.id}/members`, { userId: newcomer }), { status: 403 });
  t.like(await h.call(stranger, 'POST', `rooms/${room.id}/members`, { userId: newcomer }), { status: 404 });
  const added = await h.call(admin, 'POST', `rooms/${room.id}/members`, { userId: newcomer });
  t.is(added.status, 201);
  t.is((await h.call(admin, 'POST', `rooms/${room.id}/members`, { userId: newcomer })).status, 201);
  t.like(await h.call(admin, 'POST', `rooms/${room.id}/members`, { userId: 'x' }), { status: 400, body: { error: { details: [{ path: 'body.userId' }] } } });
  t.like((await h.call(newcomer, 'GET', 'rooms')).body.rooms[0], { id: room.id, role: 'member' });
  t.like(await h.call(admin, 'DELETE', `rooms/${room.id}/members/${owner}`), { status: 403 });
  t.like(await h.call(member, 'DELETE', `rooms/${room.id}/members/${newcomer}`), { status: 403 });
  t.like(await h.call(admin, 'DELETE', `rooms/${room.id}/members/${stranger}`), { status: 404 });
  t.is((await h.call(admin, 'DELETE', `rooms/${room.id}/members/${newcomer}`)).status, 204);
  const removed = await h.event((e) => inRoom('fanout', 'room.member_left', room.id)(e) && (e.data.data as { userId: string }).userId === newcomer, 'kick');
  t.deepEqual(removed.data.data, { roomId: room.id, userId: newcomer });
  t.like(await h.call(newcomer, 'GET', `rooms/${room.id}`), { status: 404 });
  t.deepEqual((await h.call(newcomer, 'GET', 'rooms')).body, { rooms: [] });
});

test('when two users ask for their dm at once, both get the same room, every time, and it cannot be left or managed', async (t) => {
  const [a, b] = [user(), user()];
  const [fromA, fromB] = await Promise.all([h.call(a, 'POST', 'dms', { userId: b }), h.call(b, 'POST', 'dms', { userId: a })]);
  t.is(fromA.status, 200);
  t.is(fromB.status, 200);
  t.deepEqual(fromA.body, fromB.body);
  t.like(fromA.body, { kind: 'dm', visibility: 'private', ownerId: null, memberCount: 2, name: '', topic: '' });
  t.deepEqual((await h.call(a, 'POST', 'dms', { userId: b })).body, fromA.body);
  const roomId = fromA.body.id as string;
  t.deepEqual((await h.call(b, 'GET', `rooms/${roomId}/members`)).body.members.map((m: { userId: string }) => m.userId).sort(), [a, b].sort());
  t.like(await h.call(a, 'POST', `rooms/${roomId}/leave`), { status: 403 });
  t.like(await h.call(a, 'POST', `rooms/${roomId}/members`, { userId: user() }), { status: 403 });
  t.like(await h.call(user(), 'GET', `rooms/${roomId}`), { status: 404 });
  t.like(await h.call(a, 'POST', 'dms', { userId: a }), { status: 400, body: { error: { details: [{ path: 'body.userId' }] } } });
  const created = h.events.filter(inRoom('events', 'room.created', roomId));
  t.is(created.length, 1);
});

test('when a user asks for contacts, they are the distinct users sharing a room with them', async (t) => {
  const [me, a, b, c] = [user(), user(), user(), user()];
  await createRoom(me, { visibility: 'private', memberIds: [a, b] });
  await createRoom(b, { visibility: 'private', memberIds: [me] });
  await h.call(c, 'POST', 'dms', { userId: me });
  t.deepEqual((await h.call(me, 'GET', 'users/me/contacts')).body, { userIds: [a, b, c].sort() });
  t.deepEqual((await h.call(user(), 'GET', 'users/me/contacts')).body, { userIds: [] });
});
