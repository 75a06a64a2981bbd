/**
 * Limits on what one user may make the gateway do over its sockets, each a
 * token bucket per user (per replica, `rate-limiter.ts`):
 *
 * - every incoming event, known or not, takes from the `event` bucket;
 * - every client event takes from the bucket of its class as well
 *   (`EVENT_CLASS`, typed over the whole `ClientToServerEvents` map, so an
 *   event added to the contract does not compile until it has a class);
 * - an event the contract does not name is answered `not_found` and dropped.
 *
 * Over a limit, the event is not run: its ack (when the client gave one)
 * answers `rate_limited` with `retryAfterMs`, the same as a refused send.
 */
import type { AckError, AckResponse, ClientToServerEvents } from '@chat/platform';
import { RateLimiter } from './rate-limiter.js';
import type { RealtimeSocket } from './types.js';

/** A token bucket: `ratePerSecond` flows in, at most `burst` kept. */
export interface Rate {
  ratePerSecond: number;
  burst: number;
}

export type EventClass = 'message' | 'sync' | 'read' | 'typing' | 'session';

/** What each client event costs: its class's bucket (and the `event` bucket, like every packet). */
export const EVENT_CLASS: Readonly<Record<keyof ClientToServerEvents, EventClass>> = {
  'message:send': 'message',
  'message:edit': 'message',
  'message:delete': 'message',
  sync: 'sync',
  read: 'read',
  typing: 'typing',
  'auth:refresh': 'session',
};

const WHAT: Record<EventClass | 'event', string> = {
  message: 'messages',
  sync: 'sync requests',
  read: 'read markers',
  typing: 'typing updates',
  session: 'token refreshes',
  event: 'events',
};

export type EventLimits = Record<EventClass | 'event', Rate>;

/** The ack error of a refused command: the contract's code, the wait in the message and as a number. */
export const rateLimitedAck = (what: string, retryAfterMs: number): AckError & { retryAfterMs: number } => ({
  code: 'rate_limited',
  message: `Too many ${what}; retry in ${retryAfterMs} ms`,
  retryAfterMs,
});

export function classOf(event: unknown): EventClass | undefined {
  return typeof event === 'string' && Object.hasOwn(EVENT_CLASS, event) ? EVENT_CLASS[event as keyof ClientToServerEvents] : undefined;
}

export class EventGuard {
  private readonly buckets: Record<EventClass | 'event', RateLimiter>;

  constructor(limits: EventLimits, now?: () => number) {
    const bucket = (rate: Rate) => new RateLimiter({ ...rate, ...(now ? { now } : {}) });
    this.buckets = {
      message: bucket(limits.message),
      sync: bucket(limits.sync),
      read: bucket(limits.read),
      typing: bucket(limits.typing),
      session: bucket(limits.session),
      event: bucket(limits.event),
    };
  }

  /**
   * Checks one incoming event of `userId`: undefined to let it run, else the
   * error its ack answers.
   */
  check(userId: string, event: unknown): AckError | undefined {
    const any = this.buckets.event.take(userId);
    if (!any.ok) return rateLimitedAck(WHAT.event, any.retryAfterMs);
    const cls = classOf(event);
    if (!cls) return { code: 'not_found', message: 'No such event' };
    const taken = this.buckets[cls].take(userId);
    return taken.ok ? undefined : rateLimitedAck(WHAT[cls], taken.retryAfterMs);
  }

  /** Runs `check` on every event the socket receives, before any handler. */
  attach(socket: RealtimeSocket): void {
    socket.use((packet, next) => {
      const refused = this.check(socket.data.userId, packet[0]);
      if (!refused) return next();
      const ack: unknown = packet.at(-1);
      if (typeof ack === 'function') (ack as (response: AckResponse) => void)({ ok: false, error: refused });
    });
  }

  /** Forgets full buckets; call now and then. */
  prune(): void {
    for (const limiter of Object.values(this.buckets)) limiter.prune();
  }
}
