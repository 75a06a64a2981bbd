/**
 * profile-service with its real sidecar, the real state store, pub/sub and
 * avatars binding of the profile under test. The test calls the service as
 * the api-gateway does: through an app-less sidecar with app-id api-gateway
 * (Dapr service invocation sets dapr-caller-app-id), sending x-user-id.
 */
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startPlatform, waitFor, type Platform } from '@chat/devkit/testing';
import { IMAGES, pngOfSize } from '../helpers/index.js';
import { appLog, daprCounter, publishEvent, startEventTap, token, type EventTap } from '../helpers/platform.js';

let platform: Platform;
let tap: EventTap;

test.before(async () => {
  platform = await startPlatform({ services: ['profile-service'], callerSidecars: ['api-gateway'] });
  // chat-service is not running here, so its consumer group is free for the tap.
  tap = await startEventTap(platform, 'chat-service', ['profile.updated']);
});
test.after.always(async () => {
  await tap?.stop();
  await platform?.stop();
});

const gatewayPort = () => platform.callerSidecars['api-gateway']!.daprHttpPort;

/** Calls profile-service as the api-gateway, on behalf of `userId`. */
function asGateway(path: string, init: RequestInit & { userId?: string } = {}) {
  const { userId, headers, ...rest } = init;
  return fetch(`http://127.0.0.1:${gatewayPort()}/v1.0/invoke/profile-service/method/${path}`, {
    ...rest,
    headers: { 'dapr-api-token': token(platform), ...(userId ? { 'x-user-id': userId } : {}), ...(headers as Record<string, string>) },
  });
}

const newUser = () => {
  const id = randomUUID();
  return {
    userId: id,
    username: `u${id.slice(0, 8)}`,
    email: `${id.slice(0, 8)}@example.test`,
    displayName: null as string | null,
    createdAt: new Date().toISOString(),
  };
};

const register = (user: ReturnType<typeof newUser>, id: string = randomUUID()) => publishEvent(platform, gatewayPort(), 'user.registered', user, id);

const waitProfile = (userId: string) =>
  waitFor(
    async () => {
      const response = await asGateway('profiles/me', { userId });
      return response.status === 200 ? ((await response.json()) as Record<string, unknown>) : undefined;
    },
    { what: `the profile of ${userId}`, timeoutMs: 10_000, intervalMs: 20 },
  );

const json = (body: unknown) => ({ body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });

test.serial('when user.registered is published, the profile exists with the defaults within a second', async (t) => {
  const user = newUser();
  const publishedAt = Date.now();
  await register(user);
  const profile = await waitProfile(user.userId);
  const elapsed = Date.now() - publishedAt;
  t.true(elapsed < 1_000, `took ${elapsed} ms`);
  t.deepEqual(profile, {
    userId: user.userId,
    username: user.username,
    displayName: user.username,
    bio: '',
    avatarUrl: null,
    settings: { theme: 'system', notifications: 'all' },
    createdAt: user.createdAt,
    updatedAt: user.createdAt,
  });
  t.log(`profile readable ${elapsed} ms after publishing user.registered`);
});

test.serial('when the same user.registered is delivered twice, the second changes nothing', async (t) => {
  const user = { ...newUser(), displayName: 'First Name' };
  await register(user);
  await waitProfile(user.userId);
  const patched = (await (await asGateway('profiles/me', { method: 'PATCH', userId: user.userId, ...json({ bio: 'kept' }) })).json()) as object;
  // A redelivery, and a second publication of the same registration.
  await register({ ...user, displayName: 'Other Name' });
  await waitFor(() => appLog(platform.instance('profile-service')).some((l) => l['userId'] === user.userId && l['outcome'] === 'duplicate'), {
    what: 'the duplicate to be handled',
    timeoutMs: 10_000,
  });
  t.deepEqual(await (await asGateway('profiles/me', { userId: user.userId })).json(), patched);
});

