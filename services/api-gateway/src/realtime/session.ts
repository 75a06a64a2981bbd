import { isAppError, unauthenticated, type Logger } from '@chat/platform';
import type { RealtimeSocket } from './types.js';

/** Checks an access token: resolves with the user it was issued to, rejects with `unauthenticated` (adapters/dapr/jwks-verifier.ts). */
export interface TokenVerifier {
  verify(token: string): Promise<{ userId: string }>;
}

/** setTimeout's ceiling (about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * When a verified access token expires, in epoch milliseconds: the `exp`
 * claim of its (already verified) payload. A token without one is treated
 * as expiring after `fallbackMs`.
 */
export function tokenExpiresAt(token: string, now: number, fallbackMs: number): number {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp?: unknown };
    if (typeof payload.exp === 'number' && Number.isFinite(payload.exp)) return payload.exp * 1000;
  } catch {
    // Not a JWT we can read; the verifier accepted it, so fall back.
  }
  return now + fallbackMs;
}

/** Verifies a token and answers who it belongs to and until when. */
export async function verifyToken(tokens: TokenVerifier, token: unknown, fallbackMs: number): Promise<{ userId: string; expiresAt: number }> {
  if (typeof token !== 'string' || token.length === 0) throw unauthenticated('An access token is required');
  const { userId } = await tokens.verify(token);
  const expiresAt = tokenExpiresAt(token, Date.now(), fallbackMs);
  if (expiresAt <= Date.now()) throw unauthenticated('The access token has expired');
  return { userId, expiresAt };
}

/**
 * A refused handshake, as the client's connect_error shows it: `message` is
 * the contract's code, `data` is `{code, message, ...extra}`.
 */
export function refusal(code: string, message: string, extra: Record<string, unknown> = {}): Error & { data: unknown } {
  const error = new Error(code) as Error & { data: unknown };
  error.data = { code, message, ...extra };
  return error;
}

/**
 * The handshake check: `auth: {token}` must verify, else the connection is
 * refused with a connect_error whose message is the contract's code
 * (`unauthenticated`; `unavailable` when the token could not be checked).
 */
export function handshake(tokens: TokenVerifier, logger: Logger, fallbackMs: number) {
  return async function authenticateSocket(socket: RealtimeSocket, next: (error?: Error) => void): Promise<void> {
    const auth = socket.handshake.auth as { token?: unknown } | undefined;
    try {
      const { userId, expiresAt } = await verifyToken(tokens, auth?.token, fallbackMs);
      socket.data.userId = userId;
      socket.data.tokenExpiresAt = expiresAt;
      next();
    } catch (error) {
      const code = isAppError(error) && error.code === 'unavailable' ? 'unavailable' : 'unauthenticated';
      if (code === 'unavailable') logger.warn({ err: { message: (error as Error).message } }, 'could not verify a socket token');
      next(refusal(code, code === 'unavailable' ? 'Token verification is unavailable; retry shortly' : 'A valid access token is required'));
    }
  };
}

/**
 * Closes the socket when its token expires, after telling the client why
 * (`auth:expired`), so that it reconnects with a fresh token instead of
 * guessing at a silent drop. `reschedule` after an `auth:refresh`.
 */
export function expiryWatch(socket: RealtimeSocket, logger: Logger) {
  let timer: NodeJS.Timeout | undefined;
  const schedule = () => {
    clearTimeout(timer);
    const delay = Math.min(Math.max(0, socket.data.tokenExpiresAt - Date.now()), MAX_TIMER_MS);
    timer = setTimeout(() => {
      if (socket.data.tokenExpiresAt > Date.now() + 50) return schedule();
      logger.info({ userId: socket.data.userId, socketId: socket.id }, 'access token expired; closing the socket');
      socket.emit('auth:expired', {
        code: 'unauthenticated',
        message: 'The access token expired; reconnect with a fresh one',
      });
      socket.disconnect(true);
    }, delay);
    timer.unref();
  };
  schedule();
  socket.on('disconnect', () => clearTimeout(timer));
  return { reschedule: schedule };
}
