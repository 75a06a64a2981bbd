/**
 * ProfileEvents over the Dapr pub/sub API (https://docs.dapr.io/reference/api/pubsub_api/):
 * `profile.updated` on the durable `events` component, with the public profile as data.
 */
import { COMPONENTS, TOPICS, type Sidecar } from '@chat/platform';
import type { ProfileEvents } from '../../domain/ports.js';

export function daprProfileEvents(sidecar: Sidecar): ProfileEvents {
  return {
    profileUpdated: (profile) => sidecar.publish(COMPONENTS.events, TOPICS.profileUpdated, profile),
  };
}
