/**
 * Publishes the chat's events through the sidecar's pub/sub API
 * (https://docs.dapr.io/reference/api/pubsub_api/): each event twice, as a
 * domain event on `events` (durable, one consumer group per service) and as
 * a real-time event on `fanout` (every gateway replica), for the topics the
 * gateway relays.
 *
 * Domain topics are the real-time names with a `chat.` prefix
 * (`chat.message.created`): on the Redis profile both components are streams
 * in one database, named by topic, so the same name on both would be one
 * stream and each consumer would get the other component's events too.
 *
 * Delivery policy ("publish, then acknowledge, with logged retries"): the
 * data is committed before anything is published, so a publish failure never
 * fails the request. `publish` waits for the broker at most `ackWaitMs`;
 * after that it resolves and the events keep being retried in the
 * background, with back-off, for up to `giveUpAfterMs`; each failed attempt
 * is logged, and an event that could not be published at all is logged as
 * an error naming its topic, room and seq. Clients that missed a real-time
 * event catch up with history (`GET .../messages?after=`, the socket `sync`).
 *
 * Order: the events of one `publish` call go out together (their order on
 * the broker is not kept; pub/sub delivery does not keep it either, which is
 * why the gateway orders a room's messages by seq), and the calls for one
 * room go out one after the other, so a change never overtakes an earlier
 * change of the same room made through this replica.
 */
import { COMPONENTS, FANOUT_TOPICS, activeSpan, withSpanContext, type FanoutEnvelope, type Logger, type Sidecar } from '@chat/platform';
import type { ChatEvent, ChatTopic, EventPublisher } from '../../domain/ports.js';

const REALTIME = new Set<string>(Object.values(FANOUT_TOPICS));

/** The payload on `events`: the fanout envelope plus who caused it. */
export interface DomainEventEnvelope<T = unknown> extends FanoutEnvelope<T> {
  actorId: string;
}

export interface PublisherOptions {
  sidecar: Sidecar;
  logger: Logger;
  ackWaitMs?: number;
  giveUpAfterMs?: number;
}

export function createDaprPublisher(options: PublisherOptions): EventPublisher & { idle(): Promise<void>; failures: number } {
  const { sidecar, logger } = options;
  const ackWaitMs = options.ackWaitMs ?? 1_000;
  const giveUpAfterMs = options.giveUpAfterMs ?? 60_000;
  /** The tail of each room's chain of publishes. */
  const chains = new Map<string, Promise<void>>();

  async function publishOne(pubsub: string, event: ChatEvent, payload: unknown, topic: string): Promise<void> {
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
      try {
        await sidecar.publish(pubsub, topic, payload);
        return;
      } catch (error) {
        const elapsed = Date.now() - started;
        const where = { pubsub, topic, roomId: event.roomId, seq: seqOf(event), attempt };
        if (elapsed >= giveUpAfterMs) {
          self.failures++;
          logger.error({ ...where, err: { message: (error as Error).message } }, 'event not published; clients catch up from history');
          return;
        }
        logger.warn({ ...where, err: { message: (error as Error).message } }, 'publish failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, Math.min(100 * 2 ** (attempt - 1), 5_000)));
      }
    }
  }

  /** One call's events, all at once (a commit's messages: one round trip, not one per message). */
  async function publishAll(events: ChatEvent[]): Promise<void> {
    await Promise.all(
      events.flatMap((event) => {
        const envelope: FanoutEnvelope = {
          roomId: event.roomId,
          occurredAt: event.occurredAt,
          data: event.data,
          ...(event.membersVersion === undefined ? {} : { membersVersion: event.membersVersion }),
        };
        const domain: DomainEventEnvelope = { ...envelope, actorId: event.actorId };
        // In the trace of the request that caused the event (see ChatEvent.trace).
        return withSpanContext(event.trace ?? activeSpan(), () => [
          publishOne(COMPONENTS.events, event, domain, domainTopic(event.topic)),
          ...(REALTIME.has(event.topic) ? [publishOne(COMPONENTS.fanout, event, envelope, event.topic)] : []),
        ]);
      }),
    );
  }

  const self = {
    failures: 0,
    publish(events: ChatEvent[]): Promise<void> {
      if (events.length === 0) return Promise.resolve();
      const byRoom = new Map<string, ChatEvent[]>();
      for (const event of events) byRoom.set(event.roomId, [...(byRoom.get(event.roomId) ?? []), event]);
      const done = [...byRoom].map(([roomId, roomEvents]) => {
        const previous = chains.get(roomId) ?? Promise.resolve();
        const next = previous.then(() => publishAll(roomEvents));
        chains.set(roomId, next);
        void next.then(() => {
          if (chains.get(roomId) === next) chains.delete(roomId);
        });
        return next;
      });
      let timer: NodeJS.Timeout | undefined;
      const waited = new Promise<void>((resolve) => (timer = setTimeout(resolve, ackWaitMs)));
      return Promise.race([Promise.all(done).then(() => undefined), waited]).finally(() => clearTimeout(timer));
    },
    /** Resolves when every event handed over so far is published (or given up). */
    async idle(): Promise<void> {
      while (chains.size > 0) await Promise.all(chains.values());
    },
  };
  return self;
}

/** The topic of a chat domain event on `events`. */
export const domainTopic = (topic: ChatTopic): string => `chat.${topic}`;

function seqOf(event: ChatEvent): number | undefined {
  const seq = (event.data as { seq?: unknown } | null)?.seq;
  return typeof seq === 'number' ? seq : undefined;
}
