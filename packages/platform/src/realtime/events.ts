/**
 * The real-time contract, shared by the gateway's Socket.IO server, the tests
 * and the web client (API.md, "Real time"), and the envelope of the events the
 * chat-service publishes on the `fanout` pub/sub for the gateway replicas.
 */

/** Topics on the `fanout` component. */
export const FANOUT_TOPICS = {
  messageCreated: 'message.created',
  messageUpdated: 'message.updated',
  messageDeleted: 'message.deleted',
  memberJoined: 'room.member_joined',
  memberLeft: 'room.member_left',
  roomUpdated: 'room.updated',
  readUpdated: 'read.updated',
  typing: 'typing',
  presence: 'presence',
} as const;

export type FanoutTopic = (typeof FANOUT_TOPICS)[keyof typeof FANOUT_TOPICS];

/**
 * What is published on `fanout`: the room it concerns, when it happened (a
 * replica drops events older than its own start), and the payload the client
 * receives as it is.
 */
export interface FanoutEnvelope<T = unknown> {
  roomId: string;
  /** ISO-8601 UTC time the change was committed. */
  occurredAt: string;
  data: T;
}