test.serial('when user.registered is malformed, it is dropped with a log line and not retried', async (t) => {
  const instance = platform.instance('profile-service');
  const labels = { topic: 'user.registered', app_id: 'profile-service' };
  const dropsBefore = await daprCounter(instance, 'dapr_component_pubsub_ingress_count', { ...labels, process_status: 'drop' });
  const retriesBefore = await daprCounter(instance, 'dapr_component_pubsub_ingress_count', { ...labels, process_status: 'retry' });
  const eventId = `malformed-${randomUUID()}`;
  await register({ ...newUser(), username: 'X' }, eventId);
  const line = await waitFor(() => appLog(instance).find((l) => l['eventId'] === eventId && l['msg'] === 'dropping a malformed event'), {
    what: 'the drop log line',
    timeoutMs: 10_000,
  });
  t.like(line, { level: 'warn', topic: 'user.registered', err: { code: 'validation_failed' } });
  await waitFor(async () => (await daprCounter(instance, 'dapr_component_pubsub_ingress_count', { ...labels, process_status: 'drop' })) === dropsBefore + 1, {
    what: 'the sidecar to count the drop',
  });
  t.is(await daprCounter(instance, 'dapr_component_pubsub_ingress_count', { ...labels, process_status: 'retry' }), retriesBefore);
});

test.serial('when a read races the registration, the user the gateway vouches for gets the defaults', async (t) => {
  const user = newUser();
  const response = await asGateway('profiles/me', {
    userId: user.userId,
    headers: { 'x-user-username': user.username, 'x-user-created-at': user.createdAt },
  });
  t.is(response.status, 200);
  t.like(await response.json(), { userId: user.userId, username: user.username, displayName: user.username, bio: '', avatarUrl: null });
});

test.serial('when a profile is patched, the change is stored and profile.updated carries the public profile', async (t) => {
  const user = newUser();
  await register(user);
  await waitProfile(user.userId);
  const response = await asGateway('profiles/me', {
    method: 'PATCH',
    userId: user.userId,
    ...json({ displayName: 'Zoë 😀', settings: { theme: 'dark' } }),
  });
  t.is(response.status, 200);
  const profile = (await response.json()) as Record<string, unknown>;
  t.like(profile, { displayName: 'Zoë 😀', settings: { theme: 'dark', notifications: 'all' } });
  t.deepEqual(await (await asGateway('profiles/me', { userId: user.userId })).json(), profile);
  const event = await tap.next(
    (e) => (e.data as { displayName?: string }).displayName === 'Zoë 😀' && (e.data as { userId: string }).userId === user.userId,
    'profile.updated',
  );
  const { settings: _settings, ...publicProfile } = profile;
  t.like(event, { topic: 'profile.updated', source: 'profile-service' });
  t.deepEqual(event.data, publicProfile);
});

test.serial('when an avatar is uploaded it is stored through the binding, read back identical, and replacing it removes the old file', async (t) => {
  const user = newUser();
  await register(user);
  await waitProfile(user.userId);
  const folder = join(platform.runEnv.env['PLATFORM_AVATARS_DIR'] ?? '', user.userId);
  const upload = await asGateway('profiles/me/avatar', { method: 'PUT', userId: user.userId, body: IMAGES.png, headers: { 'content-type': 'image/png' } });
  t.is(upload.status, 200);
  const { avatarUrl } = (await upload.json()) as { avatarUrl: string };
  t.regex(avatarUrl, new RegExp(`/api/profiles/${user.userId}/avatar\\?v=[0-9a-f]{32}$`));
  const first = readdirSync(folder);
  t.is(first.length, 1);

  const read = await asGateway(`profiles/${user.userId}/avatar`, { userId: user.userId });
  t.is(read.status, 200);
  t.is(read.headers.get('content-type'), 'image/png');
  t.deepEqual(Buffer.from(await read.arrayBuffer()), IMAGES.png);
  const etag = read.headers.get('etag') ?? '';
  const cached = await asGateway(`profiles/${user.userId}/avatar`, { userId: user.userId, headers: { 'if-none-match': etag } });
  t.is(cached.status, 304);

  const big = pngOfSize(1024 * 1024);
  const t0 = Date.now();
  const replace = await asGateway('profiles/me/avatar', { method: 'PUT', userId: user.userId, body: big, headers: { 'content-type': 'image/png' } });
  t.is(replace.status, 200);
  t.log('1 MiB upload took', Date.now() - t0, 'ms');
  t.false(existsSync(join(folder, first[0]!)), 'the replaced object is gone');
  t.is(readdirSync(folder).length, 1);
  const readBig = await asGateway(`profiles/${user.userId}/avatar`, { userId: user.userId, headers: { 'if-none-match': etag } });
  t.is(readBig.status, 200);
  // Buffer.equals: ava's deepEqual takes seconds over a mebibyte.
  t.true(Buffer.from(await readBig.arrayBuffer()).equals(big), '1 MiB read back identical');
});

