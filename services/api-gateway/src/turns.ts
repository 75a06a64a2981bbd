/**
 * At most `limit` calls run at once; the others wait their turn, in the
 * order they came. A call that must wait asks `whileWaiting` for a signal
 * (made only then: a call with a free turn costs no timer or listener) and
 * leaves the line when it aborts (rejected with the signal's reason, never
 * made); once running, a call is not interrupted. A finished call hands its turn straight to the
 * next one waiting, so a call arriving in between cannot take it.
 *
 * A rate limit says how many calls a client may ask for; this says how many
 * of them reach the services together (realtime/socket-turns.ts for a
 * socket's `sync` pages, http/user-turns.ts for a user's REST requests).
 */
export function createTurns(limit: number) {
  let running = 0;
  // A Set keeps the order of arrival and lets one waiting call leave in O(1).
  const waiting = new Set<() => void>();

  function turnFreed() {
    const next = waiting.values().next();
    if (next.done) {
      running--;
      return;
    }
    waiting.delete(next.value);
    next.value();
  }

  function waitForTurn(signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const leave = () => {
        waiting.delete(go);
        reject(signal?.reason instanceof Error ? signal.reason : new Error('left the line'));
      };
      const go = () => {
        signal?.removeEventListener('abort', leave);
        resolve();
      };
      if (signal?.aborted) return leave();
      waiting.add(go);
      signal?.addEventListener('abort', leave, { once: true });
    });
  }

  return {
    async run<T>(call: () => Promise<T>, whileWaiting?: () => AbortSignal): Promise<T> {
      if (running < limit) running++;
      else await waitForTurn(whileWaiting?.()); // the turn is handed over already counted
      try {
        return await call();
      } finally {
        turnFreed();
      }
    },
    /** Nothing running and nothing waiting: a keyed owner may forget these turns. */
    get idle(): boolean {
      return running === 0 && waiting.size === 0;
    },
  };
}

export type Turns = ReturnType<typeof createTurns>;
