/**
 * New messages to the sockets of their room, in `seq` order per room (the
 * DeliveryOrderer), each emit a span of the trace its message came in.
 */
import { randomUUID } from 'node:crypto';
import { activeSpan, metrics, secondsSince, SOCKET_ROOMS, startSpan, withSpanContext, type ChatMessage, type Logger, type SpanContext } from '@chat/platform';
import type { ChatApi } from './chat-api.js';
import { DeliveryOrderer } from './delivery-orderer.js';
import type { RealtimeServer } from './types.js';

export interface MessageDeliveryDeps {
  io: RealtimeServer;
  chat: ChatApi;
  logger: Logger;
  reorderWindowMs: number;
  gapHoldMs: number;
  /** When this replica started taking fanout events (their stale cut-off); default: now. Older messages are history (DeliveryOrderer). */
  startedAt?: number;
}

export interface MessageDelivery {
  /** A stored message, from a fanout delivery or from the socket send that stored it (not a repeat's answer). */
  arrived: (message: ChatMessage) => void;
  sequencer: DeliveryOrderer;
}

/** Emits a real-time event as a span of its trace, and measures how late it is. */
export function emitTraced(logger: Logger, event: string, parent: SpanContext | undefined, occurredAt: string | undefined, emit: () => void): void {
  const span = startSpan(`socket emit ${event}`, { kind: 'PRODUCER', parent, tags: { 'socket.event': event } });
  withSpanContext(span.context, () => {
    emit();
    logger.debug({ event }, 'emitted to sockets');
  });
  span.end();
  const lag = secondsSince(occurredAt);
  if (lag !== undefined) metrics.emitLag.observe({ event }, lag);
}

export function messageDelivery({ io, chat, logger, reorderWindowMs, gapHoldMs, startedAt }: MessageDeliveryDeps): MessageDelivery {
  /**
   * The trace each message came in (the delivery, or the socket send that
   * stored it), for its emit: the sequencer may emit it later, from another
   * message's delivery.
   */
  const messageTraces = new WeakMap<ChatMessage, SpanContext>();

  const sequencer = new DeliveryOrderer({
    windowMs: reorderWindowMs,
    unreadableHoldMs: gapHoldMs,
    ...(startedAt === undefined ? {} : { startedAt }),
    logger,
    emit: (message) =>
      emitTraced(logger, 'message:new', messageTraces.get(message), message.createdAt, () =>
        io.to(SOCKET_ROOMS.room(message.roomId)).emit('message:new', message),
      ),
    fetchAfter: async (roomId, afterSeq, limit) => {
      // History is read as a member connected here; with nobody here, there is nobody to deliver to.
      const reader = localMemberOf(roomId);
      if (!reader) return [];
      const page = await chat.history({ userId: reader, requestId: randomUUID() }, roomId, afterSeq, limit);
      return page.messages;
    },
  });

  function localMemberOf(roomId: string): string | undefined {
    for (const id of io.sockets.adapter.rooms.get(SOCKET_ROOMS.room(roomId)) ?? []) {
      const userId = io.sockets.sockets.get(id)?.data.userId;
      if (userId) return userId;
    }
    return undefined;
  }

  return {
    sequencer,
    arrived(message) {
      const span = activeSpan();
      if (span) messageTraces.set(message, span);
      sequencer.push(message);
    },
  };
}
