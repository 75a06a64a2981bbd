import type { Context, Next } from 'koa';
import { AppError, unavailable, type RequestState } from '@chat/platform';
import { createTurns, type Turns } from '../turns.js';

/**
 * How many of one user's REST requests this replica serves at once; a
 * browser opens at most six connections to a host, so a person never waits
 * here.
 */
export const USER_REQUESTS_AT_ONCE = 8;

export interface UserTurnsOptions {
  /** Requests of one user served at once (USER_REQUESTS_AT_ONCE times RATE_LIMIT_SCALE). */
  atOnce: number;
  /** How long a request may wait for its turn; then `429 rate_limited` (UPSTREAM_TIMEOUT_MS). */
  maxWaitMs: number;
}

/**
 * A Koa middleware, after the token is verified: at most `atOnce` requests
 * of one user are served at a time, the others wait their turn in order.
 * One waiting longer than `maxWaitMs` is refused with `429 rate_limited`;
 * one whose client closes the connection leaves the line and is never
 * served. The rate limits say how many requests a user may make; without
 * this, a user could have a whole burst (60, and 30 of them history pages)
 * read by the services at once, and a client that then disconnects left
 * them all running to the end.
 */
export function userTurns(options: UserTurnsOptions) {
  const byUser = new Map<string, Turns>();
  return async function inUserTurn(ctx: Context & { state: RequestState }, next: Next) {
    const userId = ctx.state.userId;
    if (!userId) {
      await next();
      return;
    }
    let turns = byUser.get(userId);
    if (!turns) byUser.set(userId, (turns = createTurns(options.atOnce)));
    // Only a request that has to wait watches its client and the clock.
    let stopWatching = () => {};
    const whileWaiting = () => {
      const waiting = new AbortController();
      const clientLeft = () => waiting.abort(unavailable('The client closed the connection before this request was served'));
      const waitedTooLong = setTimeout(
        () => waiting.abort(new AppError('rate_limited', 'Too many of your requests at once; try again in 1 s', { retryAfterSeconds: 1 })),
        options.maxWaitMs,
      );
      ctx.res.once('close', clientLeft);
      stopWatching = () => {
        clearTimeout(waitedTooLong);
        ctx.res.off('close', clientLeft);
      };
      return waiting.signal;
    };
    try {
      await turns.run(async () => {
        stopWatching();
        await next();
      }, whileWaiting);
    } finally {
      stopWatching();
      if (turns.idle) byUser.delete(userId);
    }
  };
}
