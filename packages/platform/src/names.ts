/**
 * The Dapr surface by name. The same strings are the `metadata.name` of the
 * YAML in `components/<profile>/` and the app-ids in `dapr.yaml`.
 */
export const APP_IDS = {
  gateway: 'api-gateway',
  auth: 'auth-service',
  profile: 'profile-service',
  chat: 'chat-service',
} as const;

export type AppId = (typeof APP_IDS)[keyof typeof APP_IDS];

export const COMPONENTS = {
  /** Key-value state; keys are prefixed by app-id, so each service sees only its own. */
  stateStore: 'statestore',
  /** Durable domain events between services: one consumer group per app-id. */
  events: 'events',
  /** Real-time events to every gateway replica: one consumer per replica. */
  fanout: 'fanout',
  secretStore: 'secretstore',
  /** Output binding for avatar images (local files, or object storage). */
  avatars: 'avatars',
} as const;

export const TOPICS = {
  userRegistered: 'user.registered',
  profileUpdated: 'profile.updated',
} as const;

/**
 * Every topic published on `events`, whoever publishes it: chat-service
 * publishes each of its `ChatTopic`s there as `chat.<topic>` (its
 * `domainTopic`), the real-time names staying for `fanout`. Brokers that
 * need a topic set up before use read this list: the sqlite profile makes
 * one JetStream stream per topic here and in FANOUT_TOPICS
 * (runtime/profile-setup.ts). A new topic goes here, or it has no stream.
 */
export const EVENT_TOPICS: readonly string[] = [
  TOPICS.userRegistered,
  TOPICS.profileUpdated,
  ...[
    // A commit's messages together: chat-service's `message.created` (its domainTopic).
    'messages.created',
    'message.updated',
    'message.deleted',
    'room.created',
    'room.updated',
    'room.member_joined',
    'room.member_left',
    'room.member_role_changed',
    'read.updated',
  ].map((topic) => `chat.${topic}`),
];
