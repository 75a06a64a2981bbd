/**
 * The profile use cases: create from registration, read (own, public, many),
 * update, and the avatar image. Pure logic over the ports; no Koa, no Dapr.
 */
import { createHash } from 'node:crypto';
import { AppError, notFound, unavailable, type Logger } from '@chat/platform';
import { IMAGE_EXTENSIONS, sniffImageType } from './image.js';
import { StateConflictError, type AvatarStorage, type ProfileEvents, type ProfileStore } from './ports.js';
import {
  IMAGE_TYPES,
  defaultRecord,
  toProfile,
  toPublicProfile,
  type ImageType,
  type Profile,
  type ProfileRecord,
  type PublicProfile,
  type RegisteredUser,
  type Settings,
  type StoredAvatar,
} from './profile.js';

/** A validated PATCH body; absent fields stay as they are. */
export interface ProfilePatch {
  displayName?: string;
  bio?: string;
  avatarUrl?: string | null;
  settings?: Partial<Settings>;
}

export type AvatarRead =
  { status: 'not_modified'; etag: string; contentType: ImageType } | { status: 'ok'; etag: string; contentType: ImageType; bytes: Buffer };

export type RegistrationOutcome = 'created' | 'completed' | 'duplicate';

export interface ProfileServiceDeps {
  store: ProfileStore;
  events: ProfileEvents;
  avatars: AvatarStorage;
  /** Base of the public avatar URLs, e.g. https://chat.example.com (no trailing slash). */
  publicBaseUrl: string;
  logger: Logger;
  now?: () => Date;
}

/** Optimistic writes that keep losing a race give up after this many reads. */
const MAX_ATTEMPTS = 8;

const profileNotFound = () => notFound('No profile for this user');

/** True when the conditional write went through, false when it lost its race (the caller re-reads). */
async function wrote(write: Promise<void>): Promise<boolean> {
  try {
    await write;
    return true;
  } catch (error) {
    if (error instanceof StateConflictError) return false;
    throw error;
  }
}

/**
 * Builds the profile use cases over their ports.
 *
 * A user known to exist but whose `user.registered` event has not been handled
 * yet is passed in as `vouched` (the gateway learnt it from the verified token
 * and auth-service): reads answer the defaults without storing them, and a
 * write stores a provisional profile that the event later completes.
 */
