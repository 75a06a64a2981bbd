import test from 'ava';
import { IMAGES, pngOfSize, registered, withApp } from '../helpers/index.js';

const json = (body: unknown) => ({ body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });

async function withAlice(t: Parameters<typeof withApp>[0]) {
  const ctx = await withApp(t);
  await ctx.service.registerUser({ userId: 'u-alice', username: 'alice', createdAt: '2026-01-01T00:00:00.000Z' });
  return ctx;
}

test('when a caller other than the api-gateway calls a profile route, it is forbidden', async (t) => {
  const { call } = await withAlice(t);
  const response = await call('/profiles/me', { userId: 'u-alice', caller: 'chat-service' });
  t.is(response.status, 403);
  t.like(await response.json(), { error: { code: 'forbidden' } });
});

test('when the gateway sends no user id to a /me route, it is unauthenticated', async (t) => {
  const { call } = await withAlice(t);
  const response = await call('/profiles/me');
  t.is(response.status, 401);
  t.like(await response.json(), { error: { code: 'unauthenticated' } });
});

test('when GET /profiles/me races the registration, the vouched-for user gets the defaults', async (t) => {
  const { call } = await withApp(t);
  const headers = { 'x-user-username': 'bob', 'x-user-created-at': '2026-02-02T00:00:00.000Z' };
  const response = await call('/profiles/me', { userId: 'u-bob', headers });
  t.is(response.status, 200);
  t.deepEqual(await response.json(), {
    userId: 'u-bob',
    username: 'bob',
    displayName: 'bob',
    bio: '',
    avatarUrl: null,
    settings: { theme: 'system', notifications: 'all' },
    createdAt: '2026-02-02T00:00:00.000Z',
    updatedAt: '2026-02-02T00:00:00.000Z',
  });
  t.is((await call('/profiles/me', { userId: 'u-bob' })).status, 404, 'without the vouching headers: not found');
});

test('when a PATCH has unknown fields, wrong types, too long strings or a non-https URL, every problem is listed', async (t) => {
  const { call } = await withAlice(t);
  const response = await call('/profiles/me', {
    method: 'PATCH',
    userId: 'u-alice',
    ...json({
      displayName: 'x'.repeat(65),
      bio: 'b'.repeat(501),
      avatarUrl: 'http://example.test/a.png',
      settings: { theme: 'blue', sound: true },
      email: 'a@b.c',
    }),
  });
  t.is(response.status, 400);
  t.deepEqual(await response.json(), {
    error: {
      code: 'validation_failed',
      message: 'The request is not valid',
      details: [
        { path: 'body.email', message: 'is not a known field' },
        { path: 'body.displayName', message: 'must be at most 64 characters' },
        { path: 'body.bio', message: 'must be at most 500 characters' },
        { path: 'body.avatarUrl', message: 'must be an https: URL' },
        { path: 'body.settings.sound', message: 'is not a known field' },
        { path: 'body.settings.theme', message: 'must be one of system, light, dark' },
      ],
    },
    requestId: response.headers.get('x-request-id'),
  });
});

test('when lengths are counted, they are code points: 64 emoji fit a displayName, 500 a bio', async (t) => {
  const { call } = await withAlice(t);
  const displayName = '😀'.repeat(64); // 128 UTF-16 units
  const bio = '𝄞'.repeat(500);
  const ok = await call('/profiles/me', { method: 'PATCH', userId: 'u-alice', ...json({ displayName, bio }) });
  t.is(ok.status, 200);
  t.like(await ok.json(), { displayName, bio });
  const tooLong = await call('/profiles/me', { method: 'PATCH', userId: 'u-alice', ...json({ displayName: `${displayName}😀` }) });
  t.like(await tooLong.json(), { error: { details: [{ path: 'body.displayName', message: 'must be at most 64 characters' }] } });
});

test('when a PATCH has an empty displayName, control characters, a URL with credentials or a null field, it is refused', async (t) => {
  const { call } = await withAlice(t);
  const cases: Array<[unknown, string]> = [
    [{ displayName: '   ' }, 'body.displayName'],
    [{ displayName: 'two\nlines' }, 'body.displayName'],
    [{ bio: 'bell\u0007' }, 'body.bio'],
    [{ avatarUrl: 'https://user:pw@example.test/a.png' }, 'body.avatarUrl'],
    [{ avatarUrl: 'javascript:alert(1)' }, 'body.avatarUrl'],
    [{ displayName: null }, 'body.displayName'],
    [{ settings: null }, 'body.settings'],
    [[], 'body'],
  ];
  for (const [body, path] of cases) {
    const response = await call('/profiles/me', { method: 'PATCH', userId: 'u-alice', ...json(body) });
    t.is(response.status, 400, JSON.stringify(body));
    t.like(await response.json(), { error: { code: 'validation_failed', details: [{ path }] } }, JSON.stringify(body));
  }
});

