import type { ChatMessage, Logger } from '@chat/platform';

export interface DeliveryOrdererOptions {
  /** How long a gap may stay open before it is filled from history (and how long a room's first events are held). */
  windowMs: number;
  /** Delivers one message to the room's sockets; called in strict `seq` order per room. */
  emit: (message: ChatMessage) => void;
  /**
   * Reads history: the messages of `roomId` after `afterSeq`, ascending, at
   * most `limit`. Answers [] when the room has nobody to deliver to here.
   */
  fetchAfter: (roomId: string, afterSeq: number, limit: number) => Promise<ChatMessage[]>;
  logger: Logger;
  /**
   * How long a gap is held while history cannot be read (chat-service
   * unreachable) before it is skipped. Meanwhile the gap's messages may still
   * arrive by pub/sub (chat-service's outbox publishes every committed
   * message once it is back), and history is asked again with back-off.
   */
  unreadableHoldMs?: number;
  /** A room with nothing pending is reduced to its next seq after this long without events. */
  idleMs?: number;
  /** Idle rooms whose next seq is remembered (oldest forgotten first). */
  rememberRooms?: number;
  /**
   * When this orderer started hearing every new message (ms since the epoch;
   * default: its construction). A message created before it never tells
   * where a room starts (see `push`).
   */
  startedAt?: number;
}

interface RoomState {
  /** The next seq to emit; undefined until the room's first window has passed. */
  next: number | undefined;
  pending: Map<number, ChatMessage>;
  /** Work to run once a seq has been emitted (edits and deletions of that message). */
  deferred: Map<number, Array<() => void>>;
  /** Highest seq known to exist (from a pending message or a deferred edit). */
  known: number;
  timer: NodeJS.Timeout | undefined;
  filling: boolean;
  touchedAt: number;
  /** When history first failed to fill the current gap (no answer, or no such message yet), and how often since. */
  unreadableSince: number | undefined;
  unreadableTries: number;
  /** The newest `createdAt` emitted (ms): kept with the next seq, and the floor for new rooms if the room is forgotten. */
  newestEmitted: number;
}

interface IdleRoom {
  next: number;
  newestEmitted: number;
}

const HISTORY_PAGE = 100;

/**
 * Emits each room's messages in `seq` order although pub/sub delivers them
 * concurrently and at least once. Per room: a message is emitted as soon as
 * its predecessor was; a later one waits; a gap still open after `windowMs`
 * is filled from history. History that cannot be read (chat-service down),
 * or that answers without the gap's first message (a committed message not
 * readable yet), holds the gap and is asked again, for up to
 * `unreadableHoldMs`, since the missing messages are committed and will be
 * published (or read) soon; past it the gap is skipped (clients catch up
 * with `sync`).
 * Duplicates (seq already emitted) are dropped, also long after: an idle
 * room is reduced to its next seq, not forgotten. A room seen for the first
 * time is held for one window, so that its first events, arriving in any
 * order, start from the lowest; a `sync` answered here gives the start at
 * once instead (`synced`).
 * Old messages never set where a room starts: every message created since
 * this orderer started came through it, so a room it has no position for
 * has emitted none of those here, and one created earlier (a resent
 * clientMsgId's answer, a late republish) is history, not live: it is
 * dropped rather than made the room's start, from which the next live
 * message would open a gap that history fills with everything since.
 * Forgetting a room raises that floor past the room's newest emitted message.
 */
export class DeliveryOrderer {
  private readonly rooms = new Map<string, RoomState>();
  /** The next seq of idle rooms (insertion order: oldest first). */
  private readonly idleNext = new Map<string, IdleRoom>();
  /** Messages created before this (ms) are old for a room without a position here (the class comment). */
  private oldBefore: number;
  private readonly sweeper: NodeJS.Timeout;
  private closed = false;
  private readonly options: DeliveryOrdererOptions;

  constructor(options: DeliveryOrdererOptions) {
    this.options = options;
    this.oldBefore = options.startedAt ?? Date.now();
    const idleMs = options.idleMs ?? 5 * 60_000;
    this.sweeper = setInterval(() => this.sweep(idleMs), Math.min(idleMs, 60_000));
    this.sweeper.unref();
  }

