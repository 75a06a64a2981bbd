import { unavailable } from '@chat/platform';

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
  let running = 0;
  let closed = false;
  const waiting: Array<{ go: () => void; drop: (error: Error) => void }> = [];
  socket.once('disconnect', () => {
    closed = true;
    for (const turn of waiting.splice(0)) turn.drop(unavailable('The connection closed before this call could be made'));
  });

  return async function inTurn<T>(call: () => Promise<T>): Promise<T> {
    if (closed) throw unavailable('The connection closed before this call could be made');
    if (running >= limit) await new Promise<void>((go, drop) => waiting.push({ go, drop }));
    running++;
    try {
      return await call();
    } finally {
      running--;
      waiting.shift()?.go();
    }
  };
}

/** A socket's history pages read at once (`sync`): as many as the web client asks for at a time. */
export const SYNC_CALLS_AT_ONCE = 2;
