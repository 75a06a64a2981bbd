/**
 * Sending messages: each room's `seq` is allocated together with the
 * messages in one conditional write of the room head, so it is gapless,
 * unique and ordered whatever the number of senders and replicas.
 *
 * One commit, for a batch of sends to one room:
 * 1. read the head and the member list (one bulk read); refuse authors who
 *    are not members; a `clientMsgId` already in the head's window is a
 *    repeat: answer the message it sent. When this process made the room's
 *    last commit, the same call reads step 2's keys too, and step 2 reads
 *    nothing unless the head shows another commit since (`readAhead`);
 * 2. read (after the head) the idempotency keys of the batch, the blocks
 *    the new messages go to, the idempotency keys and blocks of the window
 *    messages this commit drops from the head (it stores any that are
 *    missing: a committer that died before materializing them), the
 *    authors' read markers (moved in 4) and the room's outbox index shard
 *    (outbox.ts: the room is listed before the commit when it is not);
 * 3. write the head under the ETag read in 1, with `lastSeq` advanced, the
 *    new messages in its window and the outbox marker (`publishedSeq`). A
 *    lost race (another replica committed first) goes back to 1. This write
 *    is the commit, of the messages and of their `message.created` events;
 * 4. hand the messages to the outbox relay, which publishes them; answer;
 *    materialize: merge the messages into their blocks (message-blocks.ts)
 *    and write their idempotency keys, only if absent (history reads those;
 *    until then readers take the head's window); move each author's read
 *    marker to their message (all three in one call to the sidecar when
 *    nothing changed since 2). The answer waits neither for the broker nor
 *    for these writes: the messages and their events are committed in the
 *    head, the relay publishes them whatever happens to this request, and
 *    a message leaves the head's window only once it is stored.
 *
 * Why the head carries the messages rather than a multi-key transaction: on
 * Redis a MULTI whose ETag check fails still applies its other writes (the
 * message would land under a seq it does not own), and daprd retries a
 * failed transaction with back-off. A single-key write under an ETag is
 * atomic on every store.
 *
 * Why batches: inside one process the sends to one room are queued and the
 * queue commits up to `batchMax` messages (and `batchBytes`) per head write, so a hot room costs
 * one head write per batch, and only replicas (never two requests of one
 * process) race for the head. A design change from "one transaction per
 * message", measured in docs/benchmarks.md.
 *
 * Exactly-once per `clientMsgId`: a message leaves the head's window only
 * after its idempotency key is stored, and the keys are read after the head;
 * so a repeat finds the first send either in the window or in its key, and
 * a repeat racing the first send loses the head write and finds it on retry.
 */
import { activeSpan, forbidden, notFound, unavailable, type SpanContext } from '@chat/platform';
import { NO_SUCH_ROOM, roleIn } from './access.js';
import { sleep, updateKey, type ChatContext } from './context.js';
import { keys } from './keys.js';
import {
  isPublicChannel,
  notBefore,
  type IdempotencyRecord,
  type MemberList,
  type Message,
  type ReadMarker,
  type ReadPosition,
  type RoomHead,
} from './model.js';
import { blockKeys, blockWrites, loadMessages, storeMessages, storedMessage, type KnownBlocks } from './message-blocks.js';
import type { CommitOutbox } from './outbox.js';
import { StateConflictError, type Versioned, type WriteCondition } from './ports.js';

export interface SendInput {
  roomId: string;
  authorId: string;
  /** Already validated and trimmed. */
  body: string;
  clientMsgId?: string | undefined;
}

export interface SequencerOptions {
  /** Most messages committed by one head write. */
  batchMax: number;
  /** Most bytes of message bodies committed by one head write (a larger message alone is committed alone). */
  batchBytes: number;
  /** Messages of earlier commits kept in the head besides the last commit's. */
  windowSize: number;
  /** A send not committed within this time is answered 503. */
  deadlineMs: number;
}

export interface SequencerStats {
  /** Head writes that committed messages. */
  commits: number;
  /** Head writes that lost an ETag race and were retried. */
  conflicts: number;
  /** Messages committed. */
  messages: number;
  /** Sends answered with an earlier message (a repeated clientMsgId). */
  repeats: number;
}

