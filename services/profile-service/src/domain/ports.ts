/**
 * What the profile use cases need from the outside world. The Dapr adapters
 * (`adapters/dapr/`) implement these over the sidecar; the in-memory ones
 * (`adapters/memory/`) back the unit tests.
 */
import type { ProfileRecord, PublicProfile } from './profile.js';

/** A value read with its version, and the error of a conditional write that lost its race: shared by every service's store. */
import type { Versioned } from '@chat/platform';
export { StateConflictError, type Versioned } from '@chat/platform';

/**
 * Profiles by user id. Writes are optimistic: `create` only succeeds when the
 * key is absent, `replace` only when the stored version is still `etag`; a
 * write that loses its race throws StateConflictError and writes nothing.
 *
 * @example
 * const found = await store.get(userId);
 * if (!found) await store.create(record); else await store.replace(next, found.etag);
 */
export interface ProfileStore {
  get(userId: string): Promise<Versioned<ProfileRecord> | undefined>;
  /** Every found profile of `userIds` in ONE store round trip; absent ids are missing from the map. */
  getMany(userIds: string[]): Promise<Map<string, ProfileRecord>>;
  /** Creates the profile; StateConflictError when one exists already. */
  create(record: ProfileRecord): Promise<void>;
  /** Replaces the profile; StateConflictError when it changed since `etag` was read. */
  replace(record: ProfileRecord, etag: string): Promise<void>;
}

/** Domain events other services (the gateway's caches) react to. */
export interface ProfileEvents {
  profileUpdated(profile: PublicProfile): Promise<void>;
}

/** Where avatar bytes live (a folder locally, object storage elsewhere). */
export interface AvatarStorage {
  put(key: string, bytes: Buffer, contentType: string): Promise<void>;
  /** The bytes, or undefined when no object has that key. */
  get(key: string): Promise<Buffer | undefined>;
  /** Removes the object; removing an absent object is not an error. */
  delete(key: string): Promise<void>;
}
