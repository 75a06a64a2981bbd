/**
 * The transactional outbox of `message.created`: an acknowledged message
 * reaches the broker although the publish after its commit may fail, and
 * although the process may die between the commit and the publish.
 *
 * Where the events are: in the room head. A send commits with one
 * conditional write of the head carrying `lastSeq` and the newest messages
 * (sequencer.ts); the same write carries `publishedSeq`, the outbox marker:
 * `message.created` of every seq up to it is published. A room's pending
 * events are its messages after the marker, so they are committed in the
 * very write that commits the messages: no message exists without its
 * event. Their bodies are the messages themselves (the head's window, or the
 * message blocks once the window moved on: a message leaves the window only
 * once it is stored in its block).
 *
 * The relay, in every replica, per room:
 * - publishes each commit made here (`publishOrFail`, retried with back-off
 *   until the broker takes it; commits in order);
 * - moves the marker over what it published: the next commit of the room
 *   made here carries it for free (`markerFor`); once the room has been
 *   quiet here for `markDelayMs`, a head write of its own does, under the
 *   head's ETag (a lost race reads again; a send that loses to it retries
 *   as after any lost race);
 * - takes over pending messages that another committer left for longer
 *   than `graceMs` (another replica, or this process before a crash):
 *   publishes them itself, then moves the marker.
 *
 * Finding rooms after a crash: the outbox index, `outbox:rooms:{0..15}`
 * (rooms by a hash of the id), lists every room that may have pending
 * events. A commit reads its room's shard after the head (with the
 * idempotency keys) and lists the room before writing the head when it is
 * missing. Every replica sweeps the index at start and every `sweepMs`, and
 * settles each listed room it is not publishing itself. A room fully
 * published and without messages for `unlistAfterMs` is unlisted: removed
 * from its shard, then its head rewritten unchanged under the ETag that
 * showed it fully published. A commit racing that either loses its head
 * write (its retry reads the shard again and lists the room) or wins, and
 * then the unlisting's head write fails and lists the room again.
 *
 * Delivery is at least once: a marker that a crash kept from being written,
 * or a takeover racing a slow committer, publishes a message twice; gateway
 * replicas drop duplicates by seq. Only `message.created` is carried here:
 * edits, deletions, membership and read markers are published best effort
 * (EventPublisher.publish), and clients re-read that state. The senders'
 * read markers a commit moved ride with its messages to the real-time edge
 * when this replica publishes them (not after a takeover).
 */
import type { Logger, SpanContext } from '@chat/platform';
import { setRoomEntry, sleep, type ChatContext } from './context.js';
import { keys, OUTBOX_SHARDS, outboxShardOf } from './keys.js';
import type { Message, ReadPosition, RoomHead } from './model.js';
import { loadMessages } from './message-blocks.js';
import { StateConflictError, type ChatEvent, type Versioned } from './ports.js';

export interface OutboxOptions {
  /** How long a room stays quiet here before the relay writes the marker by itself. */
  markDelayMs: number;
  /** Pending messages left longer than this by another committer are published by this replica. */
  graceMs: number;
  /** How often the index is swept (and once at start). */
  sweepMs: number;
  /** A fully published room leaves the index after this long without a message. */
  unlistAfterMs: number;
}

export interface OutboxStats {
  /** Messages the relay published (commits made here, and takeovers). */
  published: number;
  /** Of those, messages another committer had left pending. */
  takenOver: number;
  /** Publish attempts the broker did not take (retried). */
  publishFailures: number;
  /** Head writes that only moved the marker. */
  markerWrites: number;
  /** Of the relay's head writes, those that lost an ETag race (retried). */
  markerConflicts: number;
  /** Rooms this replica listed in the index / unlisted from it. */
  listed: number;
  unlisted: number;
  sweeps: number;
}

/** One shard of the outbox index, key `outbox:rooms:{n}`. */
export interface OutboxShard {
  rooms: Record<string, { listedAt: string }>;
}

/**
 * What a commit of the sequencer does with the outbox: the port the commit
 * protocol is written against, so that it moves with the head whatever
 * shape sends take.
 */
