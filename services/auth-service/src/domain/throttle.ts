/**
 * Brute-force protection for password checks (login and password change),
 * built so that nobody but the attacker pays for an attack. The reasoning is
 * in the service README ("Brute force, and why a stranger cannot lock you
 * out"); in short, every check reserves an attempt on these counters first:
 *
 * - the pair (account, client address): an address's failures on one account
 *   block that address for that account, and nobody else;
 * - the address across all accounts: one address spraying many accounts;
 * - the account across all addresses (many addresses guessing one password):
 *   past its limit the account is "under attack", and from then on an address
 *   the account does not know (no successful password check from it lately)
 *   gets attempts only through a slow lane shared by all such addresses (one
 *   per `slowLaneSeconds`). Addresses the owner used keep logging in as
 *   usual: a stranger's failures never refuse them.
 *
 * Reserving before the password is checked means a burst of parallel guesses
 * cannot slip past a limit. A correct password gives its reservations back
 * (and clears its pair's failures), so only failures add up.
 *
 * Unknown logins are counted by a digest of the login string, so unknown and
 * existing accounts answer alike.
 */
import { createHash } from 'node:crypto';
import { AppError } from '@chat/platform';
import type { AttemptCounter, KnownAddresses, Reservation } from './ports.js';

export interface ThrottleLimits {
  /** Failed checks one address may make on one account per window. */
  perAccountAndAddress: number;
  /** Failed checks one address may make across all accounts per window. */
  perAddress: number;
  /** Failed checks on one account from all addresses together per window, before unknown addresses are slowed. */
  perAccount: number;
  windowSeconds: number;
  /** Past `perAccount`, addresses the account does not know share one attempt per this many seconds. */
  slowLaneSeconds: number;
  /** How long a successful password check makes an address known to the account. */
  knownAddressSeconds: number;
  /** Registrations allowed from one address per registration window (each costs a hash and answers "taken"). */
  registrationsPerAddress?: number;
  registrationWindowSeconds?: number;
}

export interface Attempt {
  /** The password was right: give the attempts back and remember the address. */
  succeeded(): Promise<void>;
}

export const tooManyAttempts = (retryAfterSeconds: number): AppError =>
  new AppError('rate_limited', 'Too many failed attempts; try again later', { retryAfterSeconds });

/** Counter key of an account: its user id when it exists, else a digest of the login given. */
export const accountKey = (userId: string | undefined, login: string): string => (userId ? `acct:${userId}` : `login:${digest(login.trim().toLowerCase())}`);

const digest = (value: string) => createHash('sha256').update(value).digest('hex').slice(0, 40);

/** Counter key of a client address (IPv6 per /64): shared with the gateway's limits. */
export { addressKey } from '@chat/platform';

/** The counter keys of one check; the pair's key is a digest, so no key names an address next to an account. */
const counterKeys = (account: string, address: string) => ({
  pair: `pair:${digest(`${account}\n${address}`)}`,
  address,
  account: `all:${account}`,
  slowLane: `slow:${account}`,
  known: digest(`known\n${account}\n${address}`),
});

const waitOf = (reservations: Reservation[]) => Math.max(1, ...reservations.map((r) => (r.allowed ? 0 : r.retryAfterSeconds)));

export function createThrottle(counter: AttemptCounter, known: KnownAddresses, limits: ThrottleLimits) {
  /** Gives back the reservations that went through (a failed give-back only makes a limit a little stricter). */
  const giveBack = async (taken: Array<[string, Reservation]>) => {
    await Promise.allSettled(taken.filter(([, r]) => r.allowed).map(([key]) => counter.release(key)));
  };

  return {
    /**
     * Reserves one attempt on the pair, the address and the account; throws
     * `rate_limited` (with the longest wait) when the pair or the address is
     * used up, or when the account is under attack and the address is not
     * one it knows and the slow lane is taken.
     */
    async begin(account: string, address: string): Promise<Attempt> {
      const keys = counterKeys(account, address);
      const [pair, fromAddress, onAccount] = await Promise.all([
        counter.reserve(keys.pair, limits.perAccountAndAddress, limits.windowSeconds),
        counter.reserve(keys.address, limits.perAddress, limits.windowSeconds),
        counter.reserve(keys.account, limits.perAccount, limits.windowSeconds),
      ]);
      const taken: Array<[string, Reservation]> = [
        [keys.pair, pair],
        [keys.address, fromAddress],
        [keys.account, onAccount],
      ];
      if (!pair.allowed || !fromAddress.allowed) {
        await giveBack(taken);
        throw tooManyAttempts(waitOf([pair, fromAddress]));
      }
      if (!onAccount.allowed && !(await known.isKnown(keys.known))) {
        const lane = await counter.reserve(keys.slowLane, 1, limits.slowLaneSeconds);
        if (!lane.allowed) {
          await giveBack(taken);
          throw tooManyAttempts(lane.retryAfterSeconds);
        }
      }
      return {
        async succeeded() {
          await Promise.all([
            counter.reset(keys.pair),
            counter.release(keys.address),
            onAccount.allowed ? counter.release(keys.account) : undefined,
            known.remember(keys.known, limits.knownAddressSeconds),
          ]);
        },
      };
    },

    /**
     * Counts one registration attempt from `address`, before anything is
     * looked up; throws `rate_limited` past the limit. Every attempt counts,
     * also one that is answered "taken", so that nobody can test which
     * usernames and emails exist faster than the limit, nor make the service
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
