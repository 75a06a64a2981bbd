import { unavailable, type Logger } from '@chat/platform';
import { StateConflictError, type EventPublisher, type KeyValueStore, type Versioned } from './ports.js';

/** What every use case is given. */
export interface ChatContext {
  store: KeyValueStore;
  publisher: EventPublisher;
  logger: Logger;
  now: () => Date;
  newId: () => string;
}

/**
 * Read-modify-write of one key under its ETag, retried when another writer
 * got there first. `change` gets the current value (undefined when the key
 * does not exist) and returns the next one, or undefined to leave it as it
 * is. Resolves with the value the key holds afterwards. `known`, when the
 * caller read the key already (null: it was absent), saves the first read.
 */
export async function updateKey<T>(
  store: KeyValueStore,
  key: string,
  change: (current: T | undefined) => T | undefined,
  options: { maxAttempts?: number; known?: Versioned<T> | null | undefined } = {},
): Promise<{ value: T | undefined; changed: boolean }> {
  const { maxAttempts = 40 } = options;
  let known = options.known;
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    const current = known === undefined ? await store.get<T>(key) : (known ?? undefined);
    known = undefined;
    const next = change(current ? current.value : undefined);
    if (next === undefined) return { value: current?.value, changed: false };
    try {
      await store.put(key, next, current ? { etag: current.etag } : { ifAbsent: true });
      return { value: next, changed: true };
    } catch (error) {
      if (!(error instanceof StateConflictError)) throw error;
      // Many writers on one key: spread the retries out a little.
      if (attempt >= 2) await sleep(Math.random() * 4 * attempt);
    }
  }
  throw unavailable(`Too many concurrent changes to ${key.split(':')[0]}; try again`);
}

/**
 * Sets (`entry`) or removes (undefined) one room's entry in a map-of-rooms
 * key (a user's index, a directory shard, an outbox shard); no write when
 * nothing changes.
 */
export async function setRoomEntry<E extends Record<string, unknown>>(
  store: KeyValueStore,
  key: string,
  roomId: string,
  entry: E | undefined,
  unchanged: (current: E) => boolean,
): Promise<void> {
  await updateKey<{ rooms: Record<string, E> }>(store, key, (current) => {
    const rooms = current?.rooms ?? {};
    const existing = rooms[roomId];
    if (entry === undefined ? existing === undefined : existing !== undefined && unchanged(existing)) return undefined;
    const next = { ...rooms };
    if (entry === undefined) delete next[roomId];
    else next[roomId] = entry;
    return { rooms: next };
  });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