export function createProfileService(deps: ProfileServiceDeps) {
  const { store, events, avatars, publicBaseUrl, logger } = deps;
  const now = () => (deps.now ? deps.now() : new Date()).toISOString();

  async function announce(record: ProfileRecord): Promise<void> {
    try {
      await events.profileUpdated(toPublicProfile(record, publicBaseUrl));
    } catch (error) {
      // The change is stored; a missed event only leaves a gateway cache
      // stale until it expires. Failing the request would misreport the write.
      logger.error({ err: error, userId: record.userId }, 'publishing profile.updated failed');
    }
  }

  async function removeObject(key: string, why: string): Promise<void> {
    try {
      await avatars.delete(key);
    } catch (error) {
      logger.warn({ err: error, key, why }, 'removing an avatar object failed; it is orphaned');
    }
  }

  /**
   * Read-modify-write of one profile under optimistic concurrency. `change`
   * returns the next record, or undefined when nothing changes (nothing is
   * written then). A missing profile is built from `vouched` (provisional) or
   * is not_found.
   */
  async function mutate(
    userId: string,
    vouched: RegisteredUser | undefined,
    change: (current: ProfileRecord) => ProfileRecord | undefined,
  ): Promise<{ before: ProfileRecord | undefined; after: ProfileRecord; changed: boolean }> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const found = await store.get(userId);
      if (!found) {
        if (!vouched || vouched.userId !== userId) throw profileNotFound();
        const base = defaultRecord(vouched, { provisional: true });
        const next = change(base);
        if (!next) return { before: undefined, after: base, changed: false };
        if (await wrote(store.create(next))) return { before: undefined, after: next, changed: true };
        continue;
      }
      const next = change(found.value);
      if (!next) return { before: found.value, after: found.value, changed: false };
      if (await wrote(store.replace(next, found.etag))) return { before: found.value, after: next, changed: true };
    }
    throw new AppError('conflict', 'The profile kept changing while it was being updated; try again');
  }

  return {
    /**
     * Handles `user.registered`: creates the profile with the defaults.
     * Handling the same event again changes nothing. A provisional profile
     * (written by a request that raced the event) is completed with what only
     * the event knows: the registration displayName (unless the user set one
     * meanwhile) and createdAt.
     */
    async registerUser(user: RegisteredUser): Promise<RegistrationOutcome> {
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const found = await store.get(user.userId);
        if (!found) {
          const record = defaultRecord(user);
          if (await wrote(store.create(record))) {
            await announce(record);
            return 'created';
          }
          continue;
        }
        const current = found.value;
        if (!current.provisional) return 'duplicate';
        const { provisional, ...rest } = current;
        const completed: ProfileRecord = {
          ...rest,
          username: user.username,
          displayName: provisional.userSetDisplayName ? current.displayName : (user.displayName ?? user.username),
          createdAt: user.createdAt,
        };
        if (await wrote(store.replace(completed, found.etag))) {
          await announce(completed);
          return 'completed';
        }
      }
      throw unavailable('The profile kept changing while the registration was being applied');
    },

    /** The caller's own profile; the defaults when the user is vouched for but not stored yet. */
    async getOwn(userId: string, vouched?: RegisteredUser): Promise<Profile> {
      const found = await store.get(userId);
      if (found) return toProfile(found.value, publicBaseUrl);
      if (vouched && vouched.userId === userId) return toProfile(defaultRecord(vouched), publicBaseUrl);
      throw profileNotFound();
    },

    /**
     * Anyone's public profile. An id with no stored profile is not_found, except
     * the caller's own id when vouched for (someone else's id cannot be told
     * apart from an unknown one here; see the README).
     */
    async getPublic(userId: string, vouched?: RegisteredUser): Promise<PublicProfile> {
      const found = await store.get(userId);
      if (found) return toPublicProfile(found.value, publicBaseUrl);
      if (vouched && vouched.userId === userId) return toPublicProfile(defaultRecord(vouched), publicBaseUrl);
      throw profileNotFound();
    },

    /** Public profiles of `userIds` (deduplicated, in the given order) from one bulk read; unknown ids are absent. */
    async getMany(userIds: string[]): Promise<PublicProfile[]> {
      const unique = [...new Set(userIds)];
      if (unique.length === 0) return [];
      const found = await store.getMany(unique);
      const out: PublicProfile[] = [];
      for (const id of unique) {
        const record = found.get(id);
        if (record) out.push(toPublicProfile(record, publicBaseUrl));
      }
      return out;
    },

    /**
     * Applies a validated patch. Setting `avatarUrl` (to a URL or null)
     * replaces an uploaded image, whose object is then removed. A patch that
     * changes nothing writes and publishes nothing.
     */
    async update(userId: string, patch: ProfilePatch, vouched?: RegisteredUser): Promise<Profile> {
      const result = await mutate(userId, vouched, (current) => {
        const next: ProfileRecord = { ...current, settings: { ...current.settings, ...patch.settings } };
        let userSetDisplayName = false;
        if (patch.displayName !== undefined && patch.displayName !== current.displayName) {
          next.displayName = patch.displayName;
          userSetDisplayName = true;
        }
        if (patch.bio !== undefined) next.bio = patch.bio;
        if (patch.avatarUrl !== undefined) {
          const shown = toProfile(current, publicBaseUrl).avatarUrl;
          // A client that sends back the URL it was given keeps the image.
          if (patch.avatarUrl !== shown) {
            next.avatarUrl = patch.avatarUrl;
            delete next.avatar;
          }
        }
        const changed =
          next.displayName !== current.displayName ||
          next.bio !== current.bio ||
          next.avatarUrl !== current.avatarUrl ||
          next.avatar?.key !== current.avatar?.key ||
          next.settings.theme !== current.settings.theme ||
          next.settings.notifications !== current.settings.notifications;
        if (!changed) return undefined;
        next.updatedAt = now();
        if (current.provisional) {
          next.provisional = { userSetDisplayName: current.provisional.userSetDisplayName || userSetDisplayName };
        }
        return next;
      });
      if (result.changed) {
        const oldKey = result.before?.avatar?.key;
        if (oldKey && oldKey !== result.after.avatar?.key) await removeObject(oldKey, 'replaced by avatarUrl');
        await announce(result.after);
      }
      return toProfile(result.after, publicBaseUrl);
    },

    /**
     * Stores a new avatar image. The bytes must really be PNG, JPEG or WebP
     * and match `declaredType` (else 415). The object is written first, then
     * the profile points at it, then the replaced object is removed, so a
     * reader never sees a profile pointing at a missing image.
     */
    async setAvatar(userId: string, bytes: Buffer, declaredType: string, vouched?: RegisteredUser): Promise<Profile> {
      const declared = IMAGE_TYPES.find((type) => type === declaredType);
      if (!declared) {
        throw new AppError('unsupported_media_type', `Avatars must be ${IMAGE_TYPES.join(', ')}`);
      }
      if (bytes.length === 0) {
        throw new AppError('validation_failed', 'The image is empty', { details: [{ path: 'body', message: 'must not be empty' }] });
      }
      const actual = sniffImageType(bytes);
      if (!actual) {
        throw new AppError('unsupported_media_type', `The body is not a ${declared} image (its bytes are no PNG, JPEG or WebP)`);
      }
      if (actual !== declared) {
        throw new AppError('unsupported_media_type', `The body is a ${actual} image, not the declared ${declared}`);
      }
      const hash = createHash('sha256').update(bytes).digest('hex');
      const avatar: StoredAvatar = {
        key: `${userId}/${hash}.${IMAGE_EXTENSIONS[actual]}`,
        contentType: actual,
        etag: `"${hash.slice(0, 32)}"`,
        size: bytes.length,
      };
      await avatars.put(avatar.key, bytes, actual);
      let result: Awaited<ReturnType<typeof mutate>>;
      try {
        result = await mutate(userId, vouched, (current) => {
          if (current.avatar?.key === avatar.key) return undefined;
          return { ...current, avatar, avatarUrl: null, updatedAt: now() };
        });
      } catch (error) {
        // Keep no orphan, unless the profile already uses these very bytes.
        const current = await store.get(userId).catch(() => undefined);
        if (current?.value.avatar?.key !== avatar.key) await removeObject(avatar.key, 'the profile update failed');
        throw error;
      }
      if (result.changed) {
        const oldKey = result.before?.avatar?.key;
        if (oldKey && oldKey !== avatar.key) await removeObject(oldKey, 'replaced by a new upload');
        await announce(result.after);
      }
      return toProfile(result.after, publicBaseUrl);
    },

    /**
     * The uploaded avatar of `userId`. When `ifNoneMatch` names its current
     * ETag the bytes are not even read (answer 304).
     */
    async readAvatar(userId: string, ifNoneMatch?: string): Promise<AvatarRead> {
      const found = await store.get(userId);
      const avatar = found?.value.avatar;
      if (!avatar) throw notFound('This user has no uploaded avatar');
      if (ifNoneMatch !== undefined && etagMatches(ifNoneMatch, avatar.etag)) {
        return { status: 'not_modified', etag: avatar.etag, contentType: avatar.contentType };
      }
      const bytes = await avatars.get(avatar.key);
      if (!bytes) {
        logger.warn({ userId, key: avatar.key }, 'the profile points at an avatar object that is missing');
        throw notFound('This user has no uploaded avatar');
      }
      return { status: 'ok', etag: avatar.etag, contentType: avatar.contentType, bytes };
    },
  };
}

export type ProfileService = ReturnType<typeof createProfileService>;

/** If-None-Match uses the weak comparison (RFC 9110, 13.1.2): `*`, or any listed tag, W/ or not. */
export function etagMatches(header: string, etag: string): boolean {
  const value = header.trim();
  if (value === '*') return true;
  const opaque = etag.replace(/^W\//, '');
  return value.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === opaque);
}
