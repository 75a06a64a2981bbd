import { SocketPayloads } from '@chat/contract';
import { unauthenticated, type Logger } from '@chat/platform';
import { command } from '../ack.js';
import { verifyToken, type TokenVerifier } from '../session.js';
import type { RealtimeSocket } from '../types.js';

/** `auth:refresh`: a fresh token of the same user keeps the connection open past the old one's expiry. */
export function registerSessionHandlers(
  socket: RealtimeSocket,
  deps: { tokens: TokenVerifier; logger: Logger; fallbackMs: number; reschedule: () => void },
): void {
  command(
    socket,
    'auth:refresh',
    SocketPayloads['auth:refresh'],
    async (input, caller) => {
      const { userId, expiresAt } = await verifyToken(deps.tokens, input.token, deps.fallbackMs);
      if (userId !== caller.userId) throw unauthenticated('The token belongs to another user');
      socket.data.tokenExpiresAt = expiresAt;
      deps.reschedule();
      return { expiresAt: new Date(expiresAt).toISOString() };
    },
    { logger: deps.logger },
  );
}