/** What a send is answered with: its message, and whether an earlier send of its clientMsgId made it (a repeat). */
export interface SendOutcome {
  message: Message;
  /** The message is the one an earlier send with this (author, clientMsgId) stored; this send stored nothing. */
  repeated: boolean;
}

interface Pending {
  input: SendInput;
  messageId: string;
  enqueuedAt: number;
  /** The sender's trace: its message's events are published in it, whichever request's commit carries them. */
  trace: SpanContext | undefined;
  /** Other sends of the same (author, clientMsgId) in the same batch. */
  followers: Pending[];
  /** Its idempotency record's key (a hash), computed once: step 1's read-ahead and step 2 both need it. */
  idemKey: string | undefined;
  resolve: (outcome: SendOutcome) => void;
  reject: (error: unknown) => void;
}

interface Lane {
  queue: Pending[];
  running: boolean;
  /** seq → resolves true once this process has materialized that message. */
  materializing: Map<number, Promise<boolean>>;
  /** Seqs of the head's window that this process has stored (materializing resolved true). */
  stored: Set<number>;
  /**
   * The last commit's writes after the head (blocks, idempotency keys, read
   * markers): the next commit reads those keys after them, so that its own
   * writes start from their current ETags.
   */
  lastWritten: Promise<unknown>;
  /** The head's `lastSeq` as this process last wrote it: where the next commit's messages go unless another committer came first. */
  lastSeq: number | undefined;
}

/**
 * Idle lanes kept (the least recently used go first): a lane remembers its
 * room's last commit, which saves the next commit a read (see `commit`).
 */
const IDLE_LANES_KEPT = 1_000;

export class MessageSequencer {
  readonly stats: SequencerStats = { commits: 0, conflicts: 0, messages: 0, repeats: 0 };
  private readonly lanes = new Map<string, Lane>();
  /** Writes after commits already answered (step 4), until they are made. */
  private readonly writing = new Set<Promise<boolean>>();

  private readonly ctx: ChatContext;
  private readonly options: SequencerOptions;
  private readonly outbox: CommitOutbox;

  constructor(ctx: ChatContext, options: SequencerOptions, outbox: CommitOutbox) {
    this.ctx = ctx;
    this.options = options;
    this.outbox = outbox;
  }

  /** Appends a message (or answers the first one sent with the same clientMsgId). */
  async send(input: SendInput): Promise<Message> {
    return (await this.sendOrRepeat(input)).message;
  }

  /**
   * `send`, saying whether the message is new or an earlier send's (a
   * repeat): the gateway delivers only new ones live, so that a client
   * resending an old clientMsgId cannot make anyone receive old messages again.
   */
  sendOrRepeat(input: SendInput): Promise<SendOutcome> {
    return new Promise<SendOutcome>((resolve, reject) => {
      let lane = this.lanes.get(input.roomId);
      if (lane) {
        // Most recently used last (the order in which idle lanes are dropped).
        this.lanes.delete(input.roomId);
      } else {
        lane = { queue: [], running: false, materializing: new Map(), stored: new Set(), lastWritten: Promise.resolve(), lastSeq: undefined };
        this.dropIdleLanes();
      }
      this.lanes.set(input.roomId, lane);
      lane.queue.push({
        input,
        messageId: this.ctx.newId(),
        enqueuedAt: Date.now(),
        trace: activeSpan(),
        followers: [],
        idemKey: input.clientMsgId === undefined ? undefined : idemKey(input),
        resolve,
        reject,
      });
      if (!lane.running) {
        // Started after the current task: sends made together (a batch from
        // the gateway) are queued by then and share the first commit.
        lane.running = true;
        const room = input.roomId;
        const queued = lane;
        queueMicrotask(() => void this.drain(room, queued));
      }
    });
  }

  /**
   * The head's window without the messages that may leave it now: those
   * before the newest `windowSize` that this process has stored (block and
   * idempotency key), up to the first it has not. A commit of many messages
   * puts them all in the head; the outbox relay's marker write, once the room
   * is quiet, passes the window through this, so that the head every read
   * takes (history, room lists, commits) shrinks back without a write of its
   * own.
   */
  trimmedWindow(roomId: string, window: Message[]): Message[] {
    const stored = this.lanes.get(roomId)?.stored;
    if (!stored) return window;
    let drop = 0;
    while (drop < window.length - this.options.windowSize && stored.has(window[drop]!.seq)) drop++;
    return drop === 0 ? window : window.slice(drop);
  }

