/**
 * Coalesces the sends to one room: while a call for the room is under way,
 * the sends that arrive queue up and go out together in the next call
 * (`ChatApi.sendBatch`), each answered on its own. A lone send goes out at
 * once, so a quiet room waits for nothing; a busy room pays one service
 * invocation (two sidecar hops) per batch rather than per message, and
 * chat-service commits the batch with one head write (docs/benchmarks.md).
 *
 * One user's content never fails another's send: a call is sized by its
 * request's JSON text as sent (escapes included), so it always fits what
 * chat-service reads; and a call refused as a whole for the client's fault
 * (a 4xx not about one send) is made again one send per call, so each send
 * gets the answer its own content earns.
 */
import { randomUUID } from 'node:crypto';
import { activeSpan, formatTraceparent, isAppError } from '@chat/platform';
import { SEND_BATCH_ENVELOPE_BYTES, sendWireBytes, type BatchedSend, type Caller, type ChatApi, type SendResult } from './chat-api.js';

export interface SendCoalescerOptions {
  /** Most sends in one call (chat-service takes up to 100). */
  maxBatch: number;
  /** Most bytes of one call's JSON request body as sent (chat-service reads at most JSON_LIMIT_BYTES, 64 KiB). */
  maxBatchBytes: number;
}

interface Queued {
  send: BatchedSend;
  /** Its share of the call's request body (sendWireBytes). */
  bytes: number;
  /** Goes out in a call of its own: a call it shared was refused as a whole. */
  alone: boolean;
  resolve: (result: SendResult) => void;
  reject: (error: unknown) => void;
}

interface RoomQueue {
  queued: Queued[];
  busy: boolean;
}

/**
 * 48 KiB leaves a quarter of chat-service's 64 KiB body limit spare and
 * holds the largest valid send (about 24 KiB: 4000 code points, each at most
 * 6 bytes escaped, and its ids); send-coalescer.test.ts checks both.
 */
export const SEND_COALESCING: SendCoalescerOptions = { maxBatch: 100, maxBatchBytes: 48 * 1024 };

/** A call refused as a whole for something in its request (not the service's state, not a rate limit). */
const refusedAsWhole = (error: unknown): boolean => isAppError(error) && error.status >= 400 && error.status < 500 && error.status !== 429;

/** `chat` with `send` coalesced per room; every other call unchanged. */
export function coalescingSends(chat: ChatApi, options: SendCoalescerOptions = SEND_COALESCING): ChatApi {
  const rooms = new Map<string, RoomQueue>();

  /** How many of the queued sends the next call takes: by count and by request bytes, at least one. */
  function batchLength(queued: Queued[]): number {
    let bytes = SEND_BATCH_ENVELOPE_BYTES;
    let count = 0;
    for (const q of queued) {
      if (count === options.maxBatch || (count > 0 && (q.alone || bytes + q.bytes > options.maxBatchBytes))) break;
      bytes += q.bytes;
      count++;
      if (q.alone) break;
    }
    return count;
  }

  function next(roomId: string, room: RoomQueue): void {
    if (room.queued.length === 0) {
      room.busy = false;
      rooms.delete(roomId);
      return;
    }
    room.busy = true;
    const batch = room.queued.splice(0, batchLength(room.queued));
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
            if (result === undefined || isAppError(result)) q.reject(result);
            else q.resolve(result);
          }),
        (error: unknown) => {
          if (batch.length > 1 && refusedAsWhole(error)) {
            // Nothing of a refused request was stored: each send goes again alone, before what queued meanwhile.
            for (const q of batch) q.alone = true;
            room.queued.unshift(...batch);
          } else batch.forEach((q) => q.reject(error));
        },
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
    send(caller: Caller, roomId: string, input: { body: string; clientMsgId: string }): Promise<SendResult> {
      return new Promise<SendResult>((resolve, reject) => {
        let room = rooms.get(roomId);
        if (!room) {
          room = { queued: [], busy: false };
          rooms.set(roomId, room);
        }
        const span = activeSpan();
        const send: BatchedSend = { caller, body: input.body, clientMsgId: input.clientMsgId, ...(span ? { traceparent: formatTraceparent(span) } : {}) };
        room.queued.push({ send, bytes: sendWireBytes(send), alone: false, resolve, reject });
        if (!room.busy) next(roomId, room);
      });
    },
  };
}
