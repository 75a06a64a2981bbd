/**
 * The real-time contract, shared by the gateway's Socket.IO server, the tests
 * and the web client (docs/api.md, "Real time"), and the envelope of the events the
 * chat-service publishes on the `fanout` pub/sub for the gateway replicas.
 *
 * @example
 * ```ts
 * import { io, type Socket } from 'socket.io-client';
 * const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io(url, {
 *   path: '/socket.io', transports: ['websocket'], auth: { token: accessToken },
 * });
 * socket.on('message:new', (message) => render(message));
 * const ack = await socket.emitWithAck('message:send', { roomId, body: 'hi', clientMsgId: crypto.randomUUID() });
 * if (!ack.ok) show(ack.error.message);
 * ```
 *
 * The payloads' shapes are the contract's (@chat/contract): these are their TypeScript types.
 */
import type {
  AckError,
  ChatMessage,
  ChatRoom,
  MembershipChange,
  MessageRef,
  PresenceState,
  ProfileUpdate,
  ReadMarker,
  SocketAckFields,
  SocketAcks,
  SocketBroadcast,
  SocketBroadcastPayload,
  SocketCommand,
  SocketPayload,
  TypingState,
} from '@chat/contract';

/** Topics on the `fanout` component. */
export const FANOUT_TOPICS = {
  /** The messages of one commit of a room, ascending by seq: one event per commit, not per message. */
  messagesCreated: 'messages.created',
  messageUpdated: 'message.updated',
  messageDeleted: 'message.deleted',
  memberJoined: 'room.member_joined',
  memberLeft: 'room.member_left',
  roomUpdated: 'room.updated',
  readUpdated: 'read.updated',
  typing: 'typing',
  presence: 'presence',
  /**
   * A user's public profile changed (relayed by a gateway from the
   * profile-service's `profile.updated`), for the rooms in `roomIds`. Not
   * `profile.updated`: on Redis a topic on both components is one stream.
   */
  profile: 'profile',
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
  /**
   * For an event that concerns several rooms rather than one (`presence`,
   * published by the gateway): the rooms whose members receive it. `roomId`
   * is then empty.
   */
  roomIds?: string[];
  /**
   * For `room.member_joined` and `room.member_left`: the version of the
   * room's member list (the authority on membership) that the change made.
   * Pub/sub may deliver two changes of one member out of order; a replica
   * applies a change only if it is newer than the last one it applied.
   */
  membersVersion?: number;
}

export type { AckError, ChatMessage, ChatRoom, MembershipChange, MessageRef, PresenceState, ProfileUpdate, ReadMarker, TypingState };

/** `messages.created`: a commit's messages; clients get each as `message:new`. */
export interface MessagesCreated {
  messages: ChatMessage[];
  /**
   * The senders' read markers this commit moved past someone else's
   * messages; clients get each as `read`, after the message at its seq. They
   * ride with the messages rather than as `read.updated` events of their own
   * (a publish and a delivery to every gateway replica for each commit).
   */
  reads?: ReadMarker[];
}

/** The `data` of each fanout topic: what the client receives. */
export interface FanoutPayloads {
  'messages.created': MessagesCreated;
  'message.updated': ChatMessage;
  'message.deleted': MessageRef;
  'room.member_joined': MembershipChange;
  'room.member_left': MembershipChange;
  'room.updated': ChatRoom;
  'read.updated': ReadMarker;
  typing: TypingState;
  presence: PresenceState;
  profile: ProfileUpdate;
}

/**
 * What every acknowledgement carries: `{ok: true, ...result}` or
 * `{ok: false, error}`. The server always answers an ack, never silence.
 */
export type AckResponse<T extends object = Record<never, never>> = ({ ok: true } & T) | { ok: false; error: AckError };

export type Ack<T extends object = Record<never, never>> = (response: AckResponse<T>) => void;

/**
 * Client → server commands (present tense), each answered through its ack
 * (`typing` needs none; one is answered when given). `auth:refresh` swaps a
 * fresh access token into a live connection (same user), so that it is not
 * closed when the old token expires: an addition to the first version of
 * the contract.
 */
export type ClientToServerEvents = {
  [E in SocketCommand]: (typeof SocketAcks)[E] extends null
    ? (payload: SocketPayload<E>, ack?: Ack) => void
    : (payload: SocketPayload<E>, ack: Ack<SocketAckFields<E>>) => void;
};

/**
 * Server → client broadcasts (past tense). `typing` is never echoed to the
 * sender, and a `typing: true` expires by itself after 5 s; `presence` goes
 * to the users who share a room with `userId`; after `auth:expired` the
 * server closes the connection (reconnect with a fresh token, or send
 * `auth:refresh` before it expires: an addition to the first version of the
 * contract).
 */
export type ServerToClientEvents = {
  [E in SocketBroadcast]: (payload: SocketBroadcastPayload<E>) => void;
};

/** Replicas never talk through the Socket.IO adapter: fan-out goes through Dapr pub/sub. */
export type InterServerEvents = Record<never, never>;

/** What the server keeps on each socket. */
export interface SocketData {
  userId: string;
  /** Epoch milliseconds when the connection's access token expires. */
  tokenExpiresAt: number;
}

/** Socket.IO room names the gateway uses. */
export const SOCKET_ROOMS = {
  room: (roomId: string) => `room:${roomId}`,
  user: (userId: string) => `user:${userId}`,
} as const;
