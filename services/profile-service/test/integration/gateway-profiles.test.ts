/**
 * Every row and rule of the profiles part of docs/api.md, through the api-gateway
 * with real access tokens (registered through /api/auth/register), real
 * sidecars, the real state store, pub/sub and avatars binding.
 */
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startPlatform, waitFor, type Platform } from '@chat/devkit/testing';
import { IMAGES, pngOfSize } from '../helpers/index.js';
import { daprCounter, publishEvent, startEventTap, token, type EventTap } from '../helpers/platform.js';

let platform: Platform;
let tap: EventTap;

test.before(async () => {
  platform = await startPlatform({ services: ['api-gateway', 'auth-service', 'profile-service'] });
  // chat-service is not running here, so its consumer group is free for the tap.
  tap = await startEventTap(platform, 'chat-service', ['profile.updated']);
});
test.after.always(async () => {
  await tap?.stop();
  await platform?.stop();
});

interface Session {
  user: { id: string; username: string; email: string; createdAt: string };
  accessToken: string;
  registeredAt: number;
}

async function registerUser(extra: Record<string, unknown> = {}): Promise<Session> {
  const name = `p${randomUUID().slice(0, 8)}`;
  const response = await fetch(`${platform.gatewayUrl}/api/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: name, email: `${name}@example.test`, password: 'correct horse battery', ...extra }),
  });
  if (response.status !== 201) throw new Error(`register answered ${response.status}: ${await response.text()}`);
  const registeredAt = Date.now();
  return { ...((await response.json()) as Omit<Session, 'registeredAt'>), registeredAt };
}

function api(path: string, session: Session | undefined, init: RequestInit = {}) {
  return fetch(`${platform.gatewayUrl}/api/profiles${path}`, {
    ...init,
    headers: { ...(session ? { authorization: `Bearer ${session.accessToken}` } : {}), ...(init.headers as Record<string, string>) },
  });
}

const patch = (session: Session, body: unknown) =>
  api('/me', session, { method: 'PATCH', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });

const upload = (session: Session, body: Buffer, type: string) => api('/me/avatar', session, { method: 'PUT', body, headers: { 'content-type': type } });

/** The stored profile (the batch read answers stored profiles only, never race defaults). */
const waitStored = (session: Session) =>
  waitFor(
    async () => {
      const response = await api(`?ids=${session.user.id}`, session);
      const { profiles } = (await response.json()) as { profiles: Array<Record<string, unknown>> };
      return profiles[0];
    },
    { what: `the stored profile of ${session.user.username}`, timeoutMs: 10_000, intervalMs: 20 },
  );

/** Removes the stored profile through the profile-service's own sidecar: as if user.registered were not handled yet. */
async function forgetProfile(userId: string): Promise<void> {
  const sidecar = platform.instance('profile-service');
  const response = await fetch(`http://127.0.0.1:${sidecar.daprHttpPort}/v1.0/state/statestore/profile:${userId}`, {
    method: 'DELETE',
    headers: { 'dapr-api-token': token(platform, 'profile-service') },
  });
  if (response.status !== 204) throw new Error(`deleting the profile answered ${response.status}`);
}

const gatewaySidecar = () => platform.instance('api-gateway').daprHttpPort;

const defaultsOf = (session: Session, displayName = session.user.username) => ({
  userId: session.user.id,
  username: session.user.username,
  displayName,
  bio: '',
  avatarUrl: null,
  settings: { theme: 'system', notifications: 'all' },
  createdAt: session.user.createdAt,
  updatedAt: session.user.createdAt,
});

// Serial: it measures a latency, so the other tests of this file (scrypt-heavy registrations) must not run meanwhile.
test.serial('when a user registers, the stored profile exists within a second, with the registration displayName', async (t) => {
  const session = await registerUser({ displayName: 'Ada Lovelace' });
  const stored = await waitStored(session);
  const elapsed = Date.now() - session.registeredAt;
  t.true(elapsed < 1_000, `took ${elapsed} ms`);
  t.log(`stored profile readable ${elapsed} ms after the 201 of /api/auth/register`);
  const { settings: _settings, ...publicDefaults } = defaultsOf(session, 'Ada Lovelace');
  t.deepEqual(stored, publicDefaults);
  const me = await api('/me', session);
  t.is(me.status, 200);
  t.truthy(me.headers.get('x-request-id'));
  t.deepEqual(await me.json(), defaultsOf(session, 'Ada Lovelace'));
});