test.serial('when an SVG is declared as PNG, or the image is 1 MiB + 1 byte, the upload is refused', async (t) => {
  const user = newUser();
  await register(user);
  await waitProfile(user.userId);
  const svg = await asGateway('profiles/me/avatar', { method: 'PUT', userId: user.userId, body: IMAGES.svg, headers: { 'content-type': 'image/png' } });
  t.is(svg.status, 415);
  t.like(await svg.json(), { error: { code: 'unsupported_media_type' } });
  const big = await asGateway('profiles/me/avatar', {
    method: 'PUT',
    userId: user.userId,
    body: pngOfSize(1024 * 1024 + 1),
    headers: { 'content-type': 'image/png' },
  });
  t.is(big.status, 413);
  t.like(await big.json(), { error: { code: 'payload_too_large' } });
  t.false(existsSync(join(platform.runEnv.env['PLATFORM_AVATARS_DIR'] ?? '', user.userId)));
});

test.serial('when 100 profiles are read in one batch, the sidecar performs one bulk state read and no single reads', async (t) => {
  const users = Array.from({ length: 100 }, newUser);
  await Promise.all(users.map((u) => register(u)));
  const ids = users.map((u) => u.userId).join(',');
  await waitFor(async () => ((await (await asGateway(`profiles?ids=${ids}`)).json()) as { profiles: unknown[] }).profiles.length === 100, {
    what: '100 profiles to exist',
    timeoutMs: 20_000,
    intervalMs: 100,
  });
  const instance = platform.instance('profile-service');
  const count = (operation: string) => daprCounter(instance, 'dapr_component_state_count', { app_id: 'profile-service', operation });
  const [bulkBefore, getBefore] = [await count('bulk_get'), await count('get')];
  const response = await asGateway(`profiles?ids=${ids}`);
  t.is(response.status, 200);
  const { profiles } = (await response.json()) as { profiles: Array<{ userId: string }> };
  t.deepEqual(
    profiles.map((p) => p.userId),
    users.map((u) => u.userId),
  );
  await waitFor(async () => (await count('bulk_get')) > bulkBefore, { what: 'the bulk read to be counted' });
  t.is((await count('bulk_get')) - bulkBefore, 1);
  t.is((await count('get')) - getBefore, 0);
});

test.serial('when another app than the api-gateway calls a profile route, it is forbidden', async (t) => {
  const own = platform.instance('profile-service');
  // The service's own sidecar calling itself: the caller app-id is profile-service.
  const response = await fetch(`http://127.0.0.1:${own.daprHttpPort}/v1.0/invoke/profile-service/method/profiles/me`, {
    headers: { 'dapr-api-token': token(platform, 'profile-service'), 'x-user-id': randomUUID() },
  });
  t.is(response.status, 403);
  t.like(await response.json(), { error: { code: 'forbidden' } });
});
