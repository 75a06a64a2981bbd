/**
 * Brute-force attempt counters in the Dapr state store
 * (https://docs.dapr.io/reference/api/state_api/): key `attempts:{key}`,
 * value `{count, resetAt}`, with a TTL to the end of its window, so that every
 * replica counts together and nothing is left behind.
 *
 * Counts are read-modify-written under the read ETag. Within one replica the
 * updates of a key are queued and applied in batches (one read and one write
 * for everything that arrived meanwhile): a storm of logins from one address
 * costs no ETag conflicts, which daprd's circuit breaker would count as
 * failures. Between replicas a conflict is retried after a short random
 * pause; a counter that cannot be updated refuses the attempt (fails closed).
 * (Two replicas that open the same window at the same instant may count one
 * attempt less: creating a key has no ETag to race on.)
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { COMPONENTS, StateConflictError, unavailable, type Sidecar } from '@chat/platform';
import type { AttemptCounter, Reservation } from '../../domain/ports.js';

interface Stored {
  count: number;
  /** Epoch milliseconds at which the window ends. */
  resetAt: number;
}

type Op =
  | { kind: 'reserve'; limit: number; windowSeconds: number; resolve: (r: Reservation) => void; reject: (e: unknown) => void }
  | { kind: 'release' | 'reset'; resolve: () => void; reject: (e: unknown) => void };

const MAX_TRIES = 6;

export function createDaprAttemptCounter(sidecar: Sidecar, options: { store?: string; now?: () => number } = {}): AttemptCounter {
  const store = options.store ?? COMPONENTS.stateStore;
  const now = options.now ?? Date.now;
  const queues = new Map<string, Op[]>();

  function enqueue(key: string, op: Op): void {
    const queue = queues.get(key);
    if (queue) {
      queue.push(op);
      return;
    }
    queues.set(key, [op]);
    void drain(key);
  }

  /** Applies everything queued for `key`, batch after batch, until the queue is empty. */
  async function drain(key: string): Promise<void> {
    for (;;) {
      const batch = queues.get(key)?.splice(0) ?? [];
      if (batch.length === 0) {
        queues.delete(key);
        return;
      }
      try {
        const results = await applyBatch(key, batch);
        batch.forEach((op, i) => (op.kind === 'reserve' ? op.resolve(results[i] as Reservation) : op.resolve()));
      } catch (error) {
        for (const op of batch) op.reject(error);
      }
    }
  }

  async function applyBatch(key: string, batch: Op[]): Promise<Array<Reservation | undefined>> {
    const stateKey = `attempts:${key}`;
    for (let attempt = 1; ; attempt++) {
      const found = await sidecar.state.get<Stored>(store, stateKey);
      const at = now();
      let value: Stored | undefined = found && found.value.resetAt > at ? { ...found.value } : undefined;
      const results: Array<Reservation | undefined> = [];
      for (const op of batch) {
        if (op.kind === 'reserve') {
          value ??= { count: 0, resetAt: at + op.windowSeconds * 1000 };
          if (value.count < op.limit) {
            value.count += 1;
            results.push({ allowed: true });
          } else {
            results.push({ allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((value.resetAt - at) / 1000)) });
          }
        } else {
          if (value) value.count = op.kind === 'reset' ? 0 : Math.max(0, value.count - 1);
          results.push(undefined);
        }
      }
      try {
        if (!value || value.count === 0) {
          if (found) await sidecar.state.delete(store, stateKey, found.etag);
        } else if (!found || found.value.count !== value.count || found.value.resetAt !== value.resetAt) {
          const ttlSeconds = Math.max(1, Math.ceil((value.resetAt - at) / 1000));
          await sidecar.state.save(store, stateKey, value, { etag: found?.etag, ttlSeconds });
        }
        return results;
      } catch (error) {
        if (!(error instanceof StateConflictError)) throw error;
        if (attempt >= MAX_TRIES) throw unavailable('The attempt counter is too contended; try again', error);
        await sleep(5 + Math.random() * 20 * attempt);
      }
    }
  }

  return {
    reserve: (key, limit, windowSeconds) =>
      new Promise<Reservation>((resolve, reject) => enqueue(key, { kind: 'reserve', limit, windowSeconds, resolve, reject })),
    release: (key) => new Promise<void>((resolve, reject) => enqueue(key, { kind: 'release', resolve, reject })),
    reset: (key) => new Promise<void>((resolve, reject) => enqueue(key, { kind: 'reset', resolve, reject })),
  };
}
