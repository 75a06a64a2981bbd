import test from 'ava';
import type { Sidecar } from '@chat/platform';
import { daprProfileStore } from '../../../src/adapters/dapr/profile-store.js';
import { daprAvatarStorage } from '../../../src/adapters/dapr/avatar-storage.js';
import { defaultRecord } from '../../../src/domain/profile.js';
import { IMAGES } from '../../helpers/index.js';

/** A sidecar client that records every call the adapters make to it. */
function countingSidecar() {
  const calls: Array<{ api: string; args: unknown[] }> = [];
  const stored = new Map<string, unknown>();
  const fake = {
    state: {
      async get(store: string, key: string) {
        calls.push({ api: 'state.get', args: [store, key] });
        return stored.has(key) ? { key, value: stored.get(key), etag: '1' } : undefined;
      },
      async getBulk(store: string, keys: string[]) {
        calls.push({ api: 'state.getBulk', args: [store, keys] });
        return new Map(keys.filter((k) => stored.has(k)).map((k) => [k, { key: k, value: stored.get(k), etag: '1' }]));
      },
    },
    async binding(name: string, operation: string, data: string | undefined, metadata: Record<string, string>) {
      calls.push({ api: 'binding', args: [name, operation, data, metadata] });
      if (operation === 'get') return { status: 500, body: Buffer.from('{"message":"file not found: /x"}'), headers: new Headers() };
      if (operation === 'delete') return { status: 500, body: Buffer.from('{"message":"remove /x: no such file or directory"}'), headers: new Headers() };
      return { status: 200, body: Buffer.from('{"fileName":"x"}'), headers: new Headers() };
    },
  };
  return { sidecar: fake as unknown as Sidecar, calls, stored };
}

test('when 100 profiles are read at once, the adapter makes exactly one bulk state call to the sidecar', async (t) => {
  const { sidecar, calls, stored } = countingSidecar();
  const ids = Array.from({ length: 100 }, (_, i) => `user-${i}`);
  for (const id of ids.slice(0, 50)) stored.set(`profile:${id}`, defaultRecord({ userId: id, username: `n${id}`, createdAt: '2026-01-01T00:00:00.000Z' }));
  const found = await daprProfileStore(sidecar).getMany(ids);
  t.deepEqual(calls, [{ api: 'state.getBulk', args: ['statestore', ids.map((id) => `profile:${id}`)] }]);
  t.deepEqual([...found.keys()], ids.slice(0, 50));
});

test('when avatar bytes are stored, they travel base64-encoded, named for localstorage (fileName) and S3 (key)', async (t) => {
  const { sidecar, calls } = countingSidecar();
  await daprAvatarStorage(sidecar).put('u-1/abc.png', IMAGES.png, 'image/png');
  t.deepEqual(calls, [
    {
      api: 'binding',
      args: [
        'avatars',
        'create',
        IMAGES.png.toString('base64'),
        { fileName: 'u-1/abc.png', key: 'u-1/abc.png', decodeBase64: 'true', contentType: 'image/png' },
      ],
    },
  ]);
});

test('when the avatar object is missing, get answers undefined and delete succeeds', async (t) => {
  const { sidecar } = countingSidecar();
  const storage = daprAvatarStorage(sidecar);
  t.is(await storage.get('u-1/missing.png'), undefined);
  await t.notThrowsAsync(storage.delete('u-1/missing.png'));
});
