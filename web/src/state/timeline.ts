import type { ChatMessage } from '../api/types.js';

/**
 * A room's messages as the client holds them: ascending by `seq`, one per
 * seq. Pure functions (no DOM, no I/O), so they are tested in Node
 * (web/test/unit/timeline.test.ts).
 */

/** Which of two copies of one message is newer: a tombstone, then the later edit. */
function newer(a: ChatMessage, b: ChatMessage): ChatMessage {
  if (a.deleted !== b.deleted) return a.deleted ? a : b;
  if ((a.editedAt ?? '') !== (b.editedAt ?? '')) return (a.editedAt ?? '') > (b.editedAt ?? '') ? a : b;
  return b;
}

/** Merges messages in (new ones, a page of history, a sync, an edit); the result stays ascending and unique by seq. */
export function mergeMessages(current: readonly ChatMessage[], incoming: readonly ChatMessage[]): ChatMessage[] {
  if (incoming.length === 0) return current as ChatMessage[];
  const bySeq = new Map<number, ChatMessage>();
  for (const message of current) bySeq.set(message.seq, message);
  for (const message of incoming) {
    const known = bySeq.get(message.seq);
    bySeq.set(message.seq, known ? newer(known, message) : message);
  }
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}

/** The tombstone of a deleted message (`message:deleted` carries only its seq). */
export function markDeleted(current: readonly ChatMessage[], seq: number): ChatMessage[] {
  return current.map((m) => (m.seq === seq ? { ...m, body: '', deleted: true as const } : m));
}

export const lastSeq = (messages: readonly ChatMessage[]): number => messages.at(-1)?.seq ?? 0;
export const firstSeq = (messages: readonly ChatMessage[]): number => messages[0]?.seq ?? 0;

/**
 * The last seq held with nothing missing before it (back to the first held):
 * where a catch-up `sync` starts. A room's seqs are gapless (a deleted
 * message stays as a tombstone), so a hole means messages not received yet,
 * and a sync from `lastSeq` would jump over them.
 */
export function contiguousEnd(messages: readonly ChatMessage[]): number {
  let end = firstSeq(messages);
  for (const message of messages) {
    if (message.seq > end + 1) break;
    end = message.seq;
  }
  return end;
}

/**
 * Where the "new messages" divider goes: before the first message after the
 * read marker that someone else wrote. `null` when everything is read.
 */
export function dividerBefore(messages: readonly ChatMessage[], readSeq: number | null, myId: string): number | null {
  if (readSeq === null) return null;
  return messages.find((m) => m.seq > readSeq && m.authorId !== myId)?.seq ?? null;
}

/** A send not yet confirmed by its ack: shown at once, resent with the same clientMsgId until it is. */
export interface PendingMessage {
  clientMsgId: string;
  roomId: string;
  body: string;
  status: 'sending' | 'failed';
  error?: string;
  createdAt: string;
}

/** Pending sends that a confirmed message settles (the ack or a `message:new` with the same clientMsgId). */
export function settlePending(pending: readonly PendingMessage[], confirmed: readonly ChatMessage[], myId: string): PendingMessage[] {
  const ids = new Set(confirmed.filter((m) => m.authorId === myId && m.clientMsgId).map((m) => m.clientMsgId));
  return ids.size === 0 ? (pending as PendingMessage[]) : pending.filter((p) => !ids.has(p.clientMsgId));
}
