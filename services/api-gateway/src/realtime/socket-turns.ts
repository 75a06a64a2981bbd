import { unavailable } from '@chat/platform';
import { createTurns } from '../turns.js';

/**
 * At most `limit` of one socket's calls of a kind run at once; the others
 * wait their turn, in order. When the socket disconnects, the calls still
 * waiting are never made (they fail `unavailable`; their acks have nowhere
 * to go). The rate limit says how many calls a socket may ask for, not how
 * many run together: without this, a burst of `sync` (100 at the default
 * limit, each a page of up to 100 messages) became 100 history reads at once
 * in chat-service, made to the end even after the socket was cut off for not
 * reading them.
 */
export function socketTurns(socket: { once(event: 'disconnect', listener: () => void): unknown }, limit: number) {
  const turns = createTurns(limit);
  const gone = new AbortController();
  socket.once('disconnect', () => gone.abort(unavailable('The connection closed before this call could be made')));
  return async function inTurn<T>(call: () => Promise<T>): Promise<T> {
    gone.signal.throwIfAborted();
    return turns.run(call, () => gone.signal);
  };
}

/** A socket's history pages read at once (`sync`): as many as the web client asks for at a time. */
export const SYNC_CALLS_AT_ONCE = 2;