test('when the profile is read before user.registered is handled, GET /me and /:ownId answer the defaults, never 404', async (t) => {
  const session = await registerUser();
  await waitStored(session);
  await forgetProfile(session.user.id);
  const me = await api('/me', session);
  t.is(me.status, 200);
  t.deepEqual(await me.json(), defaultsOf(session));
  const own = await api(`/${session.user.id}`, session);
  t.is(own.status, 200);
  const { settings: _settings, ...publicDefaults } = defaultsOf(session);
  t.deepEqual(await own.json(), publicDefaults);
  // Someone else reading that id cannot be told it exists yet (see the README).
  const other = await registerUser();
  t.is((await api(`/${session.user.id}`, other)).status, 404);
});

test('when a PATCH races user.registered, it is kept, and the late event completes the profile', async (t) => {
  const session = await registerUser({ displayName: 'From Signup' });
  await waitStored(session);
  await forgetProfile(session.user.id);
  const early = await patch(session, { bio: 'written before the event' });
  t.is(early.status, 200);
  t.like(await early.json(), { bio: 'written before the event', displayName: session.user.username });
  // The registration event arrives (again) now.
  await publishEvent(
    platform,
    gatewaySidecar(),
    'user.registered',
    {
      userId: session.user.id,
      username: session.user.username,
      email: session.user.email,
      displayName: 'From Signup',
      createdAt: session.user.createdAt,
    },
    randomUUID(),
  );
  const completed = await waitFor(
    async () => {
      const body = (await (await api('/me', session)).json()) as { displayName: string };
      return body.displayName === 'From Signup' ? body : undefined;
    },
    { what: 'the late event to complete the profile', timeoutMs: 10_000 },
  );
  t.like(completed, { bio: 'written before the event', displayName: 'From Signup', createdAt: session.user.createdAt });
});

test('when a route is called without a valid access token, it is 401 with WWW-Authenticate: Bearer', async (t) => {
  const someone = randomUUID();
  for (const [method, path] of [
    ['GET', '/me'],
    ['PATCH', '/me'],
    ['PUT', '/me/avatar'],
    ['GET', `/${someone}`],
    ['GET', `?ids=${someone}`],
  ] as const) {
    const response = await fetch(`${platform.gatewayUrl}/api/profiles${path}`, { method, headers: { authorization: 'Bearer a.b.c' } });
    t.is(response.status, 401, `${method} ${path}`);
    t.is(response.headers.get('www-authenticate'), 'Bearer');
    t.like(await response.json(), { error: { code: 'unauthenticated' } });
  }
});

test('when an avatar is downloaded without a token, it is public: an unknown user is 404, not 401', async (t) => {
  const response = await fetch(`${platform.gatewayUrl}/api/profiles/${randomUUID()}/avatar`);
  t.is(response.status, 404);
  t.like(await response.json(), { error: { code: 'not_found' } });
  const me = await fetch(`${platform.gatewayUrl}/api/profiles/me/avatar`);
  t.is(me.status, 400, 'me needs a token to resolve, and this route takes none');
});

test('when PATCH /me is valid, it answers the profile, stores it, and profile.updated carries the public profile', async (t) => {
  const session = await registerUser();
  await waitStored(session);
  const response = await patch(session, {
    displayName: '  Grace 🐚  ',
    bio: 'Line one\nline two',
    avatarUrl: 'https://images.example.test/grace.png',
    settings: { theme: 'dark', notifications: 'mentions' },
  });
  t.is(response.status, 200);
  const profile = (await response.json()) as Record<string, unknown> & { updatedAt: string };
  t.like(profile, {
    userId: session.user.id,
    displayName: 'Grace 🐚',
    bio: 'Line one\nline two',
    avatarUrl: 'https://images.example.test/grace.png',
    settings: { theme: 'dark', notifications: 'mentions' },
  });
  t.true(profile.updatedAt > session.user.createdAt);
  t.deepEqual(await (await api('/me', session)).json(), profile);
  const { settings: _settings, ...publicProfile } = profile;
  const event = await tap.next(
    (e) => (e.data as { userId?: string; bio?: string }).userId === session.user.id && (e.data as { bio?: string }).bio === 'Line one\nline two',
    'profile.updated after the PATCH',
  );
  t.deepEqual(event.data, publicProfile);
  const partial = await patch(session, { settings: { theme: 'light' } });
  t.like(await partial.json(), { settings: { theme: 'light', notifications: 'mentions' } }, 'settings left out keep their value');
  const cleared = await patch(session, { avatarUrl: null });
  t.like(await cleared.json(), { avatarUrl: null });
});

