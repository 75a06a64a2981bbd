import { SocketPayloads } from '@chat/contract';
import { AppError, SOCKET_ROOMS, type Logger } from '@chat/platform';
import { command } from '../ack.js';
import { TypingThrottle } from '../typing.js';
import type { RealtimeSocket } from '../types.js';

export interface TypingHandlerDeps {
  logger: Logger;
  /** Publishes the state on fanout, so that every replica relays it. */
  publish: (state: { roomId: string; userId: string; typing: boolean }) => Promise<void>;
  refreshMs: number;
}

/**
 * `typing`: only for a room the socket is in (its user is a member); only
 * changes and periodic refreshes go out. When the socket closes while its
 * user was typing, a `typing: false` goes out for them.
 */
export function registerTypingHandlers(socket: RealtimeSocket, deps: TypingHandlerDeps): void {
  const throttle = new TypingThrottle({ refreshMs: deps.refreshMs });
  command(
    socket,
    'typing',
    SocketPayloads.typing,
    async (input, caller) => {
      if (!socket.rooms.has(SOCKET_ROOMS.room(input.roomId))) throw new AppError('forbidden', 'You are not a member of this room');
      if (throttle.shouldPublish(input.roomId, input.typing)) {
        await deps.publish({ roomId: input.roomId, userId: caller.userId, typing: input.typing });
      }
      return {};
    },
    { logger: deps.logger, quiet: true },
  );
  socket.on('disconnecting', () => {
    for (const roomId of throttle.typingRooms()) {
      if (!socket.rooms.has(SOCKET_ROOMS.room(roomId))) continue;
      deps.publish({ roomId, userId: socket.data.userId, typing: false }).catch((error: unknown) => {
        deps.logger.warn({ err: error, roomId }, 'could not publish the end of typing');
      });
    }
  });
}