export interface CommitOutbox {
  /** Keys the commit reads after the head (in the same read as its idempotency keys). */
  keysToRead(roomId: string): string[];
  /** Before the head write: lists the room in the index when `read` (of keysToRead) shows it missing. */
  beforeCommit(roomId: string, read: Map<string, Versioned<unknown>>): Promise<void>;
  /** The `publishedSeq` the head write carries. */
  markerFor(roomId: string, head: RoomHead): number;
  /**
   * After the head write: the commit's messages, to publish (each in its
   * sender's trace, when given), with the senders' read markers that go to
   * the real-time edge with them (best effort: a takeover does not carry them).
   */
  committed(roomId: string, messages: Message[], head: RoomHead, traces?: Array<SpanContext | undefined>, reads?: ReadPosition[]): void;
}

interface RoomRelay {
  /** Committed here, not yet published; ascending by seq. */
  queue: Queued[];
  /** The publishing loop, while it runs. */
  pumping: Promise<void> | undefined;
  /** Failed publish attempts in a row. */
  failures: number;
  /** Seq ranges published by this process that the marker may not cover yet; ascending, disjoint. */
  published: Array<[number, number]>;
  markTimer: NodeJS.Timeout | undefined;
  settleTimer: NodeJS.Timeout | undefined;
  settling: Promise<void> | undefined;
}

interface Queued {
  message: Message;
  /** The sender's trace (tracing.ts in @chat/platform). */
  trace: SpanContext | undefined;
  /** Read markers at this message's seq, to go with it. */
  reads?: ReadPosition[] | undefined;
}

/** Most messages in one publish round or takeover. */
const PAGE = 100;
/** The marker of a head: heads written before the outbox count as fully published. */
const markerOf = (head: RoomHead): number => head.publishedSeq ?? head.lastSeq;

const createdEvent = (message: Message, trace?: SpanContext, reads?: ReadPosition[]): ChatEvent => ({
  topic: 'message.created',
  roomId: message.roomId,
  occurredAt: message.createdAt,
  actorId: message.authorId,
  data: message,
  ...(trace ? { trace } : {}),
  ...(reads?.length ? { reads } : {}),
});

export class MessageOutbox implements CommitOutbox {
  readonly stats: OutboxStats = {
    published: 0,
    takenOver: 0,
    publishFailures: 0,
    markerWrites: 0,
    markerConflicts: 0,
    listed: 0,
    unlisted: 0,
    sweeps: 0,
  };

  private readonly rooms = new Map<string, RoomRelay>();
  private readonly ctx: ChatContext;
  private readonly options: OutboxOptions;
  private readonly log: Logger;
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweepFailures = 0;
  private closed = false;

  /** The head's window as the relay's marker write leaves it (the sequencer's `trimmedWindow`). */
  private readonly trimWindow: (roomId: string, window: Message[]) => Message[];

  constructor(ctx: ChatContext, options: OutboxOptions, trimWindow: (roomId: string, window: Message[]) => Message[] = (_, window) => window) {
    this.ctx = ctx;
    this.options = options;
    this.trimWindow = trimWindow;
    this.log = ctx.logger.child({ component: 'outbox' });
  }

  // --- The commit's side (CommitOutbox) ---------------------------------------

  keysToRead(roomId: string): string[] {
    return [keys.outboxShard(outboxShardOf(roomId))];
  }

  async beforeCommit(roomId: string, read: Map<string, Versioned<unknown>>): Promise<void> {
    const shard = read.get(keys.outboxShard(outboxShardOf(roomId)))?.value as OutboxShard | undefined;
    if (shard?.rooms?.[roomId]) return;
    await this.list(roomId);
  }

  markerFor(roomId: string, head: RoomHead): number {
    const room = this.rooms.get(roomId);
    return room ? fold(room, markerOf(head)) : markerOf(head);
  }

  committed(roomId: string, messages: Message[], head: RoomHead, traces: Array<SpanContext | undefined> = [], reads: ReadPosition[] = []): void {
    const room = this.relay(roomId);
    prune(room, markerOf(head));
    room.queue.push(...messages.map((message, i) => ({ message, trace: traces[i], reads: reads.filter((read) => read.seq === message.seq) })));
    // The marker waits until the room is quiet here: the next commit carries it.
    clearTimeout(room.markTimer);
    room.markTimer = undefined;
    void this.pump(roomId, room);
  }

  // --- Lifecycle ------------------------------------------------------------

