/**
 * Pub/sub deliveries as Koa entry points. Dapr reads the subscription list
 * from `GET /dapr/subscribe` and POSTs each event, wrapped in a CloudEvent, to
 * its route. The answer tells the sidecar what to do with the event
 * (https://docs.dapr.io/reference/api/pubsub_api/#expected-http-response):
 * SUCCESS acknowledges it, RETRY redelivers it, DROP discards it.
 */
import type Router from '@koa/router';
import type { RequestState } from '../http/app.js';
import { isAppError } from '../errors.js';
import type { Logger } from '../logger.js';
import { metrics, secondsSince } from '../metrics.js';
import { activeSpan, inSpan, parseTraceparent, type SpanContext } from '../tracing.js';

export interface CloudEvent<T = unknown> {
  id: string;
  source: string;
  type: string;
  topic: string;
  pubsubname: string;
  time?: string;
  /** The publisher's trace (W3C), which daprd puts in the envelope. */
  traceparent?: string;
  tracestate?: string;
  data: T;
}

export type DeliveryOutcome = 'SUCCESS' | 'RETRY' | 'DROP';

export interface TopicSubscription {
  pubsubname: string;
  topic: string;
  /** App route the sidecar posts to, e.g. `/events/user-registered`. */
  route: string;
  metadata?: Record<string, string>;
  deadLetterTopic?: string;
  /**
   * Handles one event. Return nothing for SUCCESS. Throwing a 4xx AppError
   * (a malformed payload) drops the event; anything else is retried.
   */
  handle: (event: CloudEvent, log: Logger) => Promise<DeliveryOutcome | void>;
}

export function mountSubscriptions(router: Router<RequestState>, subscriptions: TopicSubscription[]): void {
  router.get('/dapr/subscribe', (ctx) => {
    ctx.body = subscriptions.map(({ pubsubname, topic, route, metadata, deadLetterTopic }) => ({
      pubsubname,
      topic,
      route,
      ...(metadata ? { metadata } : {}),
      ...(deadLetterTopic ? { deadLetterTopic } : {}),
    }));
  });
  for (const subscription of subscriptions) {
    router.post(subscription.route, async (ctx) => {
      const event = ctx.request.body as CloudEvent | undefined;
      const log = ctx.state.log.child({ topic: subscription.topic, eventId: event?.id });
      let status: DeliveryOutcome;
      if (!event || typeof event !== 'object' || !('data' in event)) {
        log.warn('dropping a delivery that is not a CloudEvent');
        status = 'DROP';
      } else {
        const lag = secondsSince(event.time);
        if (lag !== undefined) metrics.deliveryLag.observe({ pubsub: subscription.pubsubname, topic: subscription.topic }, lag);
        try {
          status = await inSpan(
            `deliver ${subscription.topic}`,
            { kind: 'CONSUMER', parent: deliveryParent(event), tags: { 'messaging.destination': subscription.topic, 'messaging.message_id': event.id } },
            async () => (await subscription.handle(event, log)) ?? 'SUCCESS',
          );
        } catch (error) {
          if (isAppError(error) && error.status < 500) {
            log.warn({ err: { code: error.code, message: error.message, details: error.details } }, 'dropping a malformed event');
            status = 'DROP';
          } else {
            log.error({ err: error }, 'event handling failed; asking for redelivery');
            status = 'RETRY';
          }
        }
      }
      metrics.deliveries.inc({ pubsub: subscription.pubsubname, topic: subscription.topic, outcome: status });
      ctx.status = 200;
      ctx.body = { status };
    });
  }
}

/**
 * The span a delivery continues: the one daprd passed with it (its delivery
 * span, in the publisher's trace), or else the publisher's own, from the
 * CloudEvent's `traceparent`.
 */
function deliveryParent(event: CloudEvent): SpanContext | undefined {
  const carried = parseTraceparent(event.traceparent, event.tracestate);
  const current = activeSpan();
  return carried && carried.traceId !== current?.traceId ? carried : current;
}
