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
