/**
 * The chat domain's KeyValueStore over the sidecar's state API
 * (https://docs.dapr.io/reference/api/state_api/). This is where the stores'
 * differences stay, so that the domain is the same on every profile:
 *
 * - "Write only if absent". PostgreSQL (and SQLite, in-memory) do it with
 *   first-write concurrency. The Redis store does not: its first-write is
 *   refused only when the existing key was itself written with first-write,
 *   and a refusal comes back as a 500 that daprd's resiliency policy retries
 *   with back-off (about 2.4 s under the platform's policy) before giving
 *   up. On Redis this adapter sends an ETag that no stored value can have
 *   ("-1"): the store's check-and-set script writes a key that does not
 *   exist and refuses one that does, as an ETag mismatch (409, not retried).
 * - Lost races come back as 409 or, on some stores, 500 with a store message;
 *   the sidecar client maps both to StateConflictError, which this adapter
 *   passes on as the port's lost-race error.
 * - Multi-key transactions are used only for writes that cannot conflict
 *   (`writeNew`): a Redis MULTI is not rolled back when one of its operations
 *   loses an ETag race, and daprd retries a failed transaction as a whole.
 */
import { COMPONENTS, StateConflictError, asVersioned, type Logger, type SaveOptions, type Sidecar } from '@chat/platform';
import type { KeyValueStore, Versioned, WriteCondition } from '../../domain/ports.js';

/** How "write only if absent" is expressed to the store. */
export type InsertMode = 'first-write' | 'etag-sentinel';

/** The ETag no Redis value has (versions start at 1). */
const ABSENT_ETAG = '-1';

export interface DaprStateStoreOptions {
  sidecar: Sidecar;
  logger: Logger;
  storeName?: string;
  /** `auto` asks the sidecar which store `storeName` is (state.redis: etag-sentinel). */
  insertMode?: InsertMode | 'auto';
}

export function createDaprStateStore(options: DaprStateStoreOptions): KeyValueStore & { insertMode(): Promise<InsertMode> } {
  const { sidecar, logger } = options;
  const store = options.storeName ?? COMPONENTS.stateStore;
  let mode: Promise<InsertMode> | undefined;

  function insertMode(): Promise<InsertMode> {
    if (options.insertMode && options.insertMode !== 'auto') return Promise.resolve(options.insertMode);
    mode ??= sidecar.components().then(
      (components) => {
        const type = components.find((c) => c.name === store)?.type ?? '';
        const chosen: InsertMode = type.startsWith('state.redis') ? 'etag-sentinel' : 'first-write';
        logger.info({ store, type, insertMode: chosen }, 'state store detected');
        return chosen;
      },
      (error: unknown) => {
        mode = undefined; // ask again next time
        throw error;
      },
    );
    return mode;
  }

  async function saveOptions(condition: WriteCondition | undefined): Promise<SaveOptions> {
    if (!condition) return {};
    if ('etag' in condition) return { etag: condition.etag };
    return (await insertMode()) === 'etag-sentinel' ? { etag: ABSENT_ETAG } : { firstWrite: true };
  }

  async function getMany<T>(keys: string[]): Promise<Map<string, Versioned<T>>> {
    const found = await sidecar.state.getBulk<T>(store, [...new Set(keys)]);
    const out = new Map<string, Versioned<T>>();
    for (const [key, item] of found) out.set(key, asVersioned(item));
    return out;
  }

  async function put<T>(key: string, value: T, condition?: WriteCondition): Promise<void> {
    await sidecar.state.save(store, key, value, await saveOptions(condition));
  }

  return {
    insertMode,
    getMany,

    async get<T>(key: string): Promise<Versioned<T> | undefined> {
      return (await getMany<T>([key])).get(key);
    },

    put,

    async putEach(items) {
      if (items.length === 0) return;
      const withOptions = await Promise.all(items.map(async ({ key, value, condition }) => ({ key, value, ...(await saveOptions(condition)) })));
      await sidecar.state.saveMany(store, withOptions);
    },

    async insertMissing(items) {
      if (items.length === 0) return;
      const absent = await saveOptions({ ifAbsent: true });
      try {
        await sidecar.state.saveMany(
          store,
          items.map(({ key, value }) => ({ key, value, ...absent })),
        );
      } catch (error) {
        if (!(error instanceof StateConflictError)) throw error;
        // Some keys exist already. Whether the others were written depends on
        // the store, so write what is still missing, one by one.
        const found = await getMany(items.map((i) => i.key));
        for (const item of items) {
          if (found.has(item.key)) continue;
          await put(item.key, item.value, { ifAbsent: true }).catch((e: unknown) => {
            if (!(e instanceof StateConflictError)) throw e;
          });
        }
      }
    },

    async writeNew(items) {
      if (items.length === 0) return;
      if (items.length === 1) return put(items[0]!.key, items[0]!.value);
      await sidecar.state.transaction(
        store,
        items.map(({ key, value }) => ({ operation: 'upsert' as const, key, value })),
      );
    },

    async delete(key: string): Promise<void> {
      await sidecar.state.delete(store, key);
    },
  };
}
