import test from 'ava';
import { isAppError } from '@chat/platform';
import { etagMatches } from '../../src/domain/profiles.js';
import { BASE_URL, IMAGES, memoryService } from '../helpers/index.js';

const alice = { userId: 'u-alice', username: 'alice', createdAt: '2026-01-01T00:00:00.000Z' };

const defaults = {
  userId: 'u-alice',
  username: 'alice',
  displayName: 'alice',
  bio: '',
  avatarUrl: null,
  settings: { theme: 'system', notifications: 'all' },
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
};

test('when a user registers, the profile is created with the defaults and profile.updated is published', async (t) => {
  const { service, events } = memoryService();
  t.is(await service.registerUser(alice), 'created');
  t.deepEqual(await service.getOwn('u-alice'), defaults);
  const { settings: _s, ...publicDefaults } = defaults;
  t.deepEqual(events.published, [publicDefaults]);
});

test('when the registration carries a displayName, the profile starts with it', async (t) => {
  const { service } = memoryService();
  await service.registerUser({ ...alice, displayName: 'Alice A.' });
  t.like(await service.getOwn('u-alice'), { displayName: 'Alice A.', username: 'alice' });
});

test('when the same registration is handled twice, the second changes nothing and publishes nothing', async (t) => {
  const { service, store, events } = memoryService();
  await service.registerUser(alice);
  await service.update('u-alice', { bio: 'hello' });
  const before = structuredClone(store.records.get('u-alice'));
  t.is(await service.registerUser(alice), 'duplicate');
  t.deepEqual(store.records.get('u-alice'), before);
  t.is(events.published.length, 2);
});

test('when a read races the registration of a vouched-for user, it answers the defaults and stores nothing', async (t) => {
  const { service, store } = memoryService();
  t.deepEqual(await service.getOwn('u-alice', alice), defaults);
  t.like(await service.getPublic('u-alice', alice), { userId: 'u-alice', displayName: 'alice' });
  t.is(store.records.size, 0);
});

test('when nobody vouches for a user without a profile, reads are not_found', async (t) => {
  const { service } = memoryService();
  for (const read of [() => service.getOwn('u-x'), () => service.getPublic('u-x'), () => service.getPublic('u-x', alice)]) {
    const error = await t.throwsAsync(read);
    t.true(isAppError(error));
    t.like(error, { code: 'not_found' });
  }
});

test('when a PATCH races the registration, a provisional profile is stored and the event completes it', async (t) => {
  const { service, store } = memoryService();
  const patched = await service.update('u-alice', { bio: 'early bird' }, alice);
  t.like(patched, { bio: 'early bird', displayName: 'alice' });
  t.truthy(store.records.get('u-alice')?.value.provisional);
  t.is(await service.registerUser({ ...alice, displayName: 'Alice A.' }), 'completed');
  const stored = store.records.get('u-alice')?.value;
  t.is(stored?.provisional, undefined);
  t.like(stored, { bio: 'early bird', displayName: 'Alice A.' });
  t.is(await service.registerUser({ ...alice, displayName: 'Alice A.' }), 'duplicate');
});

test('when a PATCH that raced the registration set the displayName, the event keeps it', async (t) => {
  const { service, store } = memoryService();
  await service.update('u-alice', { displayName: 'Chosen' }, alice);
  await service.registerUser({ ...alice, displayName: 'From signup' });
  t.like(store.records.get('u-alice')?.value, { displayName: 'Chosen' });
});

test('when a PATCH changes fields, they are stored, updatedAt moves and the public profile is published', async (t) => {
  const { service, events } = memoryService();
  await service.registerUser(alice);
  const updated = await service.update('u-alice', {
    displayName: 'Alice',
    bio: 'bio',
    avatarUrl: 'https://cdn.example.test/a.png',
    settings: { theme: 'dark' },
  });
  t.like(updated, {
    displayName: 'Alice',
    bio: 'bio',
    avatarUrl: 'https://cdn.example.test/a.png',
    settings: { theme: 'dark', notifications: 'all' },
  });
  t.not(updated.updatedAt, defaults.updatedAt);
  t.like(events.published.at(-1), { displayName: 'Alice', avatarUrl: 'https://cdn.example.test/a.png' });
  t.false('settings' in (events.published.at(-1) ?? {}));
});

test('when a PATCH changes nothing, nothing is written or published', async (t) => {
  const { service, store, events } = memoryService();
  await service.registerUser(alice);
  const writes = store.calls.replace;
  t.deepEqual(await service.update('u-alice', { displayName: 'alice', settings: {} }), defaults);
  t.is(store.calls.replace, writes);
  t.is(events.published.length, 1);
});

test('when two writers race on one profile, the loser re-reads and both changes survive', async (t) => {
  const { service, store } = memoryService();
  await service.registerUser(alice);
  // Slip a concurrent write in between the first writer's read and its write.
  const replace = store.replace.bind(store);
  let interfered = false;
  store.replace = async (record, etag) => {
    if (!interfered) {
      interfered = true;
      const current = store.records.get('u-alice')!;
      await replace({ ...current.value, bio: 'from the other writer' }, current.etag);
    }
    return replace(record, etag);
  };
  await service.update('u-alice', { displayName: 'Alice' });
  t.like(store.records.get('u-alice')?.value, { displayName: 'Alice', bio: 'from the other writer' });
});

