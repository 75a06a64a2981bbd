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
 *
 * Refusals are not free either (each answer is queued for the client, and a
 * client that does not read would pile them up), so each socket has a
 * refusal budget, a token bucket of its own: every event refused here, and
 * every ack answered `validation_failed`, takes from it. A socket over its
 * budget is not answered; it is cut off (`cutOff`), and its client may
 * reconnect.
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

export interface EventGuardOptions {
  limits: EventLimits;
  /** Refusals one socket may earn (events refused here, acks answered `validation_failed`). */
  refusals: Rate;
  /** Closes a socket that went past its refusal budget. */
  cutOff: (socket: RealtimeSocket) => void;
  now?: () => number;
}

/** The ack errors of handlers that count against a socket's refusal budget, besides the guard's own refusals. */
const COUNTED_ACK_ERRORS: ReadonlySet<string> = new Set(['validation_failed']);

export class EventGuard {
  private readonly buckets: Record<EventClass | 'event', RateLimiter>;
  /** Per socket id. */
  private readonly refusals: RateLimiter;
  private readonly cutOff: (socket: RealtimeSocket) => void;

  constructor(options: EventGuardOptions) {
    const { limits, now } = options;
    const bucket = (rate: Rate) => new RateLimiter({ ...rate, ...(now ? { now } : {}) });
    this.buckets = {
      message: bucket(limits.message),
      sync: bucket(limits.sync),
      read: bucket(limits.read),
      typing: bucket(limits.typing),
      session: bucket(limits.session),
      event: bucket(limits.event),
    };
    this.refusals = bucket(options.refusals);
    this.cutOff = options.cutOff;
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

  /**
   * Runs `check` on every event the socket receives, before any handler, and
   * counts the socket's refusals: past its budget it is cut off instead of answered.
   */
  attach(socket: RealtimeSocket): void {
    socket.use((packet, next) => {
      // Packets already decoded when the socket was cut off still come through here.
      if (!socket.connected) return;
      const last: unknown = packet.at(-1);
      const ack = typeof last === 'function' ? (last as (response: AckResponse) => void) : undefined;
      const refused = this.check(socket.data.userId, packet[0]);
      if (refused) {
        if (this.spendRefusal(socket)) ack?.({ ok: false, error: refused });
        return;
      }
      if (ack) {
        packet[packet.length - 1] = (response: AckResponse) => {
          if (!response.ok && COUNTED_ACK_ERRORS.has(response.error.code) && !this.spendRefusal(socket)) return;
          ack(response);
        };
      }
      next();
    });
  }

  /** Forgets full buckets; call now and then. */
  prune(): void {
    for (const limiter of [...Object.values(this.buckets), this.refusals]) limiter.prune();
  }

  /** Takes one refusal from the socket's budget: true while it lasts; false once the socket is over it (and cut off). */
  private spendRefusal(socket: RealtimeSocket): boolean {
    if (this.refusals.take(socket.id).ok) return true;
    if (socket.connected) this.cutOff(socket);
    return false;
  }
}
