/**
 * The profile entity: what is stored, what clients see, and the defaults a
 * profile starts with. No I/O here.
 */

export const THEMES = ['system', 'light', 'dark'] as const;
export const NOTIFICATIONS = ['all', 'mentions', 'none'] as const;

export type Theme = (typeof THEMES)[number];
export type Notifications = (typeof NOTIFICATIONS)[number];

export interface Settings {
  theme: Theme;
  notifications: Notifications;
}

export const DEFAULT_SETTINGS: Readonly<Settings> = Object.freeze({ theme: 'system', notifications: 'all' });

export const LIMITS = {
  displayNameMax: 64,
  bioMax: 500,
  avatarUrlMax: 2048,
  avatarBytesMax: 1024 * 1024,
  batchIdsMax: 100,
} as const;

export type ImageType = 'image/png' | 'image/jpeg' | 'image/webp';
export const IMAGE_TYPES: readonly ImageType[] = ['image/png', 'image/jpeg', 'image/webp'];

/** An avatar image stored through the avatars binding. */
export interface StoredAvatar {
  /** Object name in the binding (`<userId>/<sha256>.<ext>`): content-addressed. */
  key: string;
  contentType: ImageType;
  /** Strong ETag (quoted), derived from the bytes. */
  etag: string;
  size: number;
}

/** The stored record (state key `profile:<userId>`, prefixed by daprd with the app-id). */
export interface ProfileRecord {
  userId: string;
  username: string;
  displayName: string;
  bio: string;
  /** An external https: URL a client set, or null. Ignored while `avatar` is set. */
  avatarUrl: string | null;
  /** An uploaded image; wins over `avatarUrl`. */
  avatar?: StoredAvatar | undefined;
  settings: Settings;
  createdAt: string;
  updatedAt: string;
  /**
   * Set when the record was written before `user.registered` was handled (a
   * PATCH or upload that raced the event). The event then fills in what only
   * it knows (the registration displayName, createdAt) and clears the flag.
   */
  provisional?: { userSetDisplayName: boolean } | undefined;
}

export interface Profile {
  userId: string;
  username: string;
  displayName: string;
  bio: string;
  avatarUrl: string | null;
  settings: Settings;
  createdAt: string;
  updatedAt: string;
}

export type PublicProfile = Omit<Profile, 'settings'>;

/** What is known of a registered user: from `user.registered`, or vouched for by the gateway. */
export interface RegisteredUser {
  userId: string;
  username: string;
  /** The displayName given at registration, if any. */
  displayName?: string | undefined;
  createdAt: string;
}

export function defaultRecord(user: RegisteredUser, options: { provisional?: boolean } = {}): ProfileRecord {
  return {
    userId: user.userId,
    username: user.username,
    displayName: user.displayName ?? user.username,
    bio: '',
    avatarUrl: null,
    settings: { ...DEFAULT_SETTINGS },
    createdAt: user.createdAt,
    updatedAt: user.createdAt,
    ...(options.provisional ? { provisional: { userSetDisplayName: false } } : {}),
  };
}

/**
 * Where clients fetch an uploaded avatar: the gateway's
 * `GET /api/profiles/:userId/avatar`, made absolute with the public base URL.
 * The `v` query (the content hash) changes with every new image, so a client
 * or cache that keys on the URL sees the change; the route ignores it.
 */
export function avatarLink(publicBaseUrl: string, userId: string, avatar: StoredAvatar): string {
  return `${publicBaseUrl}/api/profiles/${encodeURIComponent(userId)}/avatar?v=${avatar.etag.replaceAll('"', '')}`;
}

export function toProfile(record: ProfileRecord, publicBaseUrl: string): Profile {
  return {
    userId: record.userId,
    username: record.username,
    displayName: record.displayName,
    bio: record.bio,
    avatarUrl: record.avatar ? avatarLink(publicBaseUrl, record.userId, record.avatar) : record.avatarUrl,
    settings: { ...record.settings },
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}

export function toPublicProfile(record: ProfileRecord, publicBaseUrl: string): PublicProfile {
  const { settings: _settings, ...rest } = toProfile(record, publicBaseUrl);
  return rest;
}
