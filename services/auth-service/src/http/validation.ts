/**
 * Request bodies of the auth routes (docs/api.md, "Auth"). Unknown fields are
 * refused; each bad field is listed in `details`.
 */
import { object, str } from '@chat/platform';

/** A pragmatic address check: something@domain.tld, no spaces; the mailbox proves the rest. */
const EMAIL = /^[^\s@"<>()[\]\\,;:]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/;

export const username = str({
  trim: true,
  lowercase: true,
  min: 3,
  max: 32,
  pattern: /^[a-z0-9_.-]+$/,
  patternMessage: 'may contain only a-z, 0-9, _, . and -',
});
export const email = str({ trim: true, lowercase: true, min: 3, max: 254, pattern: EMAIL, patternMessage: 'must be a valid email address' });
export const newPassword = str({ min: 8, max: 128 });
/** Passwords being checked: any length a stored password may have. */
const givenPassword = str({ min: 1, max: 128 });
const displayName = str({ trim: true, min: 1, max: 64, noControl: true });
const refreshToken = str({ min: 1, max: 512 });

export const registerBody = object({ username, email, password: newPassword, displayName }, ['displayName']);
export const loginBody = object({ login: str({ trim: true, min: 1, max: 254 }), password: givenPassword });
export const refreshBody = object({ refreshToken });
export const passwordBody = object({ currentPassword: givenPassword, newPassword });