  /** Resolves once the writes after every commit answered so far are made (shutdown, tests). */
  async idle(): Promise<void> {
    while (this.writing.size > 0) await Promise.all(this.writing);
  }

  private async drain(roomId: string, lane: Lane): Promise<void> {
    lane.running = true;
    try {
      while (lane.queue.length > 0) {
        const batch = lane.queue.splice(0, this.batchLength(lane.queue));
        try {
          await this.commit(roomId, lane, batch);
        } catch (error) {
          for (const pending of batch) settle(pending, { error });
        }
      }
    } finally {
      lane.running = false;
      if (lane.queue.length > 0) void this.drain(roomId, lane);
    }
  }

  /**
   * How many of the queued sends the next commit takes: up to `batchMax`
   * messages and `batchBytes` of bodies, and at least one. The defaults take
   * a whole invocation of the gateway (at most 100 sends, 64 KiB of JSON):
   * splitting one (32 + 8) made a commit of its tail, and commits cost the
   * same whatever they carry (docs/benchmarks.md).
   */
  private batchLength(queue: Pending[]): number {
    let bytes = 0;
    let count = 0;
    for (const pending of queue) {
      if (count === this.options.batchMax) break;
      bytes += Buffer.byteLength(pending.input.body);
      if (count > 0 && bytes > this.options.batchBytes) break;
      count++;
    }
    return count;
  }

  /** Drops the least recently used idle lanes beyond IDLE_LANES_KEPT. */
  private dropIdleLanes(): void {
    if (this.lanes.size < IDLE_LANES_KEPT) return;
    for (const [roomId, lane] of this.lanes) {
      if (this.lanes.size < IDLE_LANES_KEPT) return;
      if (!lane.running && lane.queue.length === 0) this.lanes.delete(roomId);
    }
  }

