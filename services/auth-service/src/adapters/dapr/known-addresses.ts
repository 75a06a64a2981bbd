/**
 * Addresses each account was recently logged into from, in the Dapr state
 * store (https://docs.dapr.io/reference/api/state_api/): key `known:{digest}`
 * (the digest of account and address, so no key names either), value `{at}`,
 * with a TTL. Plain last-write-wins saves: a repeated mark only moves the
 * expiry, and the key is never written under an ETag (on Redis a key once
 * written under one would refuse plain saves).
 */
import { COMPONENTS, type Sidecar } from '@chat/platform';
import type { KnownAddresses } from '../../domain/ports.js';

export function createDaprKnownAddresses(sidecar: Sidecar, store: string = COMPONENTS.stateStore): KnownAddresses {
  return {
    async isKnown(key) {
      return (await sidecar.state.get<{ at: number }>(store, `known:${key}`)) !== undefined;
    },
    async remember(key, ttlSeconds) {
      await sidecar.state.save(store, `known:${key}`, { at: Date.now() }, { ttlSeconds });
    },
  };
}
