import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createLogger } from '@chat/platform';
import {
  MemoryKv,
  createMemoryAttemptCounter,
  createMemoryEventPublisher,
  createMemoryKnownAddresses,
  createMemorySessionStore,
  createMemoryUserStore,
} from '../../src/adapters/memory/stores.js';
import { createAccounts } from '../../src/domain/accounts.js';
import { createPasswordHasher } from '../../src/domain/passwords.js';
import type { SigningKeySource } from '../../src/domain/ports.js';
import { parseSigningKeys } from '../../src/domain/signing-keys.js';
import { createThrottle, type ThrottleLimits } from '../../src/domain/throttle.js';
import { createAccessTokenIssuer } from '../../src/domain/tokens.js';

export const silentLog = createLogger({ name: 'test', level: 'silent' });

export function signingKeyRecord() {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    kid: randomUUID(),
    alg: 'ES256' as const,
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    createdAt: new Date().toISOString(),
  };
}

/** A key source over a mutable list of key records (append = rotation). */
export function memoryKeys(records = [signingKeyRecord()]): SigningKeySource & { records: typeof records } {
  return { records, current: async () => parseSigningKeys(JSON.stringify(records)).keys };
}

/** The account use cases over in-memory ports, with a clock the test moves. */
export function buildAccounts(options: Partial<Omit<ThrottleLimits, 'registrationWindowSeconds'>> & { logN?: number; refreshReuseGraceSeconds?: number } = {}) {
  const clock = { now: Date.parse('2026-01-01T00:00:00Z') };
  const now = () => clock.now;
  const kv = new MemoryKv(now);
  const events = createMemoryEventPublisher();
  const keys = memoryKeys();
  const hasher = createPasswordHasher({ logN: options.logN ?? 10, r: 8, p: 1 });
  const users = createMemoryUserStore(kv);
  const accounts = createAccounts({
    users,
    sessions: createMemorySessionStore(kv),
    events,
    keys,
    hasher,
    throttle: createThrottle(createMemoryAttemptCounter(kv, now), createMemoryKnownAddresses(kv, now), {
      perAccountAndAddress: options.perAccountAndAddress ?? 3,
      perAddress: options.perAddress ?? 10,
      perAccount: options.perAccount ?? 10,
      windowSeconds: options.windowSeconds ?? 900,
      slowLaneSeconds: options.slowLaneSeconds ?? 30,
      knownAddressSeconds: options.knownAddressSeconds ?? 30 * 86_400,
      registrationsPerAddress: options.registrationsPerAddress ?? 1_000,
      registrationWindowSeconds: 3_600,
    }),
    accessTokens: createAccessTokenIssuer({ keys, issuer: 'chat-platform', audience: 'chat-platform-api', ttlSeconds: 900, now }),
    refreshTokenTtlSeconds: 30 * 24 * 3600,
    refreshReuseGraceSeconds: options.refreshReuseGraceSeconds ?? 30,
    now,
  });
  const ctx = (clientAddress = '203.0.113.7') => ({ clientAddress, log: silentLog });
  return { accounts, kv, events, keys, hasher, users, clock, ctx };
}

export const unique = (prefix = 'user') => `${prefix}_${randomUUID().slice(0, 8)}`;
