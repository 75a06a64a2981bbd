/**
 * Refresh tokens and sessions in the Dapr state store
 * (https://docs.dapr.io/reference/api/state_api/), each with a TTL so that
 * nothing outlives its token:
 *
 * - `refresh:{sha256 of the token}`: the token's record (never the token);
 * - `session:{id}`: a session, i.e. one chain of rotated refresh tokens.
 */
import { COMPONENTS, readVersioned, type Sidecar } from '@chat/platform';
import type { RefreshRecord, SessionFamily, SessionStore } from '../../domain/ports.js';

export function createDaprSessionStore(sidecar: Sidecar, store: string = COMPONENTS.stateStore): SessionStore {
  const read = <T>(key: string) => readVersioned<T>(sidecar, store, key);
  return {
    getRefresh: (tokenHash) => read<RefreshRecord>(`refresh:${tokenHash}`),
    async saveRefresh(tokenHash, record, options) {
      await sidecar.state.save(store, `refresh:${tokenHash}`, record, { etag: options.etag, ttlSeconds: options.ttlSeconds });
    },
    getFamily: (id) => read<SessionFamily>(`session:${id}`),
    async saveFamily(family, options) {
      await sidecar.state.save(store, `session:${family.id}`, family, { etag: options.etag, ttlSeconds: options.ttlSeconds });
    },
  };
}
