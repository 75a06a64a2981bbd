/**
 * Brute-force protection for password checks (login and password change).
 *
 * Every check first reserves an attempt on two counters, the account and the
 * client address, and is refused with `429 rate_limited` (Retry-After) when
 * either is used up. Reserving before the password is checked means that a
 * burst of parallel guesses cannot slip past the limit. A correct password
 * gives the attempts back: the account's counter is reset, the address's one
 * attempt is released, so only failures add up.
 *
 * The account counter of an unknown login is keyed by the login string, so
 * unknown and existing accounts answer alike.
 */
import { createHash } from 'node:crypto';
import { AppError } from '@chat/platform';
import type { AttemptCounter } from './ports.js';

export interface ThrottleLimits {
  perAccount: number;
  perAddress: number;
  windowSeconds: number;
  /** Registrations allowed from one address per registration window (each costs a hash). */
  registrationsPerAddress?: number;
  registrationWindowSeconds?: number;
}

export interface Attempt {
  /** The password was right: give the attempts back. */
  succeeded(): Promise<void>;
}

export const tooManyAttempts = (retryAfterSeconds: number): AppError =>
  new AppError('rate_limited', 'Too many failed attempts; try again later', { retryAfterSeconds });

/** Counter key of an account: its user id when it exists, else a digest of the login given. */
export const accountKey = (userId: string | undefined, login: string): string =>
  userId ? `acct:${userId}` : `login:${createHash('sha256').update(login.trim().toLowerCase()).digest('hex').slice(0, 40)}`;

/** Counter key of a client address (IPv6 per /64): shared with the gateway's limits. */
export { addressKey } from '@chat/platform';

export function createThrottle(counter: AttemptCounter, limits: ThrottleLimits) {
  return {
    /**
     * Reserves one attempt for the account and one for the address; throws
     * `rate_limited` (with the longer wait of the two) when either is used up.
     */
    async begin(account: string, address: string): Promise<Attempt> {
      const [forAccount, forAddress] = await Promise.all([
        counter.reserve(account, limits.perAccount, limits.windowSeconds),
        counter.reserve(address, limits.perAddress, limits.windowSeconds),
      ]);
      if (!forAccount.allowed || !forAddress.allowed) {
        // Nothing will be checked: give back whichever reservation did go through.
        // (A failed give-back only makes the limit a little stricter; the 429 stands.)
        await Promise.allSettled([
          forAccount.allowed ? counter.release(account) : undefined,
          forAddress.allowed ? counter.release(address) : undefined,
        ]);
        const waits = [forAccount, forAddress].map((r) => (r.allowed ? 0 : r.retryAfterSeconds));
        throw tooManyAttempts(Math.max(1, ...waits));
      }
      return {
        async succeeded() {
          await Promise.all([counter.reset(account), counter.release(address)]);
        },
      };
    },

    /**
     * Counts one registration from `address`; throws `rate_limited` past the
     * limit. Every registration counts, so that nobody can make the service
     * hash passwords (and fill the store) without bound.
     */
    async registration(address: string): Promise<void> {
      if (!limits.registrationsPerAddress) return;
      const window = limits.registrationWindowSeconds ?? 3_600;
      const result = await counter.reserve(`register:${address}`, limits.registrationsPerAddress, window);
      if (!result.allowed) {
        throw new AppError('rate_limited', 'Too many registrations from this address; try again later', {
          retryAfterSeconds: result.retryAfterSeconds,
        });
      }
    },
  };
}

export type Throttle = ReturnType<typeof createThrottle>;
