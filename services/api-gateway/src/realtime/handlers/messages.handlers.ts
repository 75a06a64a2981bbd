import { SocketPayloads } from '@chat/contract';
import type { ChatMessage, Logger } from '@chat/platform';
import { command } from '../ack.js';
import type { ChatApi } from '../chat-api.js';
import { socketTurns, SYNC_CALLS_AT_ONCE } from '../socket-turns.js';
import type { RealtimeSocket } from '../types.js';

export interface MessageHandlerDeps {
  chat: ChatApi;
  logger: Logger;
  /** A message a send here just stored (never a repeat's): fed to the delivery orderer at once, before pub/sub brings it back. */
  sent: (message: ChatMessage) => void;
  /** A socket here was sent a room's history up to its end (`lastSeq`): where the room's live delivery can start. */
  synced: (roomId: string, lastSeq: number) => void;
}

/**
 * `message:send`, `message:edit`, `message:delete`, `sync` and `read`:
 * chat-service calls through Dapr. Rate limits are applied before any
 * handler runs (`limits.ts`).
 */
export function registerMessageHandlers(socket: RealtimeSocket, deps: MessageHandlerDeps): void {
  const { chat, logger } = deps;
  const syncTurn = socketTurns(socket, SYNC_CALLS_AT_ONCE);

  command(
    socket,
    'message:send',
    SocketPayloads['message:send'],
    async (input, caller) => {
      const { message, repeated } = await chat.send(caller, input.roomId, { body: input.body, clientMsgId: input.clientMsgId });
      // A repeated clientMsgId acks the message its first send stored, which is not new: delivering it again
      // would let a client replay a room's history to everyone in it (docs/realtime.md).
      if (!repeated) deps.sent(message);
      return { message };
    },
    { logger },
  );

  command(
    socket,
    'message:edit',
    SocketPayloads['message:edit'],
    async (input, caller) => {
      return { message: await chat.edit(caller, input.roomId, input.seq, input.body) };
    },
    { logger },
  );

  command(
    socket,
    'message:delete',
    SocketPayloads['message:delete'],
    async (input, caller) => {
      await chat.remove(caller, input.roomId, input.seq);
      return {};
    },
    { logger },
  );

  command(
    socket,
    'sync',
    SocketPayloads.sync,
    async (input, caller) => {
      const page = await syncTurn(() => chat.history(caller, input.roomId, input.afterSeq, input.limit ?? 50));
      // Only seqs the service answered, never the client's afterSeq, decide where delivery starts.
      const last = page.messages.at(-1);
      if (last && !page.hasMore) deps.synced(input.roomId, last.seq);
      return page;
    },
    { logger },
  );

  command(
    socket,
    'read',
    SocketPayloads.read,
    async (input, caller) => {
      await chat.markRead(caller, input.roomId, input.seq);
      return {};
    },
    { logger },
  );
}
