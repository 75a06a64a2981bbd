/**
 * Publishes the chat's events through the sidecar's pub/sub API
 * (https://docs.dapr.io/reference/api/pubsub_api/): each event twice, as a
 * domain event on `events` (durable, one consumer group per service) and as
 * a real-time event on `fanout` (every gateway replica), for the topics the
 * gateway relays.
 *
 * Domain topics are the real-time names with a `chat.` prefix
 * (`chat.message.updated`; a commit's messages are `chat.messages.created`):
 * on the Redis profile both components are streams in one database, named by
 * topic, so the same name on both would be one stream and each consumer would
 * get the other component's events too.
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
import {
  COMPONENTS,
  FANOUT_TOPICS,
  activeSpan,
  withSpanContext,
  type ChatMessage,
  type FanoutEnvelope,
  type Logger,
  type MessagesCreated,
  type Sidecar,
  type SpanContext,
} from '@chat/platform';
import type { ChatEvent, ChatTopic, EventPublisher } from '../../domain/ports.js';

const REALTIME = new Set<string>(Object.values(FANOUT_TOPICS));

/**
 * The payload on `events`: the fanout envelope plus who caused it. A
 * commit's messages travel together (`chat.messages.created`, data
 * `{messages}`) and each names its author (`authorId`), so that envelope has
 * no `actorId`.
 */
export interface DomainEventEnvelope<T = unknown> extends FanoutEnvelope<T> {
  actorId?: string;
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

  /** What one call to the sidecar publishes: one payload on one topic of one component. */
  interface Publication {
    pubsub: string;
    topic: string;
    payload: unknown;
    /** The events it carries, for the logs. */
    events: ChatEvent[];
  }

  const attempt = ({ pubsub, topic, payload }: Publication): Promise<void> => sidecar.publish(pubsub, topic, payload);

  async function publishPersistently(publication: Publication): Promise<void> {
    const { pubsub, topic, events } = publication;
    const started = Date.now();
    for (let attempts = 1; ; attempts++) {
      try {
        await attempt(publication);
        return;
      } catch (error) {
        const elapsed = Date.now() - started;
        const where = { pubsub, topic, roomId: events[0]!.roomId, seqs: seqsOf(events), attempt: attempts };
        if (elapsed >= giveUpAfterMs) {
          self.failures++;
          logger.error({ ...where, err: { message: (error as Error).message } }, 'event not published; clients catch up from history');
          return;
        }
        logger.warn({ ...where, err: { message: (error as Error).message } }, 'publish failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, Math.min(100 * 2 ** (attempts - 1), 5_000)));
      }
    }
  }

  /**
   * One room's events of one call, all at once. The messages of a commit go
   * out together: as one `messages.created` on `fanout` (one delivery to each
   * gateway replica, not one per message; the senders' read markers ride in
   * it, ChatEvent.reads) and as one `chat.messages.created` on `events`. One
   * event per message on `events` cost the sidecar a CloudEvent and a broker
   * write each, its largest single cost (docs/benchmarks.md).
   * Other events one call each, on `fanout` too for the real-time topics.
   */
  async function publishAll(events: ChatEvent[], send: (publication: Publication) => Promise<void>): Promise<void> {
    const created = events.filter((event) => event.topic === 'message.created');
    const others = events.filter((event) => event.topic !== 'message.created');
    const envelopeOf = (event: ChatEvent): FanoutEnvelope => ({
      roomId: event.roomId,
      occurredAt: event.occurredAt,
      data: event.data,
      ...(event.membersVersion === undefined ? {} : { membersVersion: event.membersVersion }),
    });
    const domainOf = (event: ChatEvent): DomainEventEnvelope => ({ ...envelopeOf(event), actorId: event.actorId });
    const publications: Array<{ trace: SpanContext | undefined; publication: Publication }> = [];
    if (created.length > 0) {
      const last = created.at(-1)!;
      const reads = created.flatMap((event) => event.reads ?? []);
      const messages = created.map((event) => event.data as ChatMessage);
      const batch: MessagesCreated = { messages, ...(reads.length > 0 ? { reads } : {}) };
      // One call, one trace: the first sender's (the others' spans still end at their commit).
      const trace = created[0]!.trace;
      publications.push(
        {
          trace,
          publication: {
            pubsub: COMPONENTS.events,
            topic: domainTopic('message.created'),
            payload: { roomId: last.roomId, occurredAt: last.occurredAt, data: { messages } } satisfies DomainEventEnvelope<{ messages: ChatMessage[] }>,
            events: created,
          },
        },
        {
          trace,
          publication: {
            pubsub: COMPONENTS.fanout,
            topic: FANOUT_TOPICS.messagesCreated,
            payload: { roomId: last.roomId, occurredAt: last.occurredAt, data: batch } satisfies FanoutEnvelope<MessagesCreated>,
            events: created,
          },
        },
      );
    }
    for (const event of others) {
      publications.push({
        trace: event.trace,
        publication: { pubsub: COMPONENTS.events, topic: domainTopic(event.topic), payload: domainOf(event), events: [event] },
      });
      if (REALTIME.has(event.topic)) {
        publications.push({
          trace: event.trace,
          publication: { pubsub: COMPONENTS.fanout, topic: event.topic, payload: envelopeOf(event), events: [event] },
        });
      }
    }
    // In the trace of the request that caused the event (see ChatEvent.trace).
    await Promise.all(publications.map(({ trace, publication }) => withSpanContext(trace ?? activeSpan(), () => send(publication))));
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
      const done = inRoomOrder(events, (roomEvents) => publishAll(roomEvents, publishPersistently));
      let timer: NodeJS.Timeout | undefined;
      const waited = new Promise<void>((resolve) => (timer = setTimeout(resolve, ackWaitMs)));
      return Promise.race([Promise.all(done).then(() => undefined), waited]).finally(() => clearTimeout(timer));
    },
    async publishOrFail(events: ChatEvent[]): Promise<void> {
      if (events.length === 0) return;
      const outcomes = await Promise.allSettled(inRoomOrder(events, (roomEvents) => publishAll(roomEvents, attempt)));
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

/** The topic of a chat domain event on `events`; a commit's messages are one `chat.messages.created`. */
export const domainTopic = (topic: ChatTopic): string => (topic === 'message.created' ? 'chat.messages.created' : `chat.${topic}`);

function seqsOf(events: ChatEvent[]): number[] {
  return events.flatMap((event) => {
    const seq = (event.data as { seq?: unknown } | null)?.seq;
    return typeof seq === 'number' ? [seq] : [];
  });
}
