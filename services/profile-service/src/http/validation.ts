/**
 * Validation of what reaches the service: PATCH bodies (the contract's
 * ProfilePatch: unknown fields refused, lengths in code points, https: URLs
 * only), the
 * `user.registered` event data, ids, and the user the gateway vouches for.
 */
import { check, DisplayName, ProfilePatch as ProfilePatchSchema } from '@chat/contract';
import { validate, validationFailed, type ErrorDetail } from '@chat/platform';
import { LIMITS, type RegisteredUser } from '../domain/profile.js';
import type { ProfilePatch } from '../domain/profiles.js';

/** User ids are opaque (UUIDs from auth-service); this is what a state key and an object name can safely hold. */
export const USER_ID = /^[A-Za-z0-9_-]{1,128}$/;
export const isUserId = (value: unknown): value is string => typeof value === 'string' && USER_ID.test(value);

const USERNAME = /^[a-z0-9_.-]{3,32}$/;

/** A PATCH body; throws validation_failed listing every bad field. */
export function parsePatch(body: unknown): ProfilePatch {
  if (body === undefined) throw validationFailed([{ path: 'body', message: 'is required' }]);
  const patch = validate(body, ProfilePatchSchema);
  // exactOptionalPropertyTypes: drop the keys that were absent.
  const out: ProfilePatch = {};
  if (patch.displayName !== undefined) out.displayName = patch.displayName;
  if (patch.bio !== undefined) out.bio = patch.bio;
  if (patch.avatarUrl !== undefined) out.avatarUrl = patch.avatarUrl;
  if (patch.settings !== undefined) {
    out.settings = {};
    if (patch.settings.theme !== undefined) out.settings.theme = patch.settings.theme;
    if (patch.settings.notifications !== undefined) out.settings.notifications = patch.settings.notifications;
  }
  return out;
}

function isoTimestamp(value: unknown, path: string, details: ErrorDetail[]): string | undefined {
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value) && !Number.isNaN(Date.parse(value))) {
    return new Date(value).toISOString();
  }
  details.push({ path, message: 'must be an ISO-8601 timestamp' });
  return undefined;
}

/**
 * The data of a `user.registered` event: `{userId, username, email,
 * displayName, createdAt}`. Missing or malformed userId, username or
 * createdAt makes the event malformed (validation_failed, so it is dropped);
 * other fields are ignored (events grow by adding fields). A displayName that
 * does not fit the profile's rules falls back to the username rather than
 * losing the profile of a real user.
 */
export function parseUserRegistered(data: unknown): RegisteredUser {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw validationFailed([{ path: 'data', message: 'must be an object' }]);
  }
  const input = data as Record<string, unknown>;
  const details: ErrorDetail[] = [];
  const userId = isUserId(input['userId']) ? input['userId'] : undefined;
  if (!userId) details.push({ path: 'data.userId', message: 'must be a user id' });
  const username = typeof input['username'] === 'string' && USERNAME.test(input['username']) ? input['username'] : undefined;
  if (!username) details.push({ path: 'data.username', message: 'must be a username (3-32 of a-z 0-9 _ . -)' });
  const createdAt = isoTimestamp(input['createdAt'], 'data.createdAt', details);
  if (details.length > 0 || !userId || !username || !createdAt) throw validationFailed(details, 'Malformed user.registered event');
  const name = input['displayName'] == null ? undefined : check(DisplayName, input['displayName'], { path: 'data.displayName' });
  return { userId, username, createdAt, ...(name?.ok ? { displayName: name.value } : {}) };
}

/** Headers with which the gateway vouches for a registered user whose profile may not exist yet. */
export const VOUCHED_USERNAME_HEADER = 'x-user-username';
export const VOUCHED_CREATED_AT_HEADER = 'x-user-created-at';

/** The vouched-for user, or undefined when the gateway sent none (or something unusable). */
export function parseVouched(userId: string, username: string, createdAt: string): RegisteredUser | undefined {
  if (!username || !createdAt || !USERNAME.test(username)) return undefined;
  const details: ErrorDetail[] = [];
  const at = isoTimestamp(createdAt, 'createdAt', details);
  return at ? { userId, username, createdAt: at } : undefined;
}

/**
 * The `ids` query of the batch read: comma-separated (repeating `ids=` works
 * too), 1 to 100 entries, each a well-formed id. Well-formed ids that name no
 * profile are simply left out of the answer by the use case.
 */
export function parseIds(query: string | string[] | undefined): string[] {
  const path = 'query.ids';
  if (query === undefined) throw validationFailed([{ path, message: 'is required' }]);
  const ids = (Array.isArray(query) ? query.join(',') : query)
    .split(',')
    .map((id) => id.trim())
    .filter((id) => id !== '');
  if (ids.length === 0) throw validationFailed([{ path, message: 'must list at least one id' }]);
  if (ids.length > LIMITS.batchIdsMax) throw validationFailed([{ path, message: `must list at most ${LIMITS.batchIdsMax} ids` }]);
  const bad = ids.findIndex((id) => !isUserId(id));
  if (bad >= 0) throw validationFailed([{ path, message: `has an invalid id at position ${bad + 1}` }]);
  return ids;
}