  private async commit(roomId: string, lane: Lane, batch: Pending[]): Promise<void> {
    const { store } = this.ctx;
    const headKey = keys.head(roomId);
    let open = groupRepeats(batch);
    for (let attempt = 0; open.length > 0; attempt++) {
      const oldest = Math.min(...open.map((p) => p.enqueuedAt));
      if (Date.now() - oldest > this.options.deadlineMs) {
        throw unavailable('The room is too busy right now; send again with the same clientMsgId');
      }
      if (attempt >= 3) await sleep(Math.random() * 3 * attempt);

      // 1. The head and who may write; and when this process made the
      // room's last commit, step 2's keys too (see `readAhead`).
      const ahead = attempt === 0 ? await this.readAhead(roomId, lane, open) : undefined;
      const read = await store.getMany<unknown>([headKey, keys.members(roomId), ...(ahead?.keys ?? [])]);
      const head = read.get(headKey) as Versioned<RoomHead> | undefined;
      if (!head) throw notFound(NO_SUCH_ROOM);
      const members = read.get(keys.members(roomId))?.value as MemberList | undefined;
      open = open.filter((pending) => {
        if (roleIn(members, pending.input.authorId)) return true;
        settle(pending, {
          error: isPublicChannel(head.value) ? forbidden('Only members of this room can send messages') : notFound(NO_SUCH_ROOM),
        });
        return false;
      });
      if (open.length === 0) return;

      // Repeats already in the window.
      const window = head.value.window;
      const repeats = new Map<Pending, number>();
      for (const pending of open) {
        const { authorId, clientMsgId } = pending.input;
        if (clientMsgId === undefined) continue;
        const hit = window.find((m) => m.authorId === authorId && m.clientMsgId === clientMsgId);
        if (hit) repeats.set(pending, hit.seq);
      }

      // 2. Idempotency keys, the messages this commit may drop from the
      // window, and the blocks the new messages go to.
      const leaders = open.filter((p) => !repeats.has(p));
      const keepOld = Math.max(0, this.options.windowSize - leaders.length);
      const dropped = window.slice(0, Math.max(0, window.length - keepOld));
      const unverified: Message[] = [];
      for (const message of dropped) {
        const own = lane.materializing.get(message.seq);
        if (!own || !(await own)) unverified.push(message);
      }
      const idemKeys = leaders.flatMap((p) => (p.idemKey === undefined ? [] : [p.idemKey]));
      const unverifiedRecords = unverified.flatMap((m) => (m.clientMsgId ? [idemKey(m)] : []));
      const freshSeqs = Array.from({ length: leaders.length }, (_, i) => head.value.lastSeq + i + 1);
      const asked = new Set(blockKeys(roomId, [...unverified.map((m) => m.seq), ...freshSeqs]));
      const markerKeys = [...new Set(leaders.map((p) => keys.readMarker(roomId, p.input.authorId)))];
      let second: Map<string, Versioned<unknown>>;
      if (ahead && head.value.lastSeq === ahead.lastSeq && unverified.length === 0) {
        // No commit since this process's last one: what step 1 read along is what step 2 would read.
        second = read;
        for (const key of ahead.blocks) asked.add(key);
      } else {
        await lane.lastWritten;
        second = await store.getMany<unknown>([...idemKeys, ...unverifiedRecords, ...asked, ...markerKeys, ...this.outbox.keysToRead(roomId)]);
      }
      for (const pending of leaders) {
        if (pending.idemKey === undefined) continue;
        const record = second.get(pending.idemKey)?.value as IdempotencyRecord | undefined;
        if (record) repeats.set(pending, record.seq);
      }
      const unstored = unverified.filter((m) => !storedMessage(second, roomId, m.seq));
      const unrecorded = idempotencyRecords(unverified).filter((item) => !second.has(item.key));
      if (unstored.length + unrecorded.length > 0) {
        this.ctx.logger.warn({ roomId, messages: unstored.length, records: unrecorded.length }, 'storing messages a previous commit left in the head only');
        await Promise.all([store.insertMissing(unrecorded), storeMessages(store, roomId, unstored, { blocks: second, asked })]);
        asked.clear(); // those blocks changed since they were read: this commit's own block write reads them again
      }

      // Answer repeats with the message as it is now (it may have been edited or deleted).
      if (repeats.size > 0) {
        const messages = await loadMessages(store, head.value, [...new Set(repeats.values())]);
        // An idempotency key can be newer than the head read in 1 (the first
        // send was committed since, and its block write is still on its way):
        // read again, and the head has it.
        if ([...repeats.values()].some((seq) => !messages.has(seq))) continue;
        for (const [pending, seq] of repeats) {
          this.stats.repeats += 1 + pending.followers.length;
          settle(pending, { message: messages.get(seq)!, repeated: true });
        }
        open = open.filter((p) => !repeats.has(p));
        if (open.length === 0) return;
      }

      // 3. The commit.
      await this.outbox.beforeCommit(roomId, second);
      const at = notBefore(this.ctx.now(), head.value.lastMessageAt);
      const fresh: Message[] = open.map((pending, i) => ({
        id: pending.messageId,
        roomId,
        seq: head.value.lastSeq + i + 1,
        authorId: pending.input.authorId,
        body: pending.input.body,
        createdAt: at,
        ...(pending.input.clientMsgId === undefined ? {} : { clientMsgId: pending.input.clientMsgId }),
      }));
      const keep = Math.max(0, this.options.windowSize - fresh.length);
      const next: RoomHead = {
        ...head.value,
        lastSeq: head.value.lastSeq + fresh.length,
        lastMessageAt: at,
        updatedAt: at,
        window: [...window.slice(Math.max(0, window.length - keep)), ...fresh],
        publishedSeq: this.outbox.markerFor(roomId, head.value),
      };
      try {
        await store.put(headKey, next, { etag: head.etag });
      } catch (error) {
        if (!(error instanceof StateConflictError)) throw error;
        this.stats.conflicts++;
        continue;
      }
      lane.lastSeq = next.lastSeq;
      this.stats.commits++;
      this.stats.messages += fresh.length;
      const reads = readsPassingOthers(roomId, fresh, second);
      this.outbox.committed(
        roomId,
        fresh,
        next,
        open.map((p) => p.trace),
        reads,
      );
      // What left the head is stored for good; forget it.
      const oldestKept = next.window[0]?.seq ?? next.lastSeq + 1;
      for (const seq of lane.materializing.keys()) if (seq < oldestKept) lane.materializing.delete(seq);
      for (const seq of lane.stored) if (seq < oldestKept) lane.stored.delete(seq);

      // 4. After the commit. The senders' markers go to the real-time edge
      // with the messages (outbox); `events` gets no read.updated for them:
      // each message of chat.messages.created says its author read up to it.
      const materialized = this.writeAfterCommit(roomId, fresh, { blocks: second, asked });
      for (const message of fresh) lane.materializing.set(message.seq, materialized);
      void materialized.then((stored) => {
        if (stored) for (const message of fresh) lane.stored.add(message.seq);
      });
      lane.lastWritten = materialized;
      this.writing.add(materialized);
      void materialized.finally(() => this.writing.delete(materialized));
      // Answered now, not once materialized: the head holds the messages
      // until their blocks and keys are stored (readers and repeats look
      // there), and the room's next commit waits for these writes anyway.
      // The gateway's next batch is then on its way while they are made.
      open.forEach((pending, i) => {
        this.stats.repeats += pending.followers.length;
        settle(pending, { message: fresh[i]!, repeated: false });
      });
      return;
    }
  }

