/**
 * Coalesces the sends to one room: while a call for the room is under way,
 * the sends that arrive queue up and go out together in the next call
 * (`ChatApi.sendBatch`), each answered on its own. A lone send goes out at
 * once, so a quiet room waits for nothing; a busy room pays one service
 * invocation (two sidecar hops) per batch rather than per message, and
 * chat-service commits the batch with one head write (docs/benchmarks.md).
 */
import { randomUUID } from 'node:crypto';
import { activeSpan, formatTraceparent, type ChatMessage } from '@chat/platform';
import type { BatchedSend, Caller, ChatApi } from './chat-api.js';

export interface SendCoalescerOptions {
  /** Most sends in one call (chat-service takes up to 100). */
  maxBatch: number;
  /** Most bytes of message bodies in one call (chat-service reads at most 64 KiB of JSON). */
  maxBodyBytes: number;
}

interface Queued {
  send: BatchedSend;
  bytes: number;
  resolve: (message: ChatMessage) => void;
  reject: (error: unknown) => void;
}

interface RoomQueue {
  queued: Queued[];
  busy: boolean;
}

export const SEND_COALESCING: SendCoalescerOptions = { maxBatch: 100, maxBodyBytes: 48 * 1024 };

/** `chat` with `send` coalesced per room; every other call unchanged. */
export function coalescingSends(chat: ChatApi, options: SendCoalescerOptions = SEND_COALESCING): ChatApi {
  const rooms = new Map<string, RoomQueue>();

  function next(roomId: string, room: RoomQueue): void {
    if (room.queued.length === 0) {
      room.busy = false;
      rooms.delete(roomId);
      return;
    }
    room.busy = true;
    let bytes = 0;
    let count = 0;
    while (count < room.queued.length && count < options.maxBatch) {
      const size = room.queued[count]!.bytes;
      if (count > 0 && bytes + size > options.maxBodyBytes) break;
      bytes += size;
      count++;
    }
    const batch = room.queued.splice(0, count);
    chat
      .sendBatch(
        randomUUID(),
        roomId,
        batch.map((q) => q.send),
      )
      .then(
        (results) =>
          batch.forEach((q, i) => {
            const result = results[i];
            if (result instanceof Error || result === undefined) q.reject(result);
            else q.resolve(result);
          }),
        (error: unknown) => batch.forEach((q) => q.reject(error)),
      )
      .finally(() => next(roomId, room));
  }

  return {
    sendBatch: (requestId, roomId, sends) => chat.sendBatch(requestId, roomId, sends),
    edit: (caller, roomId, seq, body) => chat.edit(caller, roomId, seq, body),
    remove: (caller, roomId, seq) => chat.remove(caller, roomId, seq),
    history: (caller, roomId, afterSeq, limit) => chat.history(caller, roomId, afterSeq, limit),
    markRead: (caller, roomId, seq) => chat.markRead(caller, roomId, seq),
    roomIds: (caller) => chat.roomIds(caller),
    members: (caller, roomId) => chat.members(caller, roomId),
    send(caller: Caller, roomId: string, input: { body: string; clientMsgId: string }): Promise<ChatMessage> {
      return new Promise<ChatMessage>((resolve, reject) => {
        let room = rooms.get(roomId);
        if (!room) {
          room = { queued: [], busy: false };
          rooms.set(roomId, room);
        }
        const span = activeSpan();
        const send: BatchedSend = { caller, body: input.body, clientMsgId: input.clientMsgId, ...(span ? { traceparent: formatTraceparent(span) } : {}) };
        room.queued.push({ send, bytes: Buffer.byteLength(input.body) + input.clientMsgId.length + 160, resolve, reject });
        if (!room.busy) next(roomId, room);
      });
    },
  };
}