test('when a PATCH body is not JSON, or not sent as JSON, it is 400 invalid_json or 415', async (t) => {
  const { call } = await withAlice(t);
  const invalid = await call('/profiles/me', { method: 'PATCH', userId: 'u-alice', body: '{', headers: { 'content-type': 'application/json' } });
  t.like(await invalid.json(), { error: { code: 'invalid_json' } });
  const text = await call('/profiles/me', { method: 'PATCH', userId: 'u-alice', body: 'bio=x', headers: { 'content-type': 'text/plain' } });
  t.is(text.status, 415);
});

test('when a valid PATCH arrives, the profile answers with the change, with null clearing avatarUrl', async (t) => {
  const { call } = await withAlice(t);
  const response = await call('/profiles/me', {
    method: 'PATCH',
    userId: 'u-alice',
    ...json({ displayName: '  Alice  ', bio: 'line one\nline two', avatarUrl: 'https://cdn.example.test/a.png', settings: { notifications: 'mentions' } }),
  });
  t.is(response.status, 200);
  t.like(await response.json(), {
    displayName: 'Alice',
    bio: 'line one\nline two',
    avatarUrl: 'https://cdn.example.test/a.png',
    settings: { theme: 'system', notifications: 'mentions' },
  });
  const cleared = await call('/profiles/me', { method: 'PATCH', userId: 'u-alice', ...json({ avatarUrl: null }) });
  t.like(await cleared.json(), { avatarUrl: null });
});

test('when an avatar is declared with a type other than PNG, JPEG or WebP, it is 415', async (t) => {
  const { call } = await withAlice(t);
  for (const type of ['image/svg+xml', 'text/html', 'image/gif', 'application/octet-stream']) {
    const response = await call('/profiles/me/avatar', { method: 'PUT', userId: 'u-alice', body: IMAGES.png, headers: { 'content-type': type } });
    t.is(response.status, 415, type);
    t.like(await response.json(), { error: { code: 'unsupported_media_type' } });
  }
});

test('when an SVG or HTML body is declared as PNG, it is refused with 415 and nothing is stored', async (t) => {
  const { call, avatars } = await withAlice(t);
  for (const body of [IMAGES.svg, IMAGES.html]) {
    const response = await call('/profiles/me/avatar', { method: 'PUT', userId: 'u-alice', body, headers: { 'content-type': 'image/png' } });
    t.is(response.status, 415);
    t.like(await response.json(), { error: { code: 'unsupported_media_type' } });
  }
  t.is(avatars.objects.size, 0);
});

test('when an avatar body is empty, it is 400 validation_failed', async (t) => {
  const { call } = await withAlice(t);
  const response = await call('/profiles/me/avatar', { method: 'PUT', userId: 'u-alice', body: Buffer.alloc(0), headers: { 'content-type': 'image/png' } });
  t.is(response.status, 400);
  t.like(await response.json(), { error: { code: 'validation_failed', details: [{ path: 'body', message: 'must not be empty' }] } });
});

test('when an avatar is exactly 1 MiB it is stored; 1 MiB + 1 byte is 413', async (t) => {
  const { call } = await withAlice(t);
  const ok = await call('/profiles/me/avatar', { method: 'PUT', userId: 'u-alice', body: pngOfSize(1024 * 1024), headers: { 'content-type': 'image/png' } });
  t.is(ok.status, 200);
  const tooBig = await call('/profiles/me/avatar', {
    method: 'PUT',
    userId: 'u-alice',
    body: pngOfSize(1024 * 1024 + 1),
    headers: { 'content-type': 'image/png' },
  });
  t.is(tooBig.status, 413);
  t.like(await tooBig.json(), { error: { code: 'payload_too_large' } });
});

test('when an avatar is uploaded, it is served back identical with its type and ETag, and 304 on If-None-Match', async (t) => {
  const { call } = await withAlice(t);
  const upload = await call('/profiles/me/avatar', { method: 'PUT', userId: 'u-alice', body: IMAGES.webp, headers: { 'content-type': 'image/webp' } });
  t.is(upload.status, 200);
  const profile = (await upload.json()) as { avatarUrl: string };
  t.regex(profile.avatarUrl, /^https:\/\/chat\.example\.test\/api\/profiles\/u-alice\/avatar\?v=[0-9a-f]{32}$/);
  const read = await call('/profiles/u-alice/avatar', { userId: 'u-bob' });
  t.is(read.status, 200);
  t.is(read.headers.get('content-type'), 'image/webp');
  t.deepEqual(Buffer.from(await read.arrayBuffer()), IMAGES.webp);
  const etag = read.headers.get('etag') ?? '';
  t.regex(etag, /^"[0-9a-f]{32}"$/);
  const again = await call('/profiles/u-alice/avatar', { userId: 'u-bob', headers: { 'if-none-match': etag } });
  t.is(again.status, 304);
  t.is(again.headers.get('etag'), etag);
  t.is((await call('/profiles/me/avatar', { userId: 'u-alice' })).status, 200, '/me/avatar is the caller');
});