  /** Sweeps the index now and every `sweepMs` until close(). */
  start(): void {
    const run = async () => {
      this.sweepTimer = undefined;
      await this.sweep().then(
        () => (this.sweepFailures = 0),
        (error: unknown) => {
          this.sweepFailures++;
          // At start-up the sidecar may not be up yet: say so only when it lasts.
          if (this.sweepFailures === 2 || this.sweepFailures % 20 === 0) {
            this.log.warn({ failures: this.sweepFailures, err: { message: (error as Error).message } }, 'outbox sweep failed; retrying');
          }
        },
      );
      if (!this.closed) this.sweepTimer = setTimeout(() => void run(), this.options.sweepMs).unref();
    };
    void run();
  }

  /** Stops the timers, then gives what is queued here one last attempt and writes the markers. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.sweepTimer);
    for (const room of this.rooms.values()) {
      clearTimeout(room.markTimer);
      clearTimeout(room.settleTimer);
      room.markTimer = room.settleTimer = undefined;
    }
    await Promise.allSettled([...this.rooms].map(([roomId, room]) => this.pump(roomId, room)));
    await Promise.allSettled([...this.rooms].filter(([, room]) => room.published.length > 0).map(([roomId]) => this.settle(roomId)));
  }

  /**
   * Settles every room of the index that this replica is not publishing
   * itself: takes over what is overdue, moves markers, unlists quiet rooms.
   */
  async sweep(): Promise<void> {
    this.stats.sweeps++;
    const shards = await this.ctx.store.getMany<OutboxShard>(Array.from({ length: OUTBOX_SHARDS }, (_, n) => keys.outboxShard(n)));
    const roomIds = [...shards.values()].flatMap((shard) => Object.keys(shard.value.rooms ?? {}));
    for (let i = 0; i < roomIds.length && !this.closed; i += 8) {
      const chunk = roomIds.slice(i, i + 8).filter((roomId) => !this.busy(roomId));
      await Promise.all(chunk.map((roomId) => this.settle(roomId, true)));
    }
  }

  /**
   * Brings one room's marker as far as it can go now: publishes pending
   * messages that are overdue, then writes the marker. Runs once at a time
   * per room; failures are logged and retried after `graceMs`.
   */
  settle(roomId: string, sweeping = false): Promise<void> {
    const room = this.relay(roomId);
    clearTimeout(room.settleTimer);
    room.settleTimer = undefined;
    room.settling ??= this.settleOnce(roomId, room, sweeping)
      .catch((error: unknown) => {
        this.log.warn({ roomId, err: { message: (error as Error).message } }, 'outbox: could not settle a room; retrying');
        this.later(roomId, room, this.options.graceMs);
      })
      .finally(() => {
        room.settling = undefined;
        this.forgetIfIdle(roomId, room);
      });
    return room.settling;
  }

  /** Resolves once nothing is being published or settled here (tests). */
  async idle(): Promise<void> {
    for (;;) {
      const busy = [...this.rooms.values()].flatMap((room) => [room.pumping, room.settling]).filter((p) => p !== undefined);
      if (busy.length === 0) return;
      await Promise.allSettled(busy);
    }
  }

  /** Messages committed here that are not published yet (for tests and /stats). */
  get backlog(): number {
    let count = 0;
    for (const room of this.rooms.values()) count += room.queue.length;
    return count;
  }

  // --- Publishing what was committed here --------------------------------------

  private pump(roomId: string, room: RoomRelay): Promise<void> {
    room.pumping ??= this.publishQueue(roomId, room).finally(() => {
      room.pumping = undefined;
      // Commits handed over while the loop was ending.
      if (room.queue.length > 0 && !this.closed) void this.pump(roomId, room);
      else this.forgetIfIdle(roomId, room);
    });
    return room.pumping;
  }