test('when an avatar is uploaded, the bytes are stored and avatarUrl points at the gateway route', async (t) => {
  const { service, avatars } = memoryService();
  await service.registerUser(alice);
  const profile = await service.setAvatar('u-alice', IMAGES.png, 'image/png');
  t.regex(profile.avatarUrl ?? '', new RegExp(`^${BASE_URL}/api/profiles/u-alice/avatar\\?v=[0-9a-f]{32}$`));
  t.is(avatars.objects.size, 1);
  const read = await service.readAvatar('u-alice');
  t.is(read.status, 'ok');
  t.like(read, { contentType: 'image/png' });
  t.deepEqual(read.status === 'ok' ? read.bytes : undefined, IMAGES.png);
});

test('when an avatar is replaced, by an upload or by a PATCH of avatarUrl, the old object is removed', async (t) => {
  const { service, avatars } = memoryService();
  await service.registerUser(alice);
  await service.setAvatar('u-alice', IMAGES.png, 'image/png');
  const first = [...avatars.objects.keys()];
  await service.setAvatar('u-alice', IMAGES.webp, 'image/webp');
  const second = [...avatars.objects.keys()];
  t.is(second.length, 1);
  t.notDeepEqual(second, first);
  const again = await service.setAvatar('u-alice', IMAGES.webp, 'image/webp');
  t.deepEqual([...avatars.objects.keys()], second, 'the same bytes again keep the same object');
  t.deepEqual(await service.update('u-alice', { avatarUrl: again.avatarUrl }), again, 'sending back the served URL keeps the image');
  t.like(await service.update('u-alice', { avatarUrl: null }), { avatarUrl: null });
  t.is(avatars.objects.size, 0);
});

test('when the bytes are not the declared image type, the upload is refused with 415 and nothing is stored', async (t) => {
  const { service, avatars } = memoryService();
  await service.registerUser(alice);
  for (const [bytes, declared] of [
    [IMAGES.svg, 'image/png'],
    [IMAGES.html, 'image/png'],
    [IMAGES.jpeg, 'image/png'],
    [IMAGES.png, 'image/gif'],
  ] as const) {
    const error = await t.throwsAsync(service.setAvatar('u-alice', bytes, declared));
    t.like(error, { code: 'unsupported_media_type', status: 415 });
  }
  t.is(avatars.objects.size, 0);
});

test('when the profile update after an upload fails, the new object is removed', async (t) => {
  const { service, avatars } = memoryService();
  await t.throwsAsync(service.setAvatar('u-nobody', IMAGES.png, 'image/png'), { message: /No profile/ });
  t.is(avatars.objects.size, 0);
});

test('when If-None-Match names the current ETag, the avatar read answers not_modified without reading the bytes', async (t) => {
  const { service, avatars } = memoryService();
  await service.registerUser(alice);
  await service.setAvatar('u-alice', IMAGES.png, 'image/png');
  const first = await service.readAvatar('u-alice');
  const get = avatars.get.bind(avatars);
  let reads = 0;
  avatars.get = async (key) => {
    reads++;
    return get(key);
  };
  t.like(await service.readAvatar('u-alice', first.etag), { status: 'not_modified', etag: first.etag });
  t.like(await service.readAvatar('u-alice', `"other", W/${first.etag}`), { status: 'not_modified' });
  t.like(await service.readAvatar('u-alice', '"other"'), { status: 'ok' });
  t.is(reads, 1);
});

test('when a user has no uploaded avatar, reading it is not_found', async (t) => {
  const { service } = memoryService();
  await service.registerUser(alice);
  await t.throwsAsync(service.readAvatar('u-alice'), { message: /no uploaded avatar/ });
});

test('when many ids are read, it costs one bulk read and unknown ids are absent, duplicates once, order kept', async (t) => {
  const { service, store } = memoryService();
  const ids = Array.from({ length: 100 }, (_, i) => `u-${i}`);
  for (const id of ids.slice(0, 60)) await service.registerUser({ userId: id, username: `user${id.slice(2)}`, createdAt: alice.createdAt });
  const gets = store.calls.get;
  const profiles = await service.getMany([...ids.slice().reverse(), 'u-0']);
  t.is(store.calls.getMany, 1);
  t.is(store.calls.get, gets);
  t.deepEqual(
    profiles.map((p) => p.userId),
    ids.slice(0, 60).reverse(),
  );
  t.false(profiles.some((p) => 'settings' in p));
});

test('etagMatches follows the weak comparison of If-None-Match', (t) => {
  t.true(etagMatches('"a"', '"a"'));
  t.true(etagMatches('W/"a"', '"a"'));
  t.true(etagMatches(' "b" , "a"', '"a"'));
  t.true(etagMatches('*', '"a"'));
  t.false(etagMatches('"b"', '"a"'));
  t.false(etagMatches('a', '"a"'));
});