test('when the batch read lists more than 100 ids, none at all, or a malformed id, it is 400; unknown ids are absent', async (t) => {
  const { call } = await withAlice(t);
  const many = Array.from({ length: 101 }, (_, i) => `u-${i}`).join(',');
  const tooMany = await call(`/profiles?ids=${many}`);
  t.is(tooMany.status, 400);
  t.like(await tooMany.json(), { error: { code: 'validation_failed', details: [{ path: 'query.ids' }] } });
  for (const query of ['', '?ids=', '?ids=,,', '?ids=u-alice,bad|id']) {
    const response = await call(`/profiles${query}`);
    t.is(response.status, 400, query);
    t.like(await response.json(), { error: { code: 'validation_failed', details: [{ path: 'query.ids' }] } }, query);
  }
  const some = await call('/profiles?ids=u-nobody,u-alice,u-alice');
  t.is(some.status, 200);
  t.deepEqual(await some.json(), {
    profiles: [
      {
        userId: 'u-alice',
        username: 'alice',
        displayName: 'alice',
        bio: '',
        avatarUrl: null,
        createdAt: '2026-01-01T00:00:00.000Z',
        updatedAt: '2026-01-01T00:00:00.000Z',
      },
    ],
  });
});

test('when a public profile is read, settings are not in it; an unknown id is 404, a malformed one 400', async (t) => {
  const { call } = await withAlice(t);
  const response = await call('/profiles/u-alice', { userId: 'u-bob' });
  t.is(response.status, 200);
  t.false('settings' in ((await response.json()) as object));
  const missing = await call('/profiles/u-nobody', { userId: 'u-bob' });
  t.is(missing.status, 404);
  t.like(await missing.json(), { error: { code: 'not_found' } });
  for (const path of ['/profiles/bad.id', '/profiles/bad.id/avatar']) {
    const malformed = await call(path, { userId: 'u-bob' });
    t.is(malformed.status, 400);
    t.like(await malformed.json(), { error: { code: 'validation_failed', details: [{ path: 'params.userId' }] } });
  }
});

const deliver = (call: Awaited<ReturnType<typeof withApp>>['call'], data: unknown) =>
  call('/events/user-registered', {
    method: 'POST',
    caller: '',
    body: JSON.stringify({
      id: 'e1',
      source: 'auth-service',
      type: 'com.dapr.event.sent',
      topic: 'user.registered',
      pubsubname: 'events',
      specversion: '1.0',
      data,
    }),
    headers: { 'content-type': 'application/cloudevents+json' },
  });

test('when the sidecar asks for subscriptions, user.registered on events is listed', async (t) => {
  const { call } = await withApp(t);
  t.deepEqual(await (await call('/dapr/subscribe')).json(), [{ pubsubname: 'events', topic: 'user.registered', route: '/events/user-registered' }]);
});

test('when user.registered is delivered, the profile is created (SUCCESS), and again it is a SUCCESS no-op', async (t) => {
  const { call, store } = await withApp(t);
  const first = await deliver(call, registered('u-carol', 'carol', { displayName: 'Carol' }));
  t.deepEqual(await first.json(), { status: 'SUCCESS' });
  t.like(store.records.get('u-carol')?.value, { username: 'carol', displayName: 'Carol' });
  const again = await deliver(call, registered('u-carol', 'carol', { displayName: 'Carol' }));
  t.deepEqual(await again.json(), { status: 'SUCCESS' });
  t.is(store.calls.create, 1);
});

test('when user.registered is malformed, it is dropped, not retried', async (t) => {
  const { call, store } = await withApp(t);
  for (const data of [null, 'text', {}, registered('u-1', 'ab'), registered('bad|id', 'dave'), registered('u-1', 'dave', { createdAt: 'yesterday' })]) {
    t.deepEqual(await (await deliver(call, data)).json(), { status: 'DROP' }, JSON.stringify(data));
  }
  t.is(store.records.size, 0);
});

test('when the store fails while handling user.registered, redelivery is asked for (RETRY)', async (t) => {
  const { call, store } = await withApp(t);
  store.get = () => Promise.reject(new Error('redis is down'));
  t.deepEqual(await (await deliver(call, registered('u-erin', 'erin'))).json(), { status: 'RETRY' });
});