test('when PATCH /me breaks a rule, it is 400 validation_failed naming each field', async (t) => {
  const session = await registerUser();
  await waitStored(session);
  const response = await patch(session, {
    displayName: '',
    bio: 'x'.repeat(501),
    avatarUrl: 'http://images.example.test/a.png',
    settings: { theme: 'sepia', notifications: 'some' },
    username: 'renamed',
  });
  t.is(response.status, 400);
  t.deepEqual(await response.json(), {
    error: {
      code: 'validation_failed',
      message: 'The request is not valid',
      details: [
        { path: 'body.username', message: 'is not a known field' },
        { path: 'body.displayName', message: 'must not be empty' },
        { path: 'body.bio', message: 'must be at most 500 characters' },
        { path: 'body.avatarUrl', message: 'must be an https: URL' },
        { path: 'body.settings.theme', message: 'must be one of system, light, dark' },
        { path: 'body.settings.notifications', message: 'must be one of all, mentions, none' },
      ],
    },
    requestId: response.headers.get('x-request-id'),
  });
  // Lengths are code points: 64 astral characters (128 UTF-16 units) fit; 65 do not.
  t.is((await patch(session, { displayName: '𝒜'.repeat(64), bio: '🙂'.repeat(500) })).status, 200);
  t.is((await patch(session, { displayName: '𝒜'.repeat(65) })).status, 400);
  t.is((await patch(session, { bio: '🙂'.repeat(501) })).status, 400);
  t.is((await patch(session, { avatarUrl: 'ftp://images.example.test/a.png' })).status, 400);
  t.is((await patch(session, { settings: { theme: 'dark', fontSize: 3 } })).status, 400);
});

