/**
 * The account use cases: register, log in, refresh, log out, read the caller,
 * change the password, publish the verification keys. No I/O of their own:
 * everything goes through the ports (`ports.ts`).
 */
import { randomUUID } from 'node:crypto';
import { AppError, StateConflictError, conflict, unauthenticated, unavailable, validationFailed, type Logger } from '@chat/platform';
import { createLimiter, type PasswordHasher } from './passwords.js';
import type {
  ClaimKind,
  EventPublisher,
  PublicJwk,
  PublicUser,
  RefreshRecord,
  SessionFamily,
  SessionStore,
  SigningKeySource,
  User,
  UserStore,
} from './ports.js';
import { accountKey, addressKey, type Throttle } from './throttle.js';
import { hashRefreshToken, looksLikeRefreshToken, newRefreshToken, type AccessTokenIssuer } from './tokens.js';

export interface AccountsDeps {
  users: UserStore;
  sessions: SessionStore;
  events: EventPublisher;
  keys: SigningKeySource;
  hasher: PasswordHasher;
  throttle: Throttle;
  accessTokens: AccessTokenIssuer;
  refreshTokenTtlSeconds: number;
  /** How long a spent refresh token may be exchanged again while its successor is unused (0: never). */
  refreshReuseGraceSeconds?: number;
  now?: () => number;
}

/** Who is asking, as far as the use cases care. */
export interface CallContext {
  /** The client's address as the gateway saw it (brute-force limits). */
  clientAddress?: string | undefined;
  log: Logger;
}

export interface RegisterInput {
  username: string;
  email: string;
  password: string;
  displayName?: string | undefined;
}

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

export type AuthResult = { user: PublicUser } & TokenPair;

/** A claim whose user never got written (the registration died half-way) is given back after this long. */
const STALE_CLAIM_MS = 2 * 60_000;

const invalidCredentials = () => new AppError('invalid_credentials', 'The login or the password is wrong');
const invalidRefreshToken = () => unauthenticated('The refresh token is not valid');

export const publicUser = (user: User): PublicUser => ({
  id: user.id,
  username: user.username,
  email: user.email,
  createdAt: user.createdAt,
});

