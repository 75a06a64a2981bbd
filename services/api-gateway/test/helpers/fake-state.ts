import { StateConflictError, type SaveOptions, type StateItem } from '@chat/platform';

/**
 * An in-memory stand-in for the sidecar's state API with ETags, first-write
 * and TTLs, enough for the presence store's unit tests.
 */
export function fakeStateSidecar(now: () => number = Date.now) {
  const data = new Map<string, { value: unknown; etag: string; expiresAt?: number }>();
  let version = 0;
  const live = (key: string) => {
    const item = data.get(key);
    if (item?.expiresAt !== undefined && item.expiresAt <= now()) {
      data.delete(key);
      return undefined;
    }
    return item;
  };
  const state = {
    async get<T>(_store: string, key: string): Promise<StateItem<T> | undefined> {
      const item = live(key);
      return item ? { key, value: structuredClone(item.value) as T, etag: item.etag } : undefined;
    },
    async getBulk<T>(_store: string, keys: string[]): Promise<Map<string, StateItem<T>>> {
      const out = new Map<string, StateItem<T>>();
      for (const key of keys) {
        const item = live(key);
        if (item) out.set(key, { key, value: structuredClone(item.value) as T, etag: item.etag });
      }
      return out;
    },
    async save<T>(_store: string, key: string, value: T, opts: SaveOptions = {}): Promise<void> {
      const existing = live(key);
      if (opts.etag !== undefined && existing?.etag !== opts.etag) throw new StateConflictError();
      if (opts.firstWrite && opts.etag === undefined && existing) throw new StateConflictError();
      version += 1;
      data.set(key, {
        value: structuredClone(value),
        etag: String(version),
        ...(opts.ttlSeconds ? { expiresAt: now() + opts.ttlSeconds * 1000 } : {}),
      });
    },
    async delete(_store: string, key: string, etag?: string): Promise<void> {
      const existing = live(key);
      if (etag !== undefined && existing && existing.etag !== etag) throw new StateConflictError();
      data.delete(key);
    },
  };
  return { state, data };
}
