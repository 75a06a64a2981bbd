/**
 * The presence records over the sidecar's state API
 * (https://docs.dapr.io/reference/api/state_api/), in the gateway's own
 * state (keys prefixed `api-gateway||` by daprd): one key per user,
 * `presence:{userId}`, written with the ETag it was read at (first-write when
 * there was none) and a TTL. A lost race comes back as StateConflictError
 * from the sidecar client, and as `false` from here.
 */
import { COMPONENTS, StateConflictError, type Sidecar } from '@chat/platform';
import type { PresenceRecord, PresenceRecords } from '../../realtime/presence.js';

const keyOf = (userId: string): string => `presence:${userId}`;

/** Runs a conditional write: false when it lost its race. */
async function raced(write: () => Promise<void>): Promise<boolean> {
  try {
    await write();
    return true;
  } catch (error) {
    if (error instanceof StateConflictError) return false;
    throw error;
  }
}

export function createDaprPresenceRecords(sidecar: Sidecar, options: { store?: string } = {}): PresenceRecords {
  const store = options.store ?? COMPONENTS.stateStore;
  return {
    async readMany(userIds) {
      const found = await sidecar.state.getBulk<PresenceRecord>(store, userIds.map(keyOf));
      const records = new Map<string, PresenceRecord>();
      for (const userId of userIds) {
        const item = found.get(keyOf(userId));
        if (item) records.set(userId, item.value);
      }
      return records;
    },
    async read(userId) {
      const item = await sidecar.state.get<PresenceRecord>(store, keyOf(userId));
      return item ? { record: item.value, version: item.etag } : undefined;
    },
    write: (userId, record, { version, ttlSeconds }) =>
      raced(() => sidecar.state.save<PresenceRecord>(store, keyOf(userId), record, { ...(version ? { etag: version } : { firstWrite: true }), ttlSeconds })),
    remove: (userId, version) => raced(() => sidecar.state.delete(store, keyOf(userId), version)),
  };
}
