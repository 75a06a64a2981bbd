/**
 * In-memory versions of the ports, for unit tests. They behave like the
 * Dapr-backed ones (optimistic concurrency, absent keys) and count calls so a
 * test can see what a use case costs.
 */
import { StateConflictError, type AvatarStorage, type ProfileEvents, type ProfileStore, type Versioned } from '../../domain/ports.js';
import type { ProfileRecord, PublicProfile } from '../../domain/profile.js';

export interface MemoryProfileStore extends ProfileStore {
  readonly records: Map<string, Versioned<ProfileRecord>>;
  readonly calls: { get: number; getMany: number; create: number; replace: number };
}

export function memoryProfileStore(): MemoryProfileStore {
  const records = new Map<string, Versioned<ProfileRecord>>();
  const calls = { get: 0, getMany: 0, create: 0, replace: 0 };
  let version = 0;
  const copy = (record: ProfileRecord): ProfileRecord => structuredClone(record);
  return {
    records,
    calls,
    async get(userId) {
      calls.get++;
      const found = records.get(userId);
      return found ? { value: copy(found.value), etag: found.etag } : undefined;
    },
    async getMany(userIds) {
      calls.getMany++;
      const out = new Map<string, ProfileRecord>();
      for (const id of userIds) {
        const found = records.get(id);
        if (found) out.set(id, copy(found.value));
      }
      return out;
    },
    async create(record) {
      calls.create++;
      if (records.has(record.userId)) throw new StateConflictError(`${record.userId} exists`);
      records.set(record.userId, { value: copy(record), etag: String(++version) });
    },
    async replace(record, etag) {
      calls.replace++;
      if (records.get(record.userId)?.etag !== etag) throw new StateConflictError(`${record.userId} changed`);
      records.set(record.userId, { value: copy(record), etag: String(++version) });
    },
  };
}

export function memoryProfileEvents(): ProfileEvents & { published: PublicProfile[] } {
  const published: PublicProfile[] = [];
  return {
    published,
    async profileUpdated(profile) {
      published.push(structuredClone(profile));
    },
  };
}

export function memoryAvatarStorage(): AvatarStorage & { objects: Map<string, Buffer> } {
  const objects = new Map<string, Buffer>();
  return {
    objects,
    async put(key, bytes) {
      objects.set(key, Buffer.from(bytes));
    },
    async get(key) {
      const found = objects.get(key);
      return found ? Buffer.from(found) : undefined;
    },
    async delete(key) {
      objects.delete(key);
    },
  };
}
