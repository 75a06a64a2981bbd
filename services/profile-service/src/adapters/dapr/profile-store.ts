/**
 * ProfileStore over the Dapr state API (https://docs.dapr.io/reference/api/state_api/).
 * Keys are `profile:<userId>`; daprd prefixes them with the app-id.
 *
 * Every write uses first-write concurrency (a create without ETag, or an
 * update with one): on Redis a first-write create is only refused when the
 * existing key was itself written with first-write, so all writes must be.
 */
import { COMPONENTS, readVersioned, type Sidecar } from '@chat/platform';
import type { ProfileStore } from '../../domain/ports.js';
import type { ProfileRecord } from '../../domain/profile.js';

const KEY_PREFIX = 'profile:';
export const profileKey = (userId: string): string => `${KEY_PREFIX}${userId}`;

export function daprProfileStore(sidecar: Sidecar, storeName: string = COMPONENTS.stateStore): ProfileStore {
  return {
    get: (userId) => readVersioned<ProfileRecord>(sidecar, storeName, profileKey(userId)),

    async getMany(userIds) {
      // One call to the sidecar's bulk API, whatever the number of ids.
      const items = await sidecar.state.getBulk<ProfileRecord>(storeName, userIds.map(profileKey));
      const out = new Map<string, ProfileRecord>();
      for (const [key, item] of items) out.set(key.slice(KEY_PREFIX.length), item.value);
      return out;
    },

    async create(record) {
      await sidecar.state.save(storeName, profileKey(record.userId), record, { firstWrite: true });
    },

    async replace(record, etag) {
      await sidecar.state.save(storeName, profileKey(record.userId), record, { etag });
    },
  };
}