  /**
   * Step 2's keys, to read in step 1's call, when this process made the
   * room's last commit (the lane knows its `lastSeq`): the batch's
   * idempotency keys, the blocks its messages go to if nobody committed
   * since, the authors' read markers and the outbox's keys. Waits for the
   * last commit's writes first, as step 2 does.
   *
   * Why reading them beside the head rather than after it is safe when the
   * head shows that `lastSeq` (otherwise step 2 reads as usual): no commit
   * came in between, so every message that left the window left it in a
   * commit this process had finished before this read began, and its
   * idempotency key was stored before that commit's head write.
   */
  private async readAhead(roomId: string, lane: Lane, open: Pending[]): Promise<{ lastSeq: number; keys: string[]; blocks: string[] } | undefined> {
    const lastSeq = lane.lastSeq;
    if (lastSeq === undefined) return undefined;
    await lane.lastWritten;
    const blocks = blockKeys(
      roomId,
      open.map((_, i) => lastSeq + i + 1),
    );
    const idem = open.flatMap((p) => (p.idemKey === undefined ? [] : [p.idemKey]));
    const markers = [...new Set(open.map((p) => keys.readMarker(roomId, p.input.authorId)))];
    return { lastSeq, blocks, keys: [...idem, ...blocks, ...markers, ...this.outbox.keysToRead(roomId)] };
  }

  /**
   * Step 4's writes: the messages' idempotency keys and blocks, and each
   * author's read marker moved to their last message (a sender has read what
   * they sent: their unread count does not grow). One call when each write
   * starts from what step 2 read; after a lost race, or when a block was not
   * read, each is written the way it is alone, reading again what changed
   * (every one of them can be repeated). Never rejects: resolves with
   * whether the messages are stored.
   */
  private async writeAfterCommit(roomId: string, fresh: Message[], read: KnownBlocks): Promise<boolean> {
    const { store, logger } = this.ctx;
    // Nothing waits on these writes for an answer: whatever fails or throws is logged here, never rejected.
    const failed = (error: unknown) => {
      logger.warn({ roomId, err: { message: (error as Error).message } }, 'materializing failed; the next commit will');
      return false;
    };
    try {
      const records = idempotencyRecords(fresh);
      const lastByAuthor = new Map(fresh.map((m) => [m.authorId, m.seq]));
      const blocks = blockWrites(roomId, fresh, read);
      if (blocks) {
        const markers: Array<{ key: string; value: ReadMarker; condition: WriteCondition }> = [];
        for (const [userId, seq] of lastByAuthor) {
          const key = keys.readMarker(roomId, userId);
          const known = read.blocks.get(key) as Versioned<ReadMarker> | undefined;
          if ((known?.value.seq ?? 0) < seq) markers.push({ key, value: { seq }, condition: known ? { etag: known.etag } : { ifAbsent: true } });
        }
        try {
          await store.putEach([...records.map((r) => ({ ...r, condition: { ifAbsent: true } as const })), ...blocks, ...markers]);
          return true;
        } catch (error) {
          if (!(error instanceof StateConflictError))
            logger.warn({ roomId, err: { message: (error as Error).message } }, 'writing after the commit failed; once more, one by one');
        }
      }
      const materialized = Promise.all([store.insertMissing(records), storeMessages(store, roomId, fresh, blocks ? undefined : read)]).then(() => true, failed);
      await Promise.all(
        [...lastByAuthor].map(([userId, seq]) =>
          advanceReadMarker(this.ctx, roomId, userId, seq).catch((error: unknown) =>
            logger.warn({ roomId, userId, err: { message: (error as Error).message } }, "could not move the sender's read marker"),
          ),
        ),
      );
      return await materialized;
    } catch (error) {
      return failed(error);
    }
  }
}

