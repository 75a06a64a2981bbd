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
 */

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

/** `message` of docs/api.md. */
export interface ChatMessage {
  id: string;
  roomId: string;
  seq: number;
  authorId: string;
  body: string;
  createdAt: string;
  editedAt?: string;
  /** A tombstone: the message keeps its seq, its body is empty. */
  deleted?: true;
  clientMsgId?: string;
}

/** `room` of docs/api.md. A dm has no owner (`ownerId: null`), an empty name and topic. */
export interface ChatRoom {
  id: string;
  kind: 'channel' | 'dm';
  name: string;
  topic: string;
  visibility: 'public' | 'private';
  ownerId: string | null;
  memberCount: number;
  lastSeq: number;
  createdAt: string;
  updatedAt: string;
}

export interface MessageRef {
  roomId: string;
  seq: number;
}

export interface MembershipChange {
  roomId: string;
  userId: string;
}

export interface TypingState {
  roomId: string;
  userId: string;
  typing: boolean;
}

/** `messages.created`: a commit's messages; clients get each as `message:new`. */
export interface MessagesCreated {
  messages: ChatMessage[];
}

export interface PresenceState {
  userId: string;
  status: 'online' | 'offline';
}

export interface ReadMarker {
  roomId: string;
  userId: string;
  seq: number;
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
}

/** The error of a refused command, in the contract's shape (codes of docs/errors.md). */
export interface AckError {
  code: string;
  message: string;
  details?: Array<{ path: string; message: string }>;
  /** With `rate_limited`: how long to wait before trying again, in milliseconds. */
  retryAfterMs?: number;
}

/**
 * What every acknowledgement carries: `{ok: true, ...result}` or
 * `{ok: false, error}`. The server always answers an ack, never silence.
 */
export type AckResponse<T extends object = Record<never, never>> = ({ ok: true } & T) | { ok: false; error: AckError };

export type Ack<T extends object = Record<never, never>> = (response: AckResponse<T>) => void;

/** Client → server commands (present tense), each answered through its ack. */
export interface ClientToServerEvents {
  'message:send': (payload: { roomId: string; body: string; clientMsgId: string }, ack: Ack<{ message: ChatMessage }>) => void;
  'message:edit': (payload: { roomId: string; seq: number; body: string }, ack: Ack<{ message: ChatMessage }>) => void;
  'message:delete': (payload: { roomId: string; seq: number }, ack: Ack) => void;
  /** Catch-up after a reconnect: the messages after `afterSeq`, ascending. */
  sync: (
    payload: { roomId: string; afterSeq: number; limit?: number },
    ack: Ack<{ messages: ChatMessage[]; hasMore: boolean }>,
  ) => void;
  read: (payload: { roomId: string; seq: number }, ack: Ack) => void;
  /** No ack needed; one is answered when given. */
  typing: (payload: { roomId: string; typing: boolean }, ack?: Ack) => void;
  /**
   * Swaps a fresh access token into a live connection (same user), so that
   * it is not closed when the old token expires. An addition to the first version of the contract.
   */
  'auth:refresh': (payload: { token: string }, ack: Ack<{ expiresAt: string }>) => void;
}

/** Server → client broadcasts (past tense). */
export interface ServerToClientEvents {
  'message:new': (message: ChatMessage) => void;
  'message:updated': (message: ChatMessage) => void;
  'message:deleted': (ref: MessageRef) => void;
  /** Never echoed to the sender; a `typing: true` expires by itself after 5 s. */
  typing: (state: TypingState) => void;
  /** To users who share a room with `userId`. */
  presence: (state: PresenceState) => void;
  'room:member_joined': (change: MembershipChange) => void;
  'room:member_left': (change: MembershipChange) => void;
  'room:updated': (room: ChatRoom) => void;
  read: (marker: ReadMarker) => void;
  /**
   * The access token of this connection expired: the server closes it right
   * after this event. Reconnect with a fresh token (or send `auth:refresh`
   * before `expiresAt`). An addition to the first version of the contract.
   */
  'auth:expired': (notice: { code: 'unauthenticated'; message: string }) => void;
}

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