  private async publishQueue(roomId: string, room: RoomRelay): Promise<void> {
    while (room.queue.length > 0) {
      const batch = room.queue.slice(0, PAGE);
      try {
        await this.ctx.publisher.publishOrFail(batch.map((q) => createdEvent(q.message, q.trace, q.reads)));
      } catch (error) {
        this.stats.publishFailures++;
        room.failures++;
        if (room.failures === 1 || room.failures % 10 === 0) {
          this.log.warn(
            { roomId, seqs: [batch[0]!.message.seq, batch.at(-1)!.message.seq], attempt: room.failures, err: { message: (error as Error).message } },
            'publishing committed messages failed; retrying until the broker takes them',
          );
        }
        if (this.closed) return;
        await sleep(Math.min(100 * 2 ** Math.min(room.failures - 1, 5), 3_000));
        continue;
      }
      if (room.failures > 0) this.log.info({ roomId, attempts: room.failures + 1 }, 'committed messages published after retries');
      room.failures = 0;
      room.queue.splice(0, batch.length);
      this.stats.published += batch.length;
      for (const { message } of batch) addSeq(room, message.seq);
      if (!this.closed && !room.markTimer) {
        room.markTimer = setTimeout(() => {
          room.markTimer = undefined;
          void this.settle(roomId);
        }, this.options.markDelayMs).unref();
      }
    }
  }

  // --- Settling a room: takeover and the marker ---------------------------------

  private async settleOnce(roomId: string, room: RoomRelay, sweeping: boolean): Promise<void> {
    const { store } = this.ctx;
    const headKey = keys.head(roomId);
    for (let attempt = 0; attempt < 10; attempt++) {
      const head = await store.get<RoomHead>(headKey);
      if (!head) {
        room.published = [];
        if (sweeping) await setRoomEntry(store, keys.outboxShard(outboxShardOf(roomId)), roomId, undefined, () => false);
        return;
      }
      const { lastSeq } = head.value;
      const marker = markerOf(head.value);
      prune(room, marker);

      // Pending messages nobody here is publishing: another committer's, or a crashed one's.
      const queued = new Set(room.queue.map((q) => q.message.seq));
      const pending: number[] = [];
      for (let seq = marker + 1; seq <= lastSeq && pending.length < PAGE; seq++) {
        if (!queued.has(seq) && !covers(room, seq)) pending.push(seq);
      }
      /** In how many ms the oldest pending message still within its grace becomes due. */
      let dueIn: number | undefined;
      if (pending.length > 0) {
        const messages = await this.load(head.value, pending);
        // A message missing from the store has no event to publish; let the marker pass it.
        const loaded = new Set(messages.map((m) => m.seq));
        for (const seq of pending) if (!loaded.has(seq)) addSeq(room, seq);
        const now = this.ctx.now().getTime();
        const age = (m: Message) => now - Date.parse(m.createdAt);
        const due = messages.filter((m) => age(m) >= this.options.graceMs);
        const young = messages.filter((m) => age(m) < this.options.graceMs);
        if (young.length > 0) dueIn = this.options.graceMs - Math.max(...young.map(age));
        if (due.length > 0) {
          await this.ctx.publisher.publishOrFail(due.map((m) => createdEvent(m)));
          this.stats.published += due.length;
          this.stats.takenOver += due.length;
          for (const message of due) addSeq(room, message.seq);
          this.log.info({ roomId, from: due[0]!.seq, to: due.at(-1)!.seq, count: due.length }, 'outbox: published messages left pending by another committer');
        }
      }

      const target = fold(room, marker);
      if (target > marker) {
        try {
          await store.put(headKey, { ...head.value, publishedSeq: target, window: this.trimWindow(roomId, head.value.window) }, { etag: head.etag });
        } catch (error) {
          if (!(error instanceof StateConflictError)) throw error;
          this.stats.markerConflicts++;
          continue;
        }
        this.stats.markerWrites++;
        prune(room, target);
        // A long backlog is taken a page at a time.
        if (target < lastSeq && dueIn === undefined && pending.length === PAGE) continue;
      }
      if (target < lastSeq) {
        // Another committer's messages are within their grace, or ours are
        // still on their way (the publishing loop settles again). The other
        // committer most likely moves the marker over its own messages within
        // its mark delay: look again soon, so that our ranges after them are
        // marked without waiting out the whole grace.
        if (dueIn !== undefined) this.later(roomId, room, Math.min(dueIn, Math.max(2 * this.options.markDelayMs, 50)));
        else if (room.queue.length === 0) this.later(roomId, room, this.options.markDelayMs);
      } else if (sweeping && this.quiet(head.value)) {
        await this.unlist(roomId);
      }
      return;
    }
    this.later(roomId, room, this.options.markDelayMs);
  }