export function createAccounts(deps: AccountsDeps) {
  const { users, sessions, hasher, throttle } = deps;
  const now = deps.now ?? Date.now;
  const iso = () => new Date(now()).toISOString();
  const refreshTtl = deps.refreshTokenTtlSeconds;
  const reuseGraceMs = (deps.refreshReuseGraceSeconds ?? 0) * 1000;

  /** Starts a new session (refresh-token chain) for `user` and issues its first tokens. */
  async function startSession(user: User): Promise<TokenPair> {
    const family: SessionFamily = { id: randomUUID(), userId: user.id, epoch: user.sessionEpoch, createdAt: iso() };
    await sessions.saveFamily(family, { ttlSeconds: refreshTtl });
    return issuePair(user.id, family.id);
  }

  async function issuePair(userId: string, familyId: string, refreshToken = newRefreshToken()): Promise<TokenPair> {
    const record: RefreshRecord = {
      familyId,
      userId,
      createdAt: iso(),
      expiresAt: new Date(now() + refreshTtl * 1000).toISOString(),
    };
    await sessions.saveRefresh(hashRefreshToken(refreshToken), record, { ttlSeconds: refreshTtl });
    const { accessToken, expiresIn } = await deps.accessTokens.issue(userId, familyId);
    return { accessToken, refreshToken, expiresIn };
  }

  /**
   * Marks a session revoked. Written under the read ETag and retried on a
   * race, so a revocation never loses to a rotation (which also writes under
   * its ETag, and so loses instead). On Redis a key once written under an
   * ETag only takes writes under an ETag, which this keeps to.
   */
  async function revokeFamily(familyId: string, reason: NonNullable<SessionFamily['revokedReason']>): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const found = await sessions.getFamily(familyId);
      if (!found || found.value.revokedAt) return;
      try {
        await sessions.saveFamily({ ...found.value, revokedAt: iso(), revokedReason: reason }, { etag: found.etag, ttlSeconds: refreshTtl });
        return;
      } catch (error) {
        if (!(error instanceof StateConflictError)) throw error;
      }
    }
    throw unavailable('The session could not be revoked; try again');
  }

  /** Marks a refresh token spent, under the ETag it was read with (a conflict: someone else spent it first). */
  async function spend(tokenHash: string, found: { value: RefreshRecord; etag: string }): Promise<void> {
    const remaining = Math.max(1, Math.ceil((Date.parse(found.value.expiresAt) - now()) / 1000));
    await sessions.saveRefresh(tokenHash, { ...found.value, spentAt: iso() }, { etag: found.etag, ttlSeconds: remaining });
  }

  /** Records the chain's last exchange under the family's ETag; a concurrent revocation or exchange wins. */
  async function saveExchange(family: { value: SessionFamily; etag: string }, lastExchange: NonNullable<SessionFamily['lastExchange']>): Promise<void> {
    try {
      await sessions.saveFamily({ ...family.value, lastExchange }, { etag: family.etag, ttlSeconds: refreshTtl });
    } catch (error) {
      if (error instanceof StateConflictError) throw invalidRefreshToken();
      throw error;
    }
  }

  /**
   * A new pair for a repeat of the chain's last exchange, when it comes
   * within the grace period of the first and the successor it issued is
   * unused; the successor is spent first. Undefined otherwise: a reuse.
   */
  async function repeatLastExchange(tokenHash: string, family: { value: SessionFamily; etag: string }): Promise<TokenPair | undefined> {
    const last = family.value.lastExchange;
    if (!last || last.spent !== tokenHash || now() - Date.parse(last.spentAt) > reuseGraceMs) return undefined;
    const successor = await sessions.getRefresh(last.successor);
    if (!successor || successor.value.spentAt) return undefined;
    try {
      await spend(last.successor, successor);
    } catch (error) {
      if (error instanceof StateConflictError) return undefined; // the successor is being used right now
      throw error;
    }
    const next = newRefreshToken();
    await saveExchange(family, { ...last, successor: hashRefreshToken(next) });
    return issuePair(family.value.userId, family.value.id, next);
  }

  /**
   * Takes both claims for a new user, first write wins. A claim left behind
   * by a registration that died half-way (its user was never written) is
   * taken over once it is old enough.
   */
  async function claim(kind: ClaimKind, value: string, userId: string): Promise<boolean> {
    for (let attempt = 0; attempt < 2; attempt++) {
      if ((await users.claim(kind, value, userId)) === 'claimed') return true;
      const holder = await users.findClaim(kind, value);
      if (!holder) continue;
      const age = now() - Date.parse(holder.value.claimedAt);
      if (holder.value.userId === userId) return true;
      if (!(age > STALE_CLAIM_MS) || (await users.get(holder.value.userId))) return false;
      await users.release(kind, value, holder.value.userId);
    }
    return false;
  }

  const takenError = (kind: ClaimKind) =>
    new AppError('conflict', kind === 'username' ? 'This username is already taken' : 'This email is already registered', {
      details: [{ path: `body.${kind}`, message: kind === 'username' ? 'is already taken' : 'is already registered' }],
    });

  function checkPasswordIsNotIdentity(password: string, user: { username: string; email: string }, path: string) {
    const lowered = password.trim().toLowerCase();
    if (lowered === user.username || lowered === user.email) {
      throw validationFailed([{ path, message: 'must not be the same as the username or email' }]);
    }
  }

  /** Finds the user a login (username or email) names, reading as much whether it exists or not. */
  async function findByLogin(login: string): Promise<User | undefined> {
    const normalized = login.trim().toLowerCase();
    const kind: ClaimKind = normalized.includes('@') ? 'email' : 'username';
    const holder = await users.findClaim(kind, normalized);
    // One read of a user either way, so an unknown login takes as long.
    const user = await users.get(holder?.value.userId ?? `none-${randomUUID()}`);
    return user?.value;
  }

  const useCases = {
    /**
     * Creates the user, publishes `user.registered` and starts a session.
     * 409 when the username or the email is taken (also when two
     * registrations race: exactly one wins). Everything claimed is given back
     * if a later step fails.
     */
    async register(input: RegisterInput, ctx: CallContext): Promise<AuthResult> {
      const username = input.username.toLowerCase();
      const email = input.email.toLowerCase();
      checkPasswordIsNotIdentity(input.password, { username, email }, 'body.password');

      // Counted before anything is looked up: "taken" tells whether a name or
      // an email exists, so it is told no faster than the limit allows.
      await throttle.registration(addressKey(ctx.clientAddress));
      // Cheap early answer for the common case; the claims below decide races.
      const [byName, byEmail] = await Promise.all([users.findClaim('username', username), users.findClaim('email', email)]);
      if (byName) throw takenError('username');
      if (byEmail) throw takenError('email');

      const passwordHash = await hasher.hash(input.password);
      const user: User = { id: randomUUID(), username, email, passwordHash, createdAt: iso(), sessionEpoch: 0 };
      const claimed: ClaimKind[] = [];
      let created = false;
      try {
        if (!(await claim('username', username, user.id))) throw takenError('username');
        claimed.push('username');
        if (!(await claim('email', email, user.id))) throw takenError('email');
        claimed.push('email');
        await users.create(user);
        created = true;
        await deps.events.userRegistered({
          userId: user.id,
          username,
          email,
          displayName: input.displayName ?? username,
          createdAt: user.createdAt,
        });
      } catch (error) {
        // Give back what this registration took, so the name and address stay free.
        const cleanups = [
          ...(created ? [users.delete(user.id)] : []),
          ...claimed.map((kind) => users.release(kind, kind === 'username' ? username : email, user.id)),
        ];
        const results = await Promise.allSettled(cleanups);
        if (results.some((r) => r.status === 'rejected')) {
          ctx.log.warn({ userId: user.id }, 'registration failed and not everything it claimed could be released');
        }
        throw error;
      }
      ctx.log.info({ userId: user.id }, 'user registered');
      return { user: publicUser(user), ...(await startSession(user)) };
    },

    /**
     * Logs in by username or email. A wrong password and an unknown account
     * answer the same `401 invalid_credentials` after the same work (one
     * scrypt). Too many failures (see throttle.ts): 429.
     */
    async login(input: { login: string; password: string }, ctx: CallContext): Promise<AuthResult> {
      const user = await findByLogin(input.login);
      const attempt = await throttle.begin(accountKey(user?.id, input.login), addressKey(ctx.clientAddress));
      const ok = user ? await hasher.verify(input.password, user.passwordHash) : await hasher.verifyDummy(input.password);
      if (!user || !ok) {
        ctx.log.info({ userId: user?.id }, 'login refused: wrong credentials');
        throw invalidCredentials();
      }
      await attempt.succeeded();
      let current = user;
      if (hasher.needsRehash(user.passwordHash)) current = await rehash(user, input.password, ctx);
      return { user: publicUser(current), ...(await startSession(current)) };
    },

    /**
     * Exchanges a refresh token for a new pair; the old token is spent. A
     * spent token presented again revokes its whole chain (reuse detection),
     * as does losing the race to spend it. One exception: the chain's last
     * exchange repeated within the grace period while its successor is
     * unused. The client never got the answer (a dropped connection, a
     * reload in between) and would otherwise be signed out; it gets a new
     * pair and the unused successor stops working, so the chain still has
     * one live token and a stolen one still ends it when used.
     */
    async refresh(refreshToken: string, ctx: CallContext): Promise<TokenPair> {
      if (!looksLikeRefreshToken(refreshToken)) throw invalidRefreshToken();
      const tokenHash = hashRefreshToken(refreshToken);
      const found = await sessions.getRefresh(tokenHash);
      if (!found || Date.parse(found.value.expiresAt) <= now()) throw invalidRefreshToken();
      const record = found.value;
      const family = await sessions.getFamily(record.familyId);
      if (!family || family.value.revokedAt) throw invalidRefreshToken();
      const user = await users.get(record.userId);
      if (!user || user.value.sessionEpoch !== family.value.epoch) throw invalidRefreshToken();
      if (record.spentAt) {
        const repeated = await repeatLastExchange(tokenHash, family);
        if (repeated) {
          ctx.log.info({ userId: record.userId, sessionId: record.familyId }, 'refresh repeated within the grace period; its unused successor replaced');
          return repeated;
        }
        await revokeFamily(record.familyId, 'reuse');
        ctx.log.warn({ userId: record.userId, sessionId: record.familyId }, 'refresh token reused; session chain revoked');
        throw invalidRefreshToken();
      }

      try {
        // Spent records stay until they expire, so that a reuse is recognised.
        await spend(tokenHash, found);
      } catch (error) {
        if (!(error instanceof StateConflictError)) throw error;
        await revokeFamily(record.familyId, 'reuse');
        ctx.log.warn({ userId: record.userId, sessionId: record.familyId }, 'refresh token spent twice at once; session chain revoked');
        throw invalidRefreshToken();
      }
      const next = newRefreshToken();
      // Keeps the chain alive as long as its newest token; loses to a concurrent revocation.
      await saveExchange(family, { spent: tokenHash, successor: hashRefreshToken(next), spentAt: iso() });
      return issuePair(record.userId, record.familyId, next);
    },

    /** Revokes the session of a refresh token; answers the same whatever the token. */
    async logout(refreshToken: string, ctx: CallContext): Promise<void> {
      if (!looksLikeRefreshToken(refreshToken)) return;
      const found = await sessions.getRefresh(hashRefreshToken(refreshToken));
      if (!found) return;
      await revokeFamily(found.value.familyId, 'logout');
      ctx.log.info({ userId: found.value.userId, sessionId: found.value.familyId }, 'logged out');
    },

    async me(userId: string): Promise<{ user: PublicUser }> {
      const found = await users.get(userId);
      if (!found) throw unauthenticated('The user of this token no longer exists');
      return { user: publicUser(found.value) };
    },

    /**
     * Checks the current password (brute-force limited like a login), stores
     * the new hash and revokes every session but the caller's own.
     */
    async changePassword(
      userId: string,
      sessionId: string | undefined,
      input: { currentPassword: string; newPassword: string },
      ctx: CallContext,
    ): Promise<void> {
      const found = await users.get(userId);
      if (!found) throw unauthenticated('The user of this token no longer exists');
      checkPasswordIsNotIdentity(input.newPassword, found.value, 'body.newPassword');
      const attempt = await throttle.begin(accountKey(userId, ''), addressKey(ctx.clientAddress));
      if (!(await hasher.verify(input.currentPassword, found.value.passwordHash))) {
        ctx.log.info({ userId }, 'password change refused: wrong current password');
        throw invalidCredentials();
      }
      await attempt.succeeded();
      const passwordHash = await hasher.hash(input.newPassword);
      const epoch = found.value.sessionEpoch + 1;
      try {
        await users.update({ ...found.value, passwordHash, sessionEpoch: epoch, passwordChangedAt: iso() }, found.etag);
      } catch (error) {
        if (error instanceof StateConflictError) throw conflict('The account changed meanwhile; try again');
        throw error;
      }
      // The caller's own session moves to the new epoch; every other one is now stale.
      if (sessionId) {
        const family = await sessions.getFamily(sessionId);
        if (family && family.value.userId === userId && !family.value.revokedAt && family.value.epoch === epoch - 1) {
          await sessions
            .saveFamily({ ...family.value, epoch }, { etag: family.etag, ttlSeconds: refreshTtl })
            .catch((error: unknown) => ctx.log.warn({ userId, err: { message: (error as Error).message } }, 'could not keep the current session'));
        }
      }
      ctx.log.info({ userId }, 'password changed; other sessions revoked');
    },

    /** The JSON Web Key Set of every public key that verifies access tokens. */
    async jwks(): Promise<{ keys: PublicJwk[] }> {
      try {
        return { keys: (await deps.keys.current()).publicKeys };
      } catch (error) {
        throw unavailable('The signing keys cannot be read', error);
      }
    },
  };

  /**
   * The use cases that check or make a password hash are admitted a few at a
   * time (twice the hashing concurrency: while some hash, the next ones do
   * their reads and writes), the rest wait in order. A burst of hundreds of
   * logins then costs the event loop no more at any moment than a few; it
   * would wait for the hashes anyway.
   */
  const admit = createLimiter(hasher.concurrency * 2);
  return {
    ...useCases,
    register: (input: RegisterInput, ctx: CallContext) => admit(() => useCases.register(input, ctx)),
    login: (input: { login: string; password: string }, ctx: CallContext) => admit(() => useCases.login(input, ctx)),
    changePassword: (...args: Parameters<typeof useCases.changePassword>) => admit(() => useCases.changePassword(...args)),
  };

  /** Stores a hash with the current parameters; a lost race only means the next login tries again. */
  async function rehash(user: User, password: string, ctx: CallContext): Promise<User> {
    const updated: User = { ...user, passwordHash: await hasher.hash(password) };
    const stored = await users.get(user.id);
    if (!stored || stored.value.passwordHash !== user.passwordHash) return stored?.value ?? user;
    try {
      await users.update(updated, stored.etag);
      ctx.log.info({ userId: user.id }, 'password rehashed with the current parameters');
      return updated;
    } catch (error) {
      ctx.log.warn({ userId: user.id, err: { message: (error as Error).message } }, 'password rehash not stored');
      return user;
    }
  }
}

export type Accounts = ReturnType<typeof createAccounts>;
