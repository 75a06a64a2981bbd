/**
 * What the account use cases need from the outside world, as interfaces.
 * `adapters/dapr/` implements them over the sidecar (state store, pub/sub,
 * secret store); `adapters/memory/` implements them in memory for tests.
 */
import type { KeyObject } from 'node:crypto';

/** A value read with its version, and the error of a conditional write that lost its race: shared by every service's store. */
import type { Versioned } from '@chat/platform';
export { StateConflictError, type Versioned } from '@chat/platform';

export interface User {
  id: string;
  /** Lower-case; unique. */
  username: string;
  /** Lower-case; unique. */
  email: string;
  passwordHash: string;
  createdAt: string;
  /**
   * Sessions (refresh-token chains) carry the epoch they were made in; a
   * password change raises it, which revokes every other session at once.
   */
  sessionEpoch: number;
  passwordChangedAt?: string;
}

/** The user as the contract shows it. */
export interface PublicUser {
  id: string;
  username: string;
  email: string;
  createdAt: string;
}

export type ClaimKind = 'username' | 'email';

export interface Claim {
  userId: string;
  claimedAt: string;
}

export interface UserStore {
  get(id: string): Promise<Versioned<User> | undefined>;
  /** Writes a new user (the id is fresh). */
  create(user: User): Promise<void>;
  /** Replaces a user if it is still at `etag`; else StateConflictError. */
  update(user: User, etag: string | undefined): Promise<void>;
  delete(id: string): Promise<void>;
  findClaim(kind: ClaimKind, value: string): Promise<Versioned<Claim> | undefined>;
  /**
   * Takes `value` for `userId`, first write wins even across replicas:
   * 'taken' when another user holds it. Claiming a value one already holds
   * is 'claimed' again (idempotent).
   */
  claim(kind: ClaimKind, value: string, userId: string): Promise<'claimed' | 'taken'>;
  /** Gives the value back if `userId` still holds it. */
  release(kind: ClaimKind, value: string, userId: string): Promise<void>;
}

/** One refresh token, stored under the hash of the token (never the token). */
export interface RefreshRecord {
  familyId: string;
  userId: string;
  createdAt: string;
  expiresAt: string;
  /** Set once the token was exchanged; a second use is reuse. */
  spentAt?: string;
}

/** A chain of refresh tokens (one login, rotated on every use): a session. */
export interface SessionFamily {
  id: string;
  userId: string;
  /** The user's sessionEpoch when the session was made (see User). */
  epoch: number;
  createdAt: string;
  revokedAt?: string;
  revokedReason?: 'logout' | 'reuse' | 'password_change';
  /** The chain's last exchange, by token hash: what a repeat of it within the grace period may replace. */
  lastExchange?: { spent: string; successor: string; spentAt: string };
}

export interface SaveOptions {
  etag?: string | undefined;
  ttlSeconds: number;
}

export interface SessionStore {
  getRefresh(tokenHash: string): Promise<Versioned<RefreshRecord> | undefined>;
  /** With an etag, conflicts raise StateConflictError (someone else spent it first). */
  saveRefresh(tokenHash: string, record: RefreshRecord, options: SaveOptions): Promise<void>;
  getFamily(id: string): Promise<Versioned<SessionFamily> | undefined>;
  saveFamily(family: SessionFamily, options: SaveOptions): Promise<void>;
}

export type Reservation = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/**
 * Attempt counters for brute-force protection, kept in the shared store with
 * a TTL so that every replica sees the same counts.
 */
export interface AttemptCounter {
  /** Counts one attempt if fewer than `limit` were counted in the current window. */
  reserve(key: string, limit: number, windowSeconds: number): Promise<Reservation>;
  /** Takes back one counted attempt (it turned out to be legitimate). */
  release(key: string): Promise<void>;
  /** Forgets every attempt on `key`. */
  reset(key: string): Promise<void>;
}

/**
 * Addresses an account has recently been logged into from (a correct
 * password): while strangers hammer an account, these keep their normal
 * limits (see throttle.ts). Keys are opaque digests of account and address;
 * each entry expires on its own.
 */
export interface KnownAddresses {
  isKnown(key: string): Promise<boolean>;
  /** Marks `key` known for `ttlSeconds` from now. */
  remember(key: string, ttlSeconds: number): Promise<void>;
}

/** The `user.registered` event: profile-service builds the profile from it. Shape fixed by contract. */
export interface UserRegistered {
  userId: string;
  username: string;
  email: string;
  displayName: string;
  createdAt: string;
}

export interface EventPublisher {
  userRegistered(event: UserRegistered): Promise<void>;
}

/** A public key as published in the JWKS. */
export interface PublicJwk {
  kty: string;
  crv?: string;
  x?: string;
  y?: string;
  kid: string;
  alg: string;
  use: 'sig';
}

export interface KeySet {
  /** The newest key: every new token is signed with it. */
  signing: { kid: string; alg: 'ES256'; privateKey: KeyObject };
  /** Every key's public half, for verifiers (rotation keeps old ones here). */
  publicKeys: PublicJwk[];
}

export interface SigningKeySource {
  current(): Promise<KeySet>;
}