  /** Offers one message (from pub/sub, or the ack of a local send). */
  push(message: ChatMessage): void {
    if (this.closed) return;
    // Not `createdAt >= oldBefore` (an unreadable time included): not provably new, so never a room's start.
    if (this.nextSeq(message.roomId) === undefined && !(Date.parse(message.createdAt) >= this.oldBefore)) {
      this.options.logger.debug({ roomId: message.roomId, seq: message.seq }, 'dropped an old message of a room with no position here');
      return;
    }
    const room = this.room(message.roomId);
    if (room.next !== undefined && message.seq < room.next) return;
    if (!room.pending.has(message.seq)) room.pending.set(message.seq, message);
    room.known = Math.max(room.known, message.seq);
    if (room.next === undefined) {
      // seq 1 has no predecessor to wait for.
      if (message.seq === 1) room.next = 1;
      else {
        this.arm(message.roomId, room);
        return;
      }
    }
    this.drain(message.roomId, room);
  }

  /**
   * Runs `fn` once message `seq` of the room has been emitted here, or at
   * once when it already was (or is not expected any more): an edit never
   * reaches a client before the message it edits.
   */
  afterEmitted(roomId: string, seq: number, fn: () => void): void {
    const room = this.rooms.get(roomId);
    if (this.closed || !room || (room.next !== undefined && seq < room.next)) return fn();
    if (room.next === undefined && !room.pending.has(seq) && (room.pending.size === 0 || seq < Math.min(...room.pending.keys()))) {
      return fn();
    }
    const list = room.deferred.get(seq) ?? [];
    list.push(fn);
    room.deferred.set(seq, list);
    room.known = Math.max(room.known, seq);
    room.touchedAt = Date.now();
    if (room.next !== undefined) this.drain(roomId, room);
  }

  /**
   * A client here was just sent the room's history up to `lastSeq` (a `sync`
   * that reached the end). A room whose start is not known yet starts after
   * it, rather than from the lowest seq its first window happens to see.
   */
  synced(roomId: string, lastSeq: number): void {
    if (this.closed) return;
    const room = this.room(roomId);
    if (room.next !== undefined) return;
    clearTimeout(room.timer);
    room.timer = undefined;
    room.next = Math.min(lastSeq + 1, ...room.pending.keys());
    this.runDeferredBelow(room, room.next);
    this.drain(roomId, room);
  }

  /** The next seq this replica will emit for the room (for tests and diagnostics). */
  nextSeq(roomId: string): number | undefined {
    return this.rooms.get(roomId)?.next ?? this.idleNext.get(roomId)?.next;
  }

  close(): void {
    this.closed = true;
    clearInterval(this.sweeper);
    for (const room of this.rooms.values()) clearTimeout(room.timer);
    this.rooms.clear();
  }

  private room(roomId: string): RoomState {
    let room = this.rooms.get(roomId);
    if (!room) {
      const idle = this.idleNext.get(roomId);
      const next = idle?.next;
      this.idleNext.delete(roomId);
      room = {
        next,
        pending: new Map(),
        deferred: new Map(),
        known: next === undefined ? 0 : next - 1,
        timer: undefined,
        filling: false,
        touchedAt: 0,
        unreadableSince: undefined,
        unreadableTries: 0,
        newestEmitted: idle?.newestEmitted ?? 0,
      };
      this.rooms.set(roomId, room);
    }
    room.touchedAt = Date.now();
    return room;
  }

  private arm(roomId: string, room: RoomState): void {
    if (room.timer || room.filling) return;
    room.timer = setTimeout(() => {
      room.timer = undefined;
      if (room.next === undefined) {
        // First window over: start from the lowest seq that arrived.
        room.next = Math.min(...room.pending.keys());
        this.runDeferredBelow(room, room.next);
        this.drain(roomId, room);
      } else {
        void this.fill(roomId, room);
      }
    }, this.options.windowMs);
    room.timer.unref();
  }

  private drain(roomId: string, room: RoomState): void {
    if (room.next === undefined) return;
    const from = room.next;
    this.drainNoArm(room);
    // The gap history could not be read for is closed.
    if (room.next > from) {
      room.unreadableTries = 0;
      room.unreadableSince = undefined;
    }
    if (room.next > room.known) {
      clearTimeout(room.timer);
      room.timer = undefined;
      return;
    }
    // A gap: wait for it to fill by itself, then ask history.
    this.arm(roomId, room);
  }

