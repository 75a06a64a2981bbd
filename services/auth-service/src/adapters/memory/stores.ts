/**
 * In-memory versions of the ports, for unit tests of the use cases. They keep
 * the behaviours that matter: ETags (a stale one raises StateConflictError),
 * first-write claims, and expiry.
 */
import { StateConflictError } from '@chat/platform';
import type {
  AttemptCounter,
  Claim,
  EventPublisher,
  KnownAddresses,
  RefreshRecord,
  SessionFamily,
  SessionStore,
  User,
  UserRegistered,
  UserStore,
  Versioned,
} from '../../domain/ports.js';

/**
 * A key-value map with ETags and optional expiry, like a Dapr state store.
 * It keeps Redis's quirk too: a key once written under an ETag or with
 * first-write only takes writes under an ETag (a plain write fails, and not
 * as a conflict), so code that forgets the ETag fails here as it would there.
 */
export class MemoryKv {
  private readonly items = new Map<string, { value: unknown; etag: number; guarded: boolean; expiresAt?: number | undefined }>();
  private version = 0;
  private readonly now: () => number;
  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  get<T>(key: string): Versioned<T> | undefined {
    const item = this.items.get(key);
    if (!item || (item.expiresAt !== undefined && item.expiresAt <= this.now())) return undefined;
    return { value: structuredClone(item.value) as T, etag: String(item.etag) };
  }

  set(key: string, value: unknown, options: { etag?: string | undefined; firstWrite?: boolean; ttlSeconds?: number } = {}): void {
    const current = this.get(key);
    const conditional = options.etag !== undefined || options.firstWrite === true;
    if (options.firstWrite && current) throw new StateConflictError();
    if (options.etag !== undefined && current && current.etag !== options.etag) throw new StateConflictError();
    if (!conditional && current && this.items.get(key)?.guarded) throw new Error(`failed to set key ${key}`);
    this.items.set(key, {
      value: structuredClone(value),
      etag: ++this.version,
      guarded: conditional,
      expiresAt: options.ttlSeconds ? this.now() + options.ttlSeconds * 1000 : undefined,
    });
  }

  delete(key: string, etag?: string): void {
    const current = this.get(key);
    if (etag !== undefined && current && current.etag !== etag) throw new StateConflictError();
    this.items.delete(key);
  }

  keys(): string[] {
    return [...this.items.keys()].filter((key) => this.get(key) !== undefined);
  }

  dump(): Record<string, unknown> {
    return Object.fromEntries(this.keys().map((key) => [key, this.get(key)?.value]));
  }
}

export function createMemoryUserStore(kv: MemoryKv): UserStore {
  const claimKey = (kind: string, value: string) => `${kind}:${value}`;
  return {
    get: async (id) => kv.get<User>(`user:${id}`),
    create: async (user) => kv.set(`user:${user.id}`, user),
    update: async (user, etag) => kv.set(`user:${user.id}`, user, { etag }),
    delete: async (id) => kv.delete(`user:${id}`),
    findClaim: async (kind, value) => kv.get<Claim>(claimKey(kind, value)),
    async claim(kind, value, userId) {
      const holder = kv.get<Claim>(claimKey(kind, value));
      if (holder) return holder.value.userId === userId ? 'claimed' : 'taken';
      kv.set(claimKey(kind, value), { userId, claimedAt: new Date().toISOString() }, { firstWrite: true });
      return 'claimed';
    },
    async release(kind, value, userId) {
      const holder = kv.get<Claim>(claimKey(kind, value));
      if (holder?.value.userId === userId) kv.delete(claimKey(kind, value), holder.etag);
    },
  };
}

export function createMemorySessionStore(kv: MemoryKv): SessionStore {
  return {
    getRefresh: async (hash) => kv.get<RefreshRecord>(`refresh:${hash}`),
    saveRefresh: async (hash, record, options) => kv.set(`refresh:${hash}`, record, options),
    getFamily: async (id) => kv.get<SessionFamily>(`session:${id}`),
    saveFamily: async (family, options) => kv.set(`session:${family.id}`, family, options),
  };
}

export function createMemoryAttemptCounter(kv: MemoryKv, now: () => number = Date.now): AttemptCounter {
  type Stored = { count: number; resetAt: number };
  return {
    async reserve(key, limit, windowSeconds) {
      const stored = kv.get<Stored>(`attempts:${key}`)?.value ?? { count: 0, resetAt: now() + windowSeconds * 1000 };
      if (stored.count >= limit) return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((stored.resetAt - now()) / 1000)) };
      kv.set(`attempts:${key}`, { ...stored, count: stored.count + 1 }, { ttlSeconds: Math.ceil((stored.resetAt - now()) / 1000) });
      return { allowed: true };
    },
    async release(key) {
      const stored = kv.get<Stored>(`attempts:${key}`)?.value;
      if (stored) kv.set(`attempts:${key}`, { ...stored, count: Math.max(0, stored.count - 1) }, { ttlSeconds: Math.ceil((stored.resetAt - now()) / 1000) });
    },
    async reset(key) {
      kv.delete(`attempts:${key}`);
    },
  };
}

export function createMemoryKnownAddresses(kv: MemoryKv, now: () => number = Date.now): KnownAddresses {
  return {
    isKnown: async (key) => kv.get(`known:${key}`) !== undefined,
    remember: async (key, ttlSeconds) => kv.set(`known:${key}`, { at: now() }, { ttlSeconds }),
  };
}

export function createMemoryEventPublisher(): EventPublisher & { published: UserRegistered[]; failNext: boolean } {
  const publisher = {
    published: [] as UserRegistered[],
    failNext: false,
    async userRegistered(event: UserRegistered) {
      if (publisher.failNext) {
        publisher.failNext = false;
        throw new Error('broker down');
      }
      publisher.published.push(structuredClone(event));
    },
  };
  return publisher;
}
