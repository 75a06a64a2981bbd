/**
 * Users and their username/email claims in the Dapr state store
 * (https://docs.dapr.io/reference/api/state_api/). Keys (daprd prefixes them
 * with the app-id):
 *
 * - `user:{id}`: the user, password hash included;
 * - `username:{lowercase name}`, `email:{sha256 of the lowercase address}`:
 *   `{userId, claimedAt}`, written with first-write concurrency so that of two
 *   registrations racing for a name exactly one wins, on every replica.
 *
 * On Redis a lost first-write comes back from daprd as a plain 500 (not an
 * ETag error), so the outcome of a claim is decided by reading the key back,
 * never by the error's kind.
 */
import { createHash } from 'node:crypto';
import { COMPONENTS, readVersioned, type Sidecar } from '@chat/platform';
import type { Claim, ClaimKind, User, UserStore, Versioned } from '../../domain/ports.js';

const userKey = (id: string) => `user:${id}`;
export const claimKey = (kind: ClaimKind, value: string): string =>
  kind === 'username' ? `username:${value}` : `email:${createHash('sha256').update(value).digest('hex')}`;

export function createDaprUserStore(sidecar: Sidecar, store: string = COMPONENTS.stateStore): UserStore {
  const read = <T>(key: string) => readVersioned<T>(sidecar, store, key);
  const findClaim = (kind: ClaimKind, value: string) => read<Claim>(claimKey(kind, value));

  return {
    get: (id) => read<User>(userKey(id)),

    async create(user) {
      await sidecar.state.save(store, userKey(user.id), user);
    },

    async update(user, etag) {
      await sidecar.state.save(store, userKey(user.id), user, { etag });
    },

    async delete(id) {
      await sidecar.state.delete(store, userKey(id));
    },

    findClaim,

    async claim(kind, value, userId) {
      const key = claimKey(kind, value);
      const existing = await findClaim(kind, value);
      if (existing) return existing.value.userId === userId ? 'claimed' : 'taken';
      let failure: unknown;
      try {
        await sidecar.state.save<Claim>(store, key, { userId, claimedAt: new Date().toISOString() }, { firstWrite: true });
      } catch (error) {
        failure = error;
      }
      // Read back: whoever holds the key now has won, whatever the write answered.
      const holder: Versioned<Claim> | undefined = await findClaim(kind, value);
      if (holder) return holder.value.userId === userId ? 'claimed' : 'taken';
      // eslint-disable-next-line @typescript-eslint/only-throw-error -- the write's own error, rethrown as caught
      if (failure) throw failure;
      return 'taken';
    },

    async release(kind, value, userId) {
      const holder = await findClaim(kind, value);
      if (!holder || holder.value.userId !== userId) return;
      await sidecar.state.delete(store, claimKey(kind, value), holder.etag);
    },
  };
}
