/**
 * Pub/sub entry points: `user.registered` from auth-service creates the
 * profile. A malformed event is dropped (with a log line), a store that is
 * down asks for redelivery; redelivery and duplicates are harmless because
 * the handler is idempotent.
 */
import { COMPONENTS, TOPICS, type TopicSubscription } from '@chat/platform';
import type { ProfileService } from '../domain/profiles.js';
import { parseUserRegistered } from './validation.js';

export const USER_REGISTERED_ROUTE = '/events/user-registered';

export function profileSubscriptions(service: ProfileService): TopicSubscription[] {
  return [
    {
      pubsubname: COMPONENTS.events,
      topic: TOPICS.userRegistered,
      route: USER_REGISTERED_ROUTE,
      async handle(event, log) {
        const user = parseUserRegistered(event.data);
        const outcome = await service.registerUser(user);
        log.info(
          { userId: user.userId, outcome },
          outcome === 'duplicate' ? 'user.registered seen before; nothing to do' : 'profile created from user.registered',
        );
        return 'SUCCESS';
      },
    },
  ];
}
