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
 * Two delivery policies:
 * - `publishOrFail` (the outbox relay's, for `message.created`): one attempt
 *   per event and component; rejects unless every one was accepted. The
 *   relay retries until it resolves (domain/outbox.ts), so a message's event
 *   is never given up on.
 * - `publish` (best effort, for the other events): the data is committed
 *   before anything is published, so a publish failure never fails the
 *   request. It waits for the broker at most `ackWaitMs`; after that it
 *   resolves and the events keep being retried in the background, with
 *   back-off, for up to `giveUpAfterMs`; each failed attempt is logged, and
 *   an event that could not be published at all is logged as an error naming
 *   its topic, room and seq. Clients re-read that state.
 *
 * Order: the events of one call go out together (their order on the broker
 * is not kept; pub/sub delivery does not keep it either, which is why the
 * gateway orders a room's messages by seq), and the calls for one room, of
 * either kind, go out one after the other, so a change never overtakes an
 * earlier change of the same room made through this replica (an edit never
 * leaves before the message it edits, unless that message's publish failed).
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

  /**
   * One call's events, all at once (a commit's messages: one round trip, not
   * one per message), each with `send(pubsub, event, payload, topic)`.
   */
  async function publishAll(
    events: ChatEvent[],
    send: (pubsub: string, event: ChatEvent, payload: unknown, topic: string) => Promise<void>,
  ): Promise<void> {
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
          send(COMPONENTS.events, event, domain, domainTopic(event.topic)),
          ...(REALTIME.has(event.topic) ? [send(COMPONENTS.fanout, event, envelope, event.topic)] : []),
        ]);
      }),
    );
  }

  /** Runs `work` on each room's events after that room's earlier calls; one outcome per room. */
  function inRoomOrder(events: ChatEvent[], work: (roomEvents: ChatEvent[]) => Promise<void>): Array<Promise<void>> {
    const byRoom = new Map<string, ChatEvent[]>();
    for (const event of events) byRoom.set(event.roomId, [...(byRoom.get(event.roomId) ?? []), event]);
    return [...byRoom].map(([roomId, roomEvents]) => {
      const previous = chains.get(roomId) ?? Promise.resolve();
      const next = previous.then(() => work(roomEvents));
      // The chain goes on whatever this call's outcome.
      const tail = next.catch(() => undefined);
      chains.set(roomId, tail);
      void tail.then(() => {
        if (chains.get(roomId) === tail) chains.delete(roomId);
      });
      return next;
    });
  }

  const self = {
    failures: 0,
    publish(events: ChatEvent[]): Promise<void> {
      if (events.length === 0) return Promise.resolve();
      const done = inRoomOrder(events, (roomEvents) => publishAll(roomEvents, publishOne));
      let timer: NodeJS.Timeout | undefined;
      const waited = new Promise<void>((resolve) => (timer = setTimeout(resolve, ackWaitMs)));
      return Promise.race([Promise.all(done).then(() => undefined), waited]).finally(() => clearTimeout(timer));
    },
    async publishOrFail(events: ChatEvent[]): Promise<void> {
      if (events.length === 0) return;
      const once = (pubsub: string, _event: ChatEvent, payload: unknown, topic: string) => sidecar.publish(pubsub, topic, payload);
      const outcomes = await Promise.allSettled(inRoomOrder(events, (roomEvents) => publishAll(roomEvents, once)));
      const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
      if (failed) throw failed.reason;
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
