/**
 * ProfileStore over the Dapr state API (https://docs.dapr.io/reference/api/state_api/).
 * Keys are `profile:<userId>`; daprd prefixes them with the app-id.
 *
 * Every write uses first-write concurrency (a create without ETag, or an
 * update with one): on Redis a first-write create is only refused when the
 * existing key was itself written with first-write, so all writes must be.
 */
import { COMPONENTS, StateConflictError, type Sidecar } from '@chat/platform';
import type { ProfileStore, Versioned } from '../../domain/ports.js';
import type { ProfileRecord } from '../../domain/profile.js';

const KEY_PREFIX = 'profile:';
export const profileKey = (userId: string): string => `${KEY_PREFIX}${userId}`;

export function daprProfileStore(sidecar: Sidecar, storeName: string = COMPONENTS.stateStore): ProfileStore {
  return {
    async get(userId) {
      const item = await sidecar.state.get<ProfileRecord>(storeName, profileKey(userId));
      if (!item) return undefined;
      // The ETag is always there for a found key on the stores this platform uses.
      return { value: item.value, etag: item.etag ?? '' } satisfies Versioned<ProfileRecord>;
    },

    async getMany(userIds) {
      // One call to the sidecar's bulk API, whatever the number of ids.
      const items = await sidecar.state.getBulk<ProfileRecord>(storeName, userIds.map(profileKey));
      const out = new Map<string, ProfileRecord>();
      for (const [key, item] of items) out.set(key.slice(KEY_PREFIX.length), item.value);
      return out;
    },

    async create(record) {
      try {
        await sidecar.state.save(storeName, profileKey(record.userId), record, { firstWrite: true });
        return true;
      } catch (error) {
        if (error instanceof StateConflictError) return false;
        throw error;
      }
    },

    async replace(record, etag) {
      try {
        await sidecar.state.save(storeName, profileKey(record.userId), record, { etag });
        return true;
      } catch (error) {
        if (error instanceof StateConflictError) return false;
        throw error;
      }
    },
  };
}