  /** The messages at `seqs`: from their blocks (edits land there), else the head's window. */
  private async load(head: RoomHead, seqs: number[]): Promise<Message[]> {
    const found = await loadMessages(this.ctx.store, head, seqs);
    const out: Message[] = [];
    for (const seq of seqs) {
      const message = found.get(seq);
      if (message) out.push(message);
      else this.log.error({ roomId: head.id, seq }, 'outbox: a committed message is missing from the store; nothing to publish');
    }
    return out;
  }

  private async list(roomId: string): Promise<void> {
    await setRoomEntry<{ listedAt: string }>(
      this.ctx.store,
      keys.outboxShard(outboxShardOf(roomId)),
      roomId,
      { listedAt: this.ctx.now().toISOString() },
      () => true,
    );
    this.stats.listed++;
  }

  /** Removes a fully published room from the index, then proves no commit slipped in (see the top). */
  private async unlist(roomId: string): Promise<void> {
    const { store } = this.ctx;
    const head = await store.get<RoomHead>(keys.head(roomId));
    if (head && (markerOf(head.value) < head.value.lastSeq || !this.quiet(head.value))) return;
    await setRoomEntry(store, keys.outboxShard(outboxShardOf(roomId)), roomId, undefined, () => false);
    if (!head) return;
    try {
      await store.put(keys.head(roomId), head.value, { etag: head.etag });
    } catch (error) {
      // A commit got in (or the write's fate is unknown): the room stays listed.
      await this.list(roomId);
      if (!(error instanceof StateConflictError)) throw error;
      return;
    }
    this.stats.unlisted++;
  }

  // --- Bookkeeping ----------------------------------------------------------------

  private quiet(head: RoomHead): boolean {
    const last = head.lastMessageAt ? Date.parse(head.lastMessageAt) : 0;
    return this.ctx.now().getTime() - last >= this.options.unlistAfterMs;
  }

  /** This replica is publishing the room's commits itself. */
  private busy(roomId: string): boolean {
    const room = this.rooms.get(roomId);
    return room !== undefined && (room.queue.length > 0 || room.pumping !== undefined);
  }

  private later(roomId: string, room: RoomRelay, ms: number): void {
    if (this.closed || room.settleTimer) return;
    room.settleTimer = setTimeout(() => {
      room.settleTimer = undefined;
      void this.settle(roomId);
    }, ms).unref();
  }

  private relay(roomId: string): RoomRelay {
    let room = this.rooms.get(roomId);
    if (!room) {
      room = { queue: [], pumping: undefined, failures: 0, published: [], markTimer: undefined, settleTimer: undefined, settling: undefined };
      this.rooms.set(roomId, room);
    }
    return room;
  }

  private forgetIfIdle(roomId: string, room: RoomRelay): void {
    const idle = room.queue.length === 0 && !room.pumping && room.published.length === 0 && !room.settling;
    if (idle && !room.markTimer && !room.settleTimer && this.rooms.get(roomId) === room) this.rooms.delete(roomId);
  }
}

// --- Seq ranges a relay has published ------------------------------------------------

/** The marker moved as far as this relay's published ranges continue it. */
function fold(room: RoomRelay, marker: number): number {
  let at = marker;
  for (const [from, to] of room.published) {
    if (from > at + 1) break;
    at = Math.max(at, to);
  }
  return at;
}

function covers(room: RoomRelay, seq: number): boolean {
  return room.published.some(([from, to]) => from <= seq && seq <= to);
}

function addSeq(room: RoomRelay, seq: number): void {
  const ranges = room.published;
  let i = 0;
  while (i < ranges.length && ranges[i]![1] < seq - 1) i++;
  if (i === ranges.length || ranges[i]![0] > seq + 1) {
    ranges.splice(i, 0, [seq, seq]);
    return;
  }
  const range = ranges[i]!;
  range[0] = Math.min(range[0], seq);
  range[1] = Math.max(range[1], seq);
  // Joined the next range too.
  const next = ranges[i + 1];
  if (next && next[0] <= range[1] + 1) {
    range[1] = Math.max(range[1], next[1]);
    ranges.splice(i + 1, 1);
  }
}

/** Forgets what the marker covers. */
function prune(room: RoomRelay, marker: number): void {
  room.published = room.published.filter(([, to]) => to > marker).map(([from, to]): [number, number] => [Math.max(from, marker + 1), to]);
}
