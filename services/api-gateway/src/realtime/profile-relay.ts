import { COMPONENTS, FANOUT_TOPICS, TOPICS, validationFailed, type ProfileUpdate, type TopicSubscription } from '@chat/platform';
import type { ChatApi } from './chat-api.js';
import type { FanoutPublisher } from './fanout.js';

export interface ProfileRelayDeps {
  /** Whose rooms the profile's user is in (as that user). */
  chat: Pick<ChatApi, 'roomIds'>;
  fanout: FanoutPublisher;
  now?: () => number;
  /** A change older than this is not relayed (default PROFILE_RELAY_MAX_AGE_MS). */
  maxAgeMs?: number;
}

/**
 * Past this, a profile change is history: every client that connected since
 * read the profile as it is now, and those connected all along may get it on
 * their next read. The durable `events` stream keeps a backlog for long (a new
 * consumer group starts at its beginning), which must not come out as a burst
 * of room-list reads and stale renames.
 */
export const PROFILE_RELAY_MAX_AGE_MS = 60_000;

/**
 * The profile-service's `profile.updated`, on `events`, reaches one replica of
 * the gateway (one consumer group per app). That replica reads the rooms of
 * the profile's user from chat-service and publishes the profile as
 * `profile` on `fanout` for those rooms: every replica then emits it as
 * `profile:updated` to their sockets (fanout-relay.ts), so that a new name
 * or avatar shows beside old messages without a reload. A user in no room
 * has nobody to tell. When chat-service cannot answer, the event is retried
 * by the broker.
 */
export function profileRelay(deps: ProfileRelayDeps): TopicSubscription {
  const now = deps.now ?? Date.now;
  const maxAgeMs = deps.maxAgeMs ?? PROFILE_RELAY_MAX_AGE_MS;
  return {
    pubsubname: COMPONENTS.events,
    topic: TOPICS.profileUpdated,
    route: '/events/profile-updated',
    async handle(event, log) {
      const profile = publicProfileOf(event.data);
      if (now() - Date.parse(profile.updatedAt) > maxAgeMs) return 'SUCCESS';
      const roomIds = await deps.chat.roomIds({ userId: profile.userId, requestId: `profile-relay-${event.id}` });
      if (roomIds.length === 0) return 'SUCCESS';
      await deps.fanout.publish(FANOUT_TOPICS.profile, { roomId: '', roomIds, occurredAt: profile.updatedAt, data: profile });
      log.debug({ userId: profile.userId, rooms: roomIds.length }, 'profile change relayed');
      return 'SUCCESS';
    },
  };
}

const isString = (value: unknown): value is string => typeof value === 'string';

/**
 * The public fields of the profile-service's event, and nothing else. Only
 * their kinds are checked: a name stored before today's rules is still the
 * user's name, and the profile-service checked what it stored.
 */
function publicProfileOf(data: unknown): ProfileUpdate {
  const value = (data ?? {}) as Record<string, unknown>;
  const { userId, username, displayName, bio, avatarUrl, createdAt, updatedAt } = value;
  if (
    !isString(userId) ||
    !isString(username) ||
    !isString(displayName) ||
    !isString(bio) ||
    !(avatarUrl === null || isString(avatarUrl)) ||
    !isString(createdAt) ||
    !isString(updatedAt) ||
    Number.isNaN(Date.parse(updatedAt))
  ) {
    throw validationFailed([{ path: 'data', message: 'must be a public profile' }]);
  }
  return { userId, username, displayName, bio, avatarUrl, createdAt, updatedAt };
}
