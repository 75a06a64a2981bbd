/**
 * Reading history, editing and deleting messages, and read markers. Sending
 * is the sequencer's (sequencer.ts).
 */
import { conflict, forbidden, notFound } from '@chat/platform';
import { requireMember, roleIn, type RoomView } from './access.js';
import type { ChatContext } from './context.js';
import { keys } from './keys.js';
import type { MemberList, Message, RoomHead } from './model.js';
import { blockKeys, changeStoredMessage, loadMessages } from './message-blocks.js';
import type { Versioned } from './ports.js';
import { advanceReadMarker } from './sequencer.js';

export interface HistoryQuery {
  /** Only messages with seq < before. */
  before?: number | undefined;
  /** Only messages with seq > after. */
  after?: number | undefined;
  limit: number;
}

export interface HistoryPage {
  messages: Message[];
  hasMore: boolean;
}

const NO_SUCH_MESSAGE = 'No message with this seq in this room';

/** The longest history page (the contract's `limit` maximum). */
const MAX_PAGE = 100;

/** Rooms whose last seen lastSeq a replica remembers for the newest page's read-along. */
const REMEMBERED_ROOMS = 10_000;

export function createMessages(ctx: ChatContext) {
  const { store } = ctx;
  /**
   * The lastSeq each room's head had when this replica last read it, oldest
   * first. The newest page reads the blocks it names along with the head, in
   * one call; a guess made stale by later sends costs only a read of the
   * blocks it missed. The answer always follows the head read in that call.
   */
  const lastSeqSeen = new Map<string, number>();
  function remember(roomId: string, lastSeq: number) {
    lastSeqSeen.delete(roomId);
    lastSeqSeen.set(roomId, lastSeq);
    if (lastSeqSeen.size > REMEMBERED_ROOMS) lastSeqSeen.delete(lastSeqSeen.keys().next().value!);
  }

  /** The head, the member list and `extra` keys in one bulk read. */
  async function read(roomId: string, userId: string, extra: string[] = []) {
    const found = await store.getMany<unknown>([keys.head(roomId), keys.members(roomId), ...extra]);
    const head = found.get(keys.head(roomId)) as Versioned<RoomHead> | undefined;
    const members = found.get(keys.members(roomId)) as Versioned<MemberList> | undefined;
    const view: RoomView | undefined = head ? { head, members, role: roleIn(members?.value, userId) } : undefined;
    return { view, found };
  }

  /**
   * The seqs from..to (from at least 1). The loop runs by count, never to a
   * value a client chose, and no page is longer than MAX_PAGE.
   */
  function range(from: number, to: number): number[] {
    const first = Math.max(1, from);
    const count = Math.min(MAX_PAGE, Math.max(0, to - first + 1));
    return Array.from({ length: count }, (_, i) => first + i);
  }

  return {
    /**
     * A page of history, ascending by seq. With a cursor it is one bulk read
     * (head, members and the two or three blocks of the page); the newest
     * page reads the head first to know where the end is. Either way its cost
     * follows the page, not the room.
     */
    async history(userId: string, roomId: string, query: HistoryQuery): Promise<HistoryPage> {
      const { limit, after, before } = query;
      let seqs: number[] = [];
      if (after !== undefined) seqs = range(after + 1, after + limit);
      else if (before !== undefined) seqs = range(before - limit, before - 1);
      const guess = lastSeqSeen.get(roomId);
      // Only without a cursor: a cursor names its own blocks (and one past a stale guess may be right).
      const alongWithHead = guess !== undefined && after === undefined && before === undefined ? range(guess - limit + 1, guess) : seqs;
      const asked = blockKeys(roomId, alongWithHead);
      const { view, found } = await read(roomId, userId, asked);
      requireMember(view, 'read its messages');
      const head = view.head.value;
      const end = head.lastSeq;
      remember(roomId, end);
      const newest = after === undefined && (before === undefined || before > end + 1);
      // The newest page (or a `before` past the end, which is the same page).
      if (newest) seqs = range(end - limit + 1, end);
      const visible = seqs.filter((seq) => seq <= end);
      // Blocks the read along did not ask for (none when the guess held), read now.
      const missed = blockKeys(roomId, visible).filter((key) => !asked.includes(key));
      for (const [key, value] of missed.length > 0 ? await store.getMany<unknown>(missed) : []) found.set(key, value);
      const loaded = await loadMessages(store, head, visible, found);
      const messages: Message[] = [];
      for (const seq of visible) {
        const message = loaded.get(seq);
        if (message) messages.push(message);
        else ctx.logger.error({ roomId, seq }, 'a committed message is missing from the store');
      }
      const hasMore = after !== undefined ? (visible.at(-1) ?? after) < end : (visible[0] ?? 1) > 1;
      return { messages, hasMore };
    },

    /** Author only: replaces the body and sets editedAt. A deleted message cannot be edited (409). */
    async edit(userId: string, roomId: string, seq: number, body: string): Promise<Message> {
      const edited = await changeMessage(userId, roomId, seq, 'edit messages', (message) => {
        if (message.authorId !== userId) throw forbidden('Only the author can edit a message');
        if (message.deleted) throw conflict('The message was deleted');
        const { editedAt: _previous, ...rest } = message;
        return { ...rest, body, editedAt: ctx.now().toISOString() };
      });
      await ctx.publisher.publish([{ topic: 'message.updated', roomId, occurredAt: edited.editedAt ?? edited.createdAt, actorId: userId, data: edited }]);
      return edited;
    },

    /**
     * The author, or an owner or admin: the message becomes a tombstone that
     * keeps its seq (deleted: true, empty body). Deleting it again changes nothing.
     */
    async remove(userId: string, roomId: string, seq: number): Promise<void> {
      let changed = false;
      await changeMessage(userId, roomId, seq, 'delete messages', (message, role) => {
        if (message.authorId !== userId && role !== 'owner' && role !== 'admin') {
          throw forbidden('Only the author, the owner or an admin can delete a message');
        }
        if (message.deleted) return undefined;
        changed = true;
        const { id, roomId: room, seq: at, authorId, createdAt, clientMsgId } = message;
        return { id, roomId: room, seq: at, authorId, body: '', createdAt, deleted: true, ...(clientMsgId === undefined ? {} : { clientMsgId }) };
      });
      if (changed) {
        await ctx.publisher.publish([{ topic: 'message.deleted', roomId, occurredAt: ctx.now().toISOString(), actorId: userId, data: { roomId, seq } }]);
      }
    },

    /**
     * Moves the caller's read marker forward to `seq` (at most the room's
     * lastSeq); a lower seq changes nothing.
     */
    async markRead(userId: string, roomId: string, seq: number): Promise<void> {
      const { view } = await read(roomId, userId);
      requireMember(view, 'mark messages read');
      const target = Math.min(seq, view.head.value.lastSeq);
      if (target < 1) return;
      if ((await advanceReadMarker(ctx, roomId, userId, target)) !== undefined) {
        await ctx.publisher.publish([
          { topic: 'read.updated', roomId, occurredAt: ctx.now().toISOString(), actorId: userId, data: { roomId, userId, seq: target } },
        ]);
      }
    },
  };

  /** Read-modify-write of one message, under its block's ETag (message-blocks.ts). */
  async function changeMessage(
    userId: string,
    roomId: string,
    seq: number,
    action: string,
    change: (message: Message, role: string) => Message | undefined,
  ): Promise<Message> {
    const { view } = await read(roomId, userId);
    requireMember(view, action);
    const changed = await changeStoredMessage(store, view.head.value, seq, (message) => change(message, view.role));
    if (!changed) throw notFound(NO_SUCH_MESSAGE);
    return changed;
  }
}

export type Messages = ReturnType<typeof createMessages>;