/**
 * The senders' read markers that a commit moves past someone else's messages
 * (what the sender's other devices count as unread), from the markers read in
 * step 2. A sender who was up to date is not announced: their message tells
 * everyone that much.
 */
function readsPassingOthers(roomId: string, fresh: Message[], markers: Map<string, Versioned<unknown>>): ReadPosition[] {
  const lastByAuthor = new Map(fresh.map((m) => [m.authorId, m.seq]));
  const reads: ReadPosition[] = [];
  for (const [userId, seq] of lastByAuthor) {
    const previous = (markers.get(keys.readMarker(roomId, userId))?.value as ReadMarker | undefined)?.seq ?? 0;
    if (previous >= seq) continue;
    const passedOthers = previous < fresh[0]!.seq - 1 || fresh.some((m) => m.seq > previous && m.seq < seq && m.authorId !== userId);
    if (passedOthers) reads.push({ roomId, userId, seq });
  }
  return reads;
}

/**
 * Moves a user's read marker forward to `seq` (never back). Resolves with
 * where it was when it moved (0: no marker yet), undefined when it did not.
 */
export async function advanceReadMarker(ctx: Pick<ChatContext, 'store'>, roomId: string, userId: string, seq: number): Promise<number | undefined> {
  let previous = 0;
  const result = await updateKey<ReadMarker>(ctx.store, keys.readMarker(roomId, userId), (current) => {
    previous = current?.seq ?? 0;
    return previous >= seq ? undefined : { seq };
  });
  return result.changed ? previous : undefined;
}

const idemKey = (m: { roomId: string; authorId: string; clientMsgId?: string | undefined }) => keys.idempotency(m.roomId, m.authorId, m.clientMsgId ?? '');

/** The idempotency keys of committed messages (those sent with a clientMsgId). */
function idempotencyRecords(messages: Message[]): Array<{ key: string; value: IdempotencyRecord }> {
  return messages.flatMap((m) => (m.clientMsgId === undefined ? [] : [{ key: idemKey(m), value: { seq: m.seq, messageId: m.id } }]));
}

/** Sends of one batch with the same (author, clientMsgId) ride on the first one. */
function groupRepeats(batch: Pending[]): Pending[] {
  const first = new Map<string, Pending>();
  const out: Pending[] = [];
  for (const pending of batch) {
    const { authorId, clientMsgId } = pending.input;
    if (clientMsgId !== undefined) {
      const key = `${authorId}\n${clientMsgId}`;
      const leader = first.get(key);
      if (leader) {
        leader.followers.push(pending);
        continue;
      }
      first.set(key, pending);
    }
    out.push(pending);
  }
  return out;
}

/** Answers a send and the sends riding on it (a follower repeats its leader's clientMsgId: its answer is a repeat). */
function settle(pending: Pending, outcome: SendOutcome | { error: unknown }): void {
  if (!('message' in outcome)) {
    for (const p of [pending, ...pending.followers]) p.reject(outcome.error);
    return;
  }
  pending.resolve(outcome);
  for (const follower of pending.followers) follower.resolve({ message: outcome.message, repeated: true });
}
