/**
 * /api/rooms and /api/dms through the gateway with real tokens and real
 * sidecars (the whole platform): routing to the chat-service, error bodies
 * passed through, the member aggregation (one profile batch read, presence
 * from live sockets) and its degradation when the profile-service is down,
 * and the "no such user" checks.
 */
import { randomUUID } from 'node:crypto';
import test from 'ava';
import { waitFor, type Platform } from '@chat/devkit/testing';
import { register, startPlatformForUsers, type TestUser } from '../helpers/platform-users.js';
import { connectSocket } from '../helpers/socket-client.js';

let platform: Platform;

test.before(async () => {
  platform = await startPlatformForUsers();
});
test.after.always(async () => {
  await platform?.stop();
});

interface Reply {
  status: number;
  body: any;
  headers: Headers;
}

async function api(user: TestUser | undefined, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const response = await fetch(`${platform.gatewayUrl}/api/${path}`, {
    method,
    headers: {
      ...(user ? { authorization: `Bearer ${user.token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers };
}

test.serial('when no valid token is sent, every rooms route answers 401 with WWW-Authenticate: Bearer', async (t) => {
  const id = randomUUID();
  for (const [method, path] of [
    ['GET', 'rooms'],
    ['GET', 'rooms/public'],
    ['POST', 'rooms'],
    ['GET', `rooms/${id}`],
    ['PATCH', `rooms/${id}`],
    ['POST', `rooms/${id}/join`],
    ['POST', `rooms/${id}/leave`],
    ['POST', `rooms/${id}/members`],
    ['DELETE', `rooms/${id}/members/${id}`],
    ['POST', 'dms'],
    ['GET', `rooms/${id}/messages`],
    ['POST', `rooms/${id}/messages`],
    ['PATCH', `rooms/${id}/messages/1`],
    ['DELETE', `rooms/${id}/messages/1`],
    ['POST', `rooms/${id}/read`],
  ] as const) {
    const reply = await api(undefined, method, path);
    t.is(reply.status, 401, `${method} ${path}`);
    t.is(reply.headers.get('www-authenticate'), 'Bearer');
    t.is(reply.body.error.code, 'unauthenticated');
  }
});

test.serial('when users chat through the gateway, every route reaches the chat-service and its answers come back unchanged', async (t) => {
  const [alice, bob, carol] = [await register(platform), await register(platform), await register(platform)];
  const created = await api(alice, 'POST', 'rooms', { name: 'Gateway room', topic: 'hi', visibility: 'public', memberIds: [bob.id] });
  t.like(created, { status: 201, body: { kind: 'channel', name: 'Gateway room', ownerId: alice.id, memberCount: 2 } });
  const roomId = created.body.id as string;

  const sent = await api(bob, 'POST', `rooms/${roomId}/messages`, { body: 'hello', clientMsgId: 'g-1' });
  t.like(sent, { status: 201, body: { roomId, seq: 1, authorId: bob.id, body: 'hello', clientMsgId: 'g-1' } });
  t.deepEqual((await api(bob, 'POST', `rooms/${roomId}/messages`, { body: 'hello', clientMsgId: 'g-1' })).body, sent.body);
  t.like(await api(bob, 'PATCH', `rooms/${roomId}/messages/1`, { body: 'hello!' }), { status: 200, body: { seq: 1, body: 'hello!' } });
  t.deepEqual(await api(alice, 'GET', `rooms/${roomId}/messages?after=0&limit=10`).then((r) => r.body.messages.map((m: { body: string }) => m.body)), [
    'hello!',
  ]);
  t.is((await api(alice, 'POST', `rooms/${roomId}/read`, { seq: 1 })).status, 204);
  t.like((await api(alice, 'GET', 'rooms')).body.rooms[0], { id: roomId, role: 'owner', unread: 0 });
  t.like(
    (await api(carol, 'GET', `rooms/public?query=gateway%20ROOM`)).body.rooms.find((r: { id: string }) => r.id === roomId),
    { id: roomId },
  );

  // Errors keep the service's code and carry the gateway's request id.
  const refused = await api(carol, 'POST', `rooms/${roomId}/messages`, { body: 'not yet' }, { 'x-request-id': 'rooms-test-1' });
  t.like(refused, { status: 403, body: { error: { code: 'forbidden' }, requestId: 'rooms-test-1' } });
  t.is(refused.headers.get('x-request-id'), 'rooms-test-1');
  t.like(await api(carol, 'POST', `rooms/${roomId}/messages`, { body: '' }), {
    status: 400,
    body: { error: { code: 'validation_failed', details: [{ path: 'body.body' }] } },
  });

  t.like(await api(carol, 'POST', `rooms/${roomId}/join`), { status: 200, body: { id: roomId, memberCount: 3 } });
  t.like(await api(alice, 'PATCH', `rooms/${roomId}/members/${carol.id}`, { role: 'admin' }), { status: 200, body: { userId: carol.id, role: 'admin' } });
  t.like(await api(carol, 'PATCH', `rooms/${roomId}`, { topic: 'by an admin' }), { status: 200, body: { topic: 'by an admin' } });
  t.is((await api(carol, 'DELETE', `rooms/${roomId}/messages/1`)).status, 204);
  t.is((await api(carol, 'DELETE', `rooms/${roomId}/members/${bob.id}`)).status, 204);
  t.is((await api(bob, 'POST', `rooms/${roomId}/members`, { userId: bob.id })).status, 403);
  const added = await api(carol, 'POST', `rooms/${roomId}/members`, { userId: bob.id });
  t.is(added.status, 201);
  t.is(added.body, undefined);
  t.is((await api(bob, 'POST', `rooms/${roomId}/leave`)).status, 204);
  t.is((await api(alice, 'POST', `rooms/${roomId}/leave`)).status, 204);
  t.like((await api(carol, 'GET', `rooms/${roomId}`)).body, { ownerId: carol.id, memberCount: 1 });

  const dm = await api(alice, 'POST', 'dms', { userId: bob.id });
  t.like(dm, { status: 200, body: { kind: 'dm', ownerId: null, memberCount: 2 } });
  t.deepEqual((await api(bob, 'POST', 'dms', { userId: alice.id })).body, dm.body);
  t.like(await api(alice, 'GET', `rooms/${randomUUID()}`), { status: 404, body: { error: { code: 'not_found' } } });
});

test.serial('when a room is read, its members come with display name, avatar and whether they are online', async (t) => {
  const [alice, bob] = [await register(platform, 'ada'), await register(platform, 'bob')];
  const updated = await api(alice, 'PATCH', 'profiles/me', { displayName: 'Ada L.', avatarUrl: 'https://example.test/ada.png' });
  t.is(updated.status, 200);
  const roomId = (await api(alice, 'POST', 'rooms', { name: 'with faces', visibility: 'private', memberIds: [bob.id] })).body.id as string;
  await connectSocket(t, platform.gatewayUrl, alice.token);
  const detail = await waitFor(
    async () => {
      const reply = await api(bob, 'GET', `rooms/${roomId}`);
      const members = reply.body.members as Array<{ online: boolean; displayName: string | null }>;
      return members.every((m) => m.displayName !== null) && members[0]?.online ? reply : undefined;
    },
    { what: 'profiles and presence in the room detail', timeoutMs: 10_000 },
  );
  t.is(detail.status, 200);
  t.deepEqual(detail.body.members, [
    { userId: alice.id, role: 'owner', displayName: 'Ada L.', username: alice.username, avatarUrl: 'https://example.test/ada.png', online: true },
    { userId: bob.id, role: 'member', displayName: bob.username, username: bob.username, avatarUrl: null, online: false },
  ]);
  t.like(detail.body, { id: roomId, name: 'with faces', memberCount: 2, kind: 'channel', visibility: 'private' });
});

test.serial('when a user id names no user, invites and dms answer 404 and memberIds 400', async (t) => {
  const alice = await register(platform);
  const ghost = randomUUID();
  const roomId = (await api(alice, 'POST', 'rooms', { name: 'r', visibility: 'private' })).body.id as string;
  t.like(await api(alice, 'POST', `rooms/${roomId}/members`, { userId: ghost }), { status: 404, body: { error: { code: 'not_found' } } });
  t.like(await api(alice, 'POST', 'dms', { userId: ghost }), { status: 404, body: { error: { code: 'not_found' } } });
  const fresh = await register(platform);
  // Registered a moment ago: known to the auth-service even before its profile exists.
  t.is((await api(alice, 'POST', 'dms', { userId: fresh.id })).status, 200);
  t.like(await api(alice, 'POST', 'rooms', { name: 'r', visibility: 'private', memberIds: [fresh.id, ghost] }), {
    status: 400,
    body: { error: { code: 'validation_failed', details: [{ path: 'body.memberIds[1]', message: 'names no user' }] } },
  });
  t.like(await api(alice, 'POST', 'dms', { userId: 'nope' }), { status: 400, body: { error: { details: [{ path: 'body.userId' }] } } });
});

test.serial('when the profile-service is down, a room is still served, its members without profile', async (t) => {
  const [alice, bob] = [await register(platform), await register(platform)];
  const roomId = (await api(alice, 'POST', 'rooms', { name: 'degraded', visibility: 'private', memberIds: [bob.id] })).body.id as string;
  await platform.stopApp('profile-service');
  const detail = await api(bob, 'GET', `rooms/${roomId}`);
  t.is(detail.status, 200);
  t.deepEqual(detail.body.members, [
    { userId: alice.id, role: 'owner', displayName: null, username: null, avatarUrl: null, online: false },
    { userId: bob.id, role: 'member', displayName: null, username: null, avatarUrl: null, online: false },
  ]);
});
