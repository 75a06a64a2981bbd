/**
 * The real-time edge's FanoutPublisher over the sidecar's publish API
 * (https://docs.dapr.io/reference/api/pubsub_api/), on the `fanout`
 * component that every gateway replica subscribes to.
 */
import { COMPONENTS, type Sidecar } from '@chat/platform';
import type { FanoutPublisher } from '../../realtime/fanout.js';

export function createDaprFanoutPublisher(sidecar: Sidecar): FanoutPublisher {
  return { publish: (topic, envelope) => sidecar.publish(COMPONENTS.fanout, topic, envelope) };
}
