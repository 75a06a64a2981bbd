import type { PresenceRecord, PresenceRecords } from '../../src/realtime/presence.js';

/**
 * In-memory presence records with versions and expiry, shared by every
 * replica a test builds, as the gateway's state store is.
 */
export function fakePresenceRecords(now: () => number = Date.now): PresenceRecords {
  const data = new Map<string, { record: PresenceRecord; version: string; expiresAt: number }>();
  let version = 0;
  const live = (userId: string) => {
    const item = data.get(userId);
    if (item && item.expiresAt <= now()) {
      data.delete(userId);
      return undefined;
    }
    return item;
  };
  return {
    async readMany(userIds) {
      const found = new Map<string, PresenceRecord>();
      for (const userId of userIds) {
        const item = live(userId);
        if (item) found.set(userId, structuredClone(item.record));
      }
      return found;
    },
    async read(userId) {
      const item = live(userId);
      return item ? { record: structuredClone(item.record), version: item.version } : undefined;
    },
    async write(userId, record, condition) {
      if (live(userId)?.version !== condition.version) return false;
      version += 1;
      data.set(userId, { record: structuredClone(record), version: String(version), expiresAt: now() + condition.ttlSeconds * 1000 });
      return true;
    },
    async remove(userId, expected) {
      const item = live(userId);
      if (expected !== undefined && item && item.version !== expected) return false;
      data.delete(userId);
      return true;
    },
  };
}
