/**
 * An in-memory KeyValueStore for unit tests, with the same ETag semantics as
 * the Dapr adapter. `faults` lets a test make writes fail, and `beforeWrite`
 * lets it interleave another writer at an exact point.
 */
import { StateConflictError, type KeyValueStore, type Versioned, type WriteCondition } from '../../domain/ports.js';

export interface MemoryStateStore extends KeyValueStore {
  readonly data: Map<string, { value: unknown; version: number }>;
  /** Called before every write; throw to make it fail. */
  beforeWrite?: (key: string) => void | Promise<void>;
  /** How many conditional writes lost their race. */
  conflicts: number;
  dump<T>(key: string): T | undefined;
}

export function createMemoryStateStore(): MemoryStateStore {
  const data = new Map<string, { value: unknown; version: number }>();
  const clone = <T>(value: T): T => structuredClone(value);
  const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

  const self: MemoryStateStore = {
    data,
    conflicts: 0,
    dump: <T>(key: string) => (data.has(key) ? clone(data.get(key)!.value as T) : undefined),

    async getMany<T>(keys: string[]) {
      await tick();
      const out = new Map<string, Versioned<T>>();
      for (const key of keys) {
        const item = data.get(key);
        if (item) out.set(key, { value: clone(item.value as T), etag: String(item.version) });
      }
      return out;
    },

    async get<T>(key: string) {
      return (await self.getMany<T>([key])).get(key);
    },

    async put<T>(key: string, value: T, condition?: WriteCondition) {
      await tick();
      await self.beforeWrite?.(key);
      const current = data.get(key);
      if (condition && 'ifAbsent' in condition && current) {
        self.conflicts++;
        throw new StateConflictError(`${key} exists`);
      }
      if (condition && 'etag' in condition && (!current || String(current.version) !== condition.etag)) {
        self.conflicts++;
        throw new StateConflictError(`${key} changed`);
      }
      data.set(key, { value: clone(value), version: (current?.version ?? 0) + 1 });
    },

    async putEach(items) {
      // Not atomic, as on the real stores: the others are written even when one loses its race.
      const outcomes = await Promise.allSettled(items.map((item) => self.put(item.key, item.value, item.condition)));
      const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
      if (failed) throw failed.reason;
    },

    async insertMissing(items) {
      for (const item of items) {
        await self.put(item.key, item.value, { ifAbsent: true }).catch((e: unknown) => {
          if (!(e instanceof StateConflictError)) throw e;
          self.conflicts--; // not a lost race: the key was there already
        });
      }
    },

    async writeNew(items) {
      await tick();
      for (const item of items) await self.beforeWrite?.(item.key);
      for (const { key, value } of items) data.set(key, { value: clone(value), version: (data.get(key)?.version ?? 0) + 1 });
    },

    async delete(key: string) {
      await tick();
      await self.beforeWrite?.(key);
      data.delete(key);
    },
  };
  return self;
}