test('when PATCH /me is not JSON, too large or of another type, it is 400 invalid_json, 413 or 415', async (t) => {
  const session = await registerUser();
  const invalid = await api('/me', session, { method: 'PATCH', body: '{"bio":', headers: { 'content-type': 'application/json' } });
  t.is(invalid.status, 400);
  t.like(await invalid.json(), { error: { code: 'invalid_json' } });
  const large = await api('/me', session, {
    method: 'PATCH',
    body: JSON.stringify({ bio: 'x'.repeat(65 * 1024) }),
    headers: { 'content-type': 'application/json' },
  });
  t.is(large.status, 413);
  t.like(await large.json(), { error: { code: 'payload_too_large' } });
  const form = await api('/me', session, { method: 'PATCH', body: 'bio=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  t.is(form.status, 415);
  t.like(await form.json(), { error: { code: 'unsupported_media_type' } });
});

test('when a PNG, JPEG or WebP avatar is uploaded, avatarUrl serves the identical bytes with their type and an ETag, 304 when unchanged', async (t) => {
  const session = await registerUser();
  await waitStored(session);
  for (const [bytes, type] of [
    [IMAGES.png, 'image/png'],
    [IMAGES.jpeg, 'image/jpeg'],
    [IMAGES.webp, 'image/webp'],
  ] as const) {
    const response = await upload(session, bytes, type);
    t.is(response.status, 200, type);
    const profile = (await response.json()) as { avatarUrl: string; userId: string };
    const url = new URL(profile.avatarUrl);
    t.is(url.pathname, `/api/profiles/${session.user.id}/avatar`);
    const read = await fetch(`${platform.gatewayUrl}${url.pathname}${url.search}`, { headers: { authorization: `Bearer ${session.accessToken}` } });
    t.is(read.status, 200);
    t.is(read.headers.get('content-type'), type);
    t.is(read.headers.get('x-content-type-options'), 'nosniff');
    t.deepEqual(Buffer.from(await read.arrayBuffer()), bytes, `${type} bytes read back identical`);
    const etag = read.headers.get('etag');
    t.truthy(etag);
    const again = await api(`/${session.user.id}/avatar`, session, { headers: { 'if-none-match': etag ?? '' } });
    t.is(again.status, 304);
    t.is(again.headers.get('etag'), etag);
  }
  // Only the newest image is kept: each upload removed the one it replaced.
  t.is(readdirSync(join(platform.runEnv.env['PLATFORM_AVATARS_DIR'] ?? '', session.user.id)).length, 1);
  const other = await registerUser();
  const seen = await api(`/${session.user.id}/avatar`, other);
  t.deepEqual(Buffer.from(await seen.arrayBuffer()), IMAGES.webp, 'another user sees it too');
});

test('when an avatar body is SVG or HTML declared as PNG, or a type other than PNG/JPEG/WebP, it is 415 and nothing is stored', async (t) => {
  const session = await registerUser();
  await waitStored(session);
  for (const [bytes, type] of [
    [IMAGES.svg, 'image/png'],
    [IMAGES.html, 'image/png'],
    [IMAGES.png, 'image/jpeg'],
    [IMAGES.svg, 'image/svg+xml'],
    [IMAGES.gif, 'image/gif'],
  ] as const) {
    const response = await upload(session, bytes, type);
    t.is(response.status, 415, `${type}`);
    t.like(await response.json(), { error: { code: 'unsupported_media_type' } });
  }
  t.like(await (await api('/me', session)).json(), { avatarUrl: null });
  t.is((await api(`/${session.user.id}/avatar`, session)).status, 404);
});

test('when an avatar is exactly 1 MiB it is stored, and 1 MiB + 1 byte is 413', async (t) => {
  const session = await registerUser();
  await waitStored(session);
  const exact = pngOfSize(1024 * 1024);
  t.is((await upload(session, exact, 'image/png')).status, 200);
  const tooBig = await upload(session, pngOfSize(1024 * 1024 + 1), 'image/png');
  t.is(tooBig.status, 413);
  t.like(await tooBig.json(), { error: { code: 'payload_too_large' } });
  const read = await api(`/${session.user.id}/avatar`, session);
  // Buffer.equals: ava's deepEqual takes seconds over a mebibyte.
  t.true(Buffer.from(await read.arrayBuffer()).equals(exact), '1 MiB read back identical');
});

test('when another user profile is read, it is the public profile; unknown ids 404, malformed ids 400', async (t) => {
  const [reader, target] = await Promise.all([registerUser(), registerUser()]);
  await waitStored(target);
  await patch(target, { settings: { theme: 'dark' } });
  const response = await api(`/${target.user.id}`, reader);
  t.is(response.status, 200);
  const body = (await response.json()) as Record<string, unknown>;
  t.like(body, { userId: target.user.id, username: target.user.username });
  t.false('settings' in body);
  const unknown = await api(`/${randomUUID()}`, reader);
  t.is(unknown.status, 404);
  t.like(await unknown.json(), { error: { code: 'not_found' } });
  t.is((await api(`/${randomUUID()}/avatar`, reader)).status, 404);
  const malformed = await api('/not.an.id', reader);
  t.is(malformed.status, 400);
  t.like(await malformed.json(), { error: { code: 'validation_failed', details: [{ path: 'params.userId' }] } });
});

test.serial('when 100 profiles are read with ?ids=, they come in order from one bulk state read; unknown ids are absent; 101 is 400', async (t) => {
  const session = await registerUser();
  const ids = Array.from({ length: 99 }, () => randomUUID());
  // Registered users, created fast: their events published straight onto the bus.
  await Promise.all(
    ids.map((id, i) =>
      publishEvent(
        platform,
        gatewaySidecar(),
        'user.registered',
        { userId: id, username: `batch${i}-${id.slice(0, 6)}`, email: `${id}@example.test`, displayName: `Batch ${i}`, createdAt: new Date().toISOString() },
        randomUUID(),
      ),
    ),
  );
  const query = [...ids, session.user.id].join(',');
  await waitFor(async () => ((await (await api(`?ids=${query}`, session)).json()) as { profiles: unknown[] }).profiles.length === 100, {
    what: '100 stored profiles',
    timeoutMs: 20_000,
    intervalMs: 100,
  });
  const sidecar = platform.instance('profile-service');
  const count = (operation: string) => daprCounter(sidecar, 'dapr_component_state_count', { app_id: 'profile-service', component: 'statestore', operation });
  const [bulkBefore, getBefore] = [await count('bulk_get'), await count('get')];
  const response = await api(`?ids=${query}`, session);
  t.is(response.status, 200);
  const { profiles } = (await response.json()) as { profiles: Array<Record<string, unknown>> };
  t.deepEqual(
    profiles.map((p) => p['userId']),
    [...ids, session.user.id],
  );
  t.false(profiles.some((p) => 'settings' in p));
  await waitFor(async () => (await count('bulk_get')) > bulkBefore, { what: 'daprd to count the bulk read' });
  t.is((await count('bulk_get')) - bulkBefore, 1, 'one bulk state read');
  t.is((await count('get')) - getBefore, 0, 'no single-key reads');

  const some = await api(`?ids=${randomUUID()},${session.user.id}`, session);
  t.deepEqual(
    ((await some.json()) as { profiles: Array<{ userId: string }> }).profiles.map((p) => p.userId),
    [session.user.id],
  );
  const tooMany = await api(`?ids=${[...ids, session.user.id, randomUUID()].join(',')}`, session);
  t.is(tooMany.status, 400);
  t.like(await tooMany.json(), { error: { code: 'validation_failed', details: [{ path: 'query.ids' }] } });
  t.is((await api('', session)).status, 400);
});
