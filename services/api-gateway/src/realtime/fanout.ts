/**
 * The gateway's side of the `fanout` pub/sub. Its subscription: every topic of
 * FANOUT_TOPICS, delivered by this replica's own sidecar (its own consumer
 * group, see components/redis/fanout.yaml and docs/realtime.md) to
 * `/events/fanout/<topic>`. An event older than this replica's start is
 * acknowledged and dropped: a restarted replica resumes its consumer group
 * where it stopped and would otherwise replay what happened while it was
 * down. Each event, once its envelope is checked, goes to the handler of its
 * topic. And what a replica publishes there itself (typing, presence).
 * https://docs.dapr.io/reference/api/pubsub_api/
 */
import { createHash } from 'node:crypto';
import {
  COMPONENTS,
  FANOUT_TOPICS,
  validationFailed,
  type FanoutEnvelope,
  type FanoutPayloads,
  type FanoutTopic,
  type Logger,
  type TopicSubscription,
} from '@chat/platform';

/** What handles the events of one topic: its payload, and the envelope it came in. */
export type FanoutHandler<T extends FanoutTopic> = (data: FanoutPayloads[T], envelope: FanoutEnvelope<FanoutPayloads[T]>) => void;

/** A handler for every fanout topic, each typed by its topic's payload. */
export type FanoutHandlers = { [T in FanoutTopic]: FanoutHandler<T> };

/** Publishes an event on `fanout`, for every replica (adapters/dapr/fanout-publisher.ts). */
export interface FanoutPublisher {
  publish<T extends FanoutTopic>(topic: T, envelope: FanoutEnvelope<FanoutPayloads[T]>): Promise<void>;
}

export interface FanoutOptions {
  /** Epoch ms this replica started; older events are dropped. */
  startedAt: number;
  logger: Logger;
  handlers: FanoutHandlers;
  /** How long a delivered event is remembered to drop its duplicates (default 2 min), and at most how many. */
  dedupeMs?: number;
  dedupeMax?: number;
}

export function fanoutSubscriptions(options: FanoutOptions): TopicSubscription[] {
  const stale = staleCounter(options.logger, options.startedAt);
  const seen = new RecentKeys(options.dedupeMs ?? 120_000, options.dedupeMax ?? 50_000);
  const subscribe = <T extends FanoutTopic>(topic: T): TopicSubscription => ({
    pubsubname: COMPONENTS.fanout,
    topic,
    route: `/events/fanout/${topic}`,
    async handle(event, log) {
      const envelope = parseEnvelope<T>(event.data);
      const occurredAt = Date.parse(envelope.occurredAt);
      if (occurredAt < options.startedAt) {
        stale.count(topic, occurredAt);
        return 'SUCCESS';
      }
      // At-least-once delivery, and the same event reaching this stream twice
      // (see docs/realtime.md), must not reach clients twice.
      if (!seen.add(`${topic}\n${envelope.roomId}\n${envelope.occurredAt}\n${JSON.stringify(envelope.data)}`)) return 'SUCCESS';
      try {
        options.handlers[topic](envelope.data, envelope);
      } catch (error) {
        // A real-time event is not worth a redelivery loop: log and move on.
        log.error({ err: error }, 'relaying a fanout event failed');
      }
      return 'SUCCESS';
    },
  });
  return Object.values(FANOUT_TOPICS).map(subscribe);
}

/**
 * Checks the envelope; its `data` must be an object and is then taken as the
 * topic's payload (chat-service and the gateway publish them, see
 * FanoutPayloads).
 */
function parseEnvelope<T extends FanoutTopic>(data: unknown): FanoutEnvelope<FanoutPayloads[T]> {
  const value = data as Partial<FanoutEnvelope<unknown>> | undefined;
  const problems: Array<{ path: string; message: string }> = [];
  if (!value || typeof value !== 'object') throw validationFailed([{ path: 'data', message: 'must be an object' }]);
  if (typeof value.roomId !== 'string') problems.push({ path: 'data.roomId', message: 'must be a string' });
  if (typeof value.occurredAt !== 'string' || Number.isNaN(Date.parse(value.occurredAt))) {
    problems.push({ path: 'data.occurredAt', message: 'must be an ISO-8601 time' });
  }
  if (!value.data || typeof value.data !== 'object') problems.push({ path: 'data.data', message: 'must be an object' });
  if (value.roomIds !== undefined && (!Array.isArray(value.roomIds) || value.roomIds.some((id) => typeof id !== 'string'))) {
    problems.push({ path: 'data.roomIds', message: 'must be an array of strings' });
  }
  if (problems.length > 0) throw validationFailed(problems, 'Not a fanout envelope');
  return value as FanoutEnvelope<FanoutPayloads[T]>;
}

/** Counts dropped stale events and logs one summary a second, not one line each. */
function staleCounter(logger: Logger, startedAt: number) {
  let pending: { dropped: number; oldest: number; newest: number; topics: Set<string> } | undefined;
  return {
    count(topic: string, occurredAt: number) {
      if (!pending) {
        pending = { dropped: 0, oldest: occurredAt, newest: occurredAt, topics: new Set() };
        setTimeout(() => {
          const summary = pending!;
          pending = undefined;
          logger.info(
            {
              dropped: summary.dropped,
              topics: [...summary.topics],
              oldest: new Date(summary.oldest).toISOString(),
              newest: new Date(summary.newest).toISOString(),
              startedAt: new Date(startedAt).toISOString(),
            },
            'stale fanout events dropped (older than this replica)',
          );
        }, 1_000).unref();
      }
      pending.dropped += 1;
      pending.topics.add(topic);
      pending.oldest = Math.min(pending.oldest, occurredAt);
      pending.newest = Math.max(pending.newest, occurredAt);
    },
  };
}

/** A bounded set of recently seen keys (hashed), oldest evicted first. */
export class RecentKeys {
  private readonly keys = new Map<string, number>();
  private readonly ttlMs: number;
  private readonly max: number;

  constructor(ttlMs: number, max: number) {
    this.ttlMs = ttlMs;
    this.max = max;
  }

  /** Adds the key; false when it was already there (a duplicate). */
  add(key: string, now = Date.now()): boolean {
    const hash = createHash('sha1').update(key).digest('base64');
    const at = this.keys.get(hash);
    if (at !== undefined && now - at < this.ttlMs) return false;
    this.keys.delete(hash);
    this.keys.set(hash, now);
    // Map keeps insertion order: the first entries are the oldest.
    for (const [oldest, time] of this.keys) {
      if (this.keys.size <= this.max && now - time < this.ttlMs) break;
      this.keys.delete(oldest);
    }
    return true;
  }

  get size(): number {
    return this.keys.size;
  }
}
