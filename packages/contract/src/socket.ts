/**
 * The Socket.IO contract (docs/realtime.md): the payloads of the commands a
 * client sends, what their acknowledgements carry, and the payloads of the
 * broadcasts the server sends. The gateway checks each command's payload
 * with its schema before the command runs. A message's text is checked with
 * REST's own rule (MessageBody) here too, so a bad body is refused to its
 * sender alone, with REST's answer, before it can share a batched call to
 * chat-service with other users' sends (chat-service checks it again).
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { OneOf, Text } from './kinds.js';
import { ClientMsgId, Id, MessageBody, PageLimit, Seq, SeqOrZero } from './requests.js';
import { described, ErrorCode, ErrorDetail, Message, PublicProfile, ResourceId, Room, Timestamp } from './responses.js';

const closed = <P extends Record<string, TSchema>>(properties: P) => Type.Object(properties, { additionalProperties: false });

export const SocketPayloads = {
  'message:send': closed({ roomId: Id, body: MessageBody, clientMsgId: ClientMsgId }),
  'message:edit': closed({ roomId: Id, seq: Seq, body: MessageBody }),
  'message:delete': closed({ roomId: Id, seq: Seq }),
  sync: closed({ roomId: Id, afterSeq: SeqOrZero, limit: Type.Optional(PageLimit) }),
  read: closed({ roomId: Id, seq: SeqOrZero }),
  typing: closed({ roomId: Text({ minLength: 1, maxLength: 200 }), typing: Type.Boolean() }),
  'auth:refresh': closed({ token: Text({ minLength: 1, maxLength: 8192 }) }),
} as const;

export type SocketCommand = keyof typeof SocketPayloads;
export type SocketPayload<E extends SocketCommand> = Static<(typeof SocketPayloads)[E]>;

/** The error of a refused command: the codes of the REST API. */
export const AckError = Type.Object({
  code: ErrorCode,
  message: Type.String(),
  details: Type.Optional(Type.Array(ErrorDetail, { description: 'With `validation_failed`: one entry per bad field (at most 20).' })),
  retryAfterMs: Type.Optional(Type.Integer({ minimum: 0, description: 'With `rate_limited`: how long to wait before the next command of this kind.' })),
});
export const SocketAckError = Type.Object(
  { ok: Type.Literal(false), error: AckError },
  { description: 'What a Socket.IO acknowledgement gets when the command is refused: the codes of the REST API.' },
);

/** What each command's acknowledgement carries besides `ok: true` (`null`: the command takes no acknowledgement, though one is answered when given). */
export const SocketAcks = {
  'message:send': { message: Message },
  'message:edit': { message: Message },
  'message:delete': {},
  sync: { messages: Type.Array(Message), hasMore: Type.Boolean() },
  read: {},
  typing: null,
  'auth:refresh': { expiresAt: described(Timestamp, 'When the new token expires.') },
} as const satisfies Record<SocketCommand, Record<string, TSchema> | null>;

/** `{ok: true, ...}` of a command's acknowledgement. */
export const ackSuccess = (fields: Record<string, TSchema>) => Type.Object({ ok: Type.Literal(true), ...fields });

export const MessageRef = Type.Object({ roomId: ResourceId, seq: Seq });
export const MembershipChange = Type.Object({ roomId: ResourceId, userId: ResourceId });
export const TypingState = Type.Object({ roomId: ResourceId, userId: ResourceId, typing: Type.Boolean() });
export const PresenceState = Type.Object({ userId: ResourceId, status: OneOf(['online', 'offline']) });
export const ReadMarker = Type.Object({ roomId: ResourceId, userId: ResourceId, seq: Seq });
export const AuthExpired = Type.Object({ code: Type.Literal('unauthenticated'), message: Type.String() });

/** The payload of each server → client broadcast (open: a broadcast may gain fields). */
export const SocketBroadcasts = {
  'message:new': Message,
  'message:updated': Message,
  'message:deleted': MessageRef,
  typing: TypingState,
  presence: PresenceState,
  'room:member_joined': MembershipChange,
  'room:member_left': MembershipChange,
  'room:updated': Room,
  read: ReadMarker,
  'profile:updated': PublicProfile,
  'auth:expired': AuthExpired,
} as const;

export type SocketAckFields<E extends SocketCommand> =
  (typeof SocketAcks)[E] extends Record<string, TSchema> ? { [K in keyof (typeof SocketAcks)[E]]: Static<(typeof SocketAcks)[E][K]> } : Record<never, never>;
export type SocketBroadcast = keyof typeof SocketBroadcasts;
export type SocketBroadcastPayload<E extends SocketBroadcast> = Static<(typeof SocketBroadcasts)[E]>;
export type AckError = Static<typeof AckError>;
export type MessageRef = Static<typeof MessageRef>;
export type MembershipChange = Static<typeof MembershipChange>;
export type TypingState = Static<typeof TypingState>;
export type PresenceState = Static<typeof PresenceState>;
export type ReadMarker = Static<typeof ReadMarker>;
/** `profile:updated`: the public profile of a user who shares a room with the receiver, as it is now. */
export type ProfileUpdate = Static<typeof PublicProfile>;