  private async fill(roomId: string, room: RoomState): Promise<void> {
    if (room.next === undefined || room.filling) return;
    if (room.pending.has(room.next)) return this.drain(roomId, room);
    room.filling = true;
    const from = room.next;
    const wanted = Math.min(room.known - from + 1, HISTORY_PAGE);
    let fetched: ChatMessage[] = [];
    let unreadable = false;
    try {
      fetched = await this.options.fetchAfter(roomId, from - 1, wanted);
    } catch (error) {
      unreadable = true;
      if (room.unreadableTries === 0) this.options.logger.warn({ err: error, roomId, from }, 'could not fill a gap from history; holding it');
    }
    room.filling = false;
    if (this.closed || this.rooms.get(roomId) !== room) return;
    // History that answered without the first missing message is held like history that did not answer: a
    // committed message may not be readable yet (or its read raced a restart), and skipping it loses it for
    // every member here.
    const gapOpen = unreadable || !fetched.some((m) => m.seq === from);
    if (gapOpen && !room.pending.has(from)) {
      const now = Date.now();
      room.unreadableSince ??= now;
      room.unreadableTries += 1;
      if (now - room.unreadableSince < (this.options.unreadableHoldMs ?? 30_000)) {
        // Ask again with back-off; the missing messages may arrive by pub/sub meanwhile.
        const wait = Math.min(this.options.windowMs * 2 ** room.unreadableTries, 2_000);
        room.timer = setTimeout(() => {
          room.timer = undefined;
          void this.fill(roomId, room);
        }, wait);
        room.timer.unref();
        return;
      }
    }
    for (const message of fetched) {
      if (message.seq >= (room.next ?? from) && !room.pending.has(message.seq)) room.pending.set(message.seq, message);
    }
    const before = room.next ?? from;
    this.drainNoArm(room);
    if (room.next !== undefined && room.next <= room.known && !room.pending.has(room.next)) {
      if (room.next > before) {
        // History made progress (a long gap): keep going at once.
        return this.fill(roomId, room);
      }
      // History does not have it (or nobody here can read it): skip the gap.
      const resume = room.pending.size > 0 ? Math.min(...room.pending.keys()) : room.known + 1;
      this.options.logger.warn({ roomId, from: room.next, to: resume - 1 }, 'skipping a gap that history did not fill');
      this.runDeferredBelow(room, resume);
      room.next = resume;
      room.unreadableSince = undefined;
      room.unreadableTries = 0;
    }
    this.drain(roomId, room);
  }

  private drainNoArm(room: RoomState): void {
    if (room.next === undefined) return;
    for (;;) {
      const message = room.pending.get(room.next);
      if (!message) return;
      room.pending.delete(room.next);
      this.emitSafely(message);
      room.newestEmitted = Math.max(room.newestEmitted, Date.parse(message.createdAt) || 0);
      this.runDeferred(room, room.next);
      room.next += 1;
    }
  }

  private runDeferred(room: RoomState, seq: number): void {
    const list = room.deferred.get(seq);
    if (!list) return;
    room.deferred.delete(seq);
    for (const fn of list) this.safely(fn);
  }

  private runDeferredBelow(room: RoomState, seq: number): void {
    for (const key of [...room.deferred.keys()].sort((a, b) => a - b)) {
      if (key < seq) this.runDeferred(room, key);
    }
  }

  private emitSafely(message: ChatMessage): void {
    this.safely(() => this.options.emit(message));
  }

  private safely(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.options.logger.error({ err: error }, 'emitting a real-time event failed');
    }
  }

  private sweep(idleMs: number): void {
    const cutoff = Date.now() - idleMs;
    for (const [roomId, room] of this.rooms) {
      if (room.touchedAt < cutoff && room.pending.size === 0 && room.deferred.size === 0 && !room.timer && !room.filling) {
        this.rooms.delete(roomId);
        // Keep what was emitted, so that a late duplicate (a republished event) is still dropped.
        if (room.next !== undefined) this.idleNext.set(roomId, { next: room.next, newestEmitted: room.newestEmitted });
      }
    }
    const max = this.options.rememberRooms ?? 100_000;
    for (const [roomId, idle] of this.idleNext) {
      if (this.idleNext.size <= max) break;
      this.idleNext.delete(roomId);
      // Without its position, what this room emitted would be taken for new: it is old from now on.
      this.oldBefore = Math.max(this.oldBefore, idle.newestEmitted + 1);
    }
  }
}
