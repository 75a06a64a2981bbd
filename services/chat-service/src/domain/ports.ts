/**
 * What the chat domain needs from the outside world. The Dapr adapters
 * (`adapters/dapr/`) implement these over the sidecar; the memory adapters
 * (`adapters/memory/`) implement them for unit tests.
 */
import type { SpanContext } from '@chat/platform';
import type { ReadPosition } from './model.js';

/** A value read with its version, and the error of a conditional write that lost its race: shared by every service's store. */
import type { Versioned } from '@chat/platform';
export { StateConflictError, type Versioned } from '@chat/platform';

/** `{etag}`: write only if unchanged since read. `{ifAbsent}`: write only if the key does not exist. */
export type WriteCondition = { etag: string } | { ifAbsent: true };

/**
 * A key-value store with ETags, as every Dapr state store offers. Only
 * single-key writes are conditional: multi-key transactions are not atomic
 * on every store (a Redis MULTI applies the other operations when one loses
 * its ETag race), so the domain never puts a condition inside one.
 *
 * @example
 * ```ts
 * const current = await store.get<Counter>('counter');
 * await store.put('counter', { n: (current?.value.n ?? 0) + 1 }, current ? { etag: current.etag } : { ifAbsent: true });
 * ```
 */
export interface KeyValueStore {
  /** One bulk read; keys that do not exist are absent from the map. Not a snapshot. */
  getMany<T>(keys: string[]): Promise<Map<string, Versioned<T>>>;
  get<T>(key: string): Promise<Versioned<T> | undefined>;
  /** Writes one key, under `condition` when given; throws StateConflictError when it fails. */
  put<T>(key: string, value: T, condition?: WriteCondition): Promise<void>;
  /**
   * Writes several keys in one call, each under its own condition, and not
   * atomically: throws StateConflictError when any condition failed, and
   * which of the others were written then depends on the store. Only for
   * writes that can be repeated one by one after a conflict (merges,
   * inserts, markers that only move forward).
   */
  putEach(items: Array<{ key: string; value: unknown; condition?: WriteCondition }>): Promise<void>;
  /** Writes each key that does not exist yet; keys that exist are left as they are. */
  insertMissing(items: Array<{ key: string; value: unknown }>): Promise<void>;
  /**
   * Writes keys that nobody else can be writing (fresh random ids): all of
   * them or none, unconditionally.
   */
  writeNew(items: Array<{ key: string; value: unknown }>): Promise<void>;
  delete(key: string): Promise<void>;
}

export type ChatTopic =
  | 'message.created'
  | 'message.updated'
  | 'message.deleted'
  | 'room.created'
  | 'room.updated'
  | 'room.member_joined'
  | 'room.member_left'
  | 'room.member_role_changed'
  | 'read.updated';

export interface ChatEvent {
  topic: ChatTopic;
  roomId: string;
  /** ISO time the change was committed. */
  occurredAt: string;
  /** The user whose request caused it. */
  actorId: string;
  /** For real-time topics, exactly the Server→client payload of docs/api.md. */
  data: unknown;
  /**
   * `message.created`: the senders' read markers that go to the real-time
   * edge with this message (see MessagesCreated in @chat/platform).
   */
  reads?: ReadPosition[];
  /** Membership events: the member-list version the change made (orders a member's changes). */
  membersVersion?: number;
  /**
   * The trace of the request that caused it, when it is not the one the
   * publish runs in: sends are committed in batches, so one commit carries
   * several requests' messages (tracing.ts in @chat/platform).
   */
  trace?: SpanContext | undefined;
}

/**
 * Publishes the events of committed changes. Events of one room go out in
 * the order they are given.
 */
export interface EventPublisher {
  /**
   * Best effort, for the events the outbox does not carry (edits, deletions,
   * membership, read markers). Never rejects: the data is stored already, so
   * a broker that is down must not fail the request. Resolves once the events
   * were accepted, or once a first short round of retries failed (it then
   * keeps retrying in the background for a while and logs what it could not
   * publish).
   */
  publish(events: ChatEvent[]): Promise<void>;
  /**
   * One attempt: resolves once the broker accepted every event, rejects when
   * it did not take them all. The outbox relay (outbox.ts) retries until it
   * resolves; events it already handed over may then go out twice.
   */
  publishOrFail(events: ChatEvent[]): Promise<void>;
}
