/**
 * Domain events on the `events` pub/sub component
 * (https://docs.dapr.io/reference/api/pubsub_api/).
 */
import { COMPONENTS, TOPICS, type Sidecar } from '@chat/platform';
import type { EventPublisher } from '../../domain/ports.js';

export function createDaprEventPublisher(sidecar: Sidecar): EventPublisher {
  return {
    async userRegistered(event) {
      await sidecar.publish(COMPONENTS.events, TOPICS.userRegistered, event);
    },
  };
}
