/**
 * What the API answers: every response body of docs/api.md and the one
 * error shape. The gateway's OpenAPI document shows these, the platform's
 * TypeScript types are their `Static`s, and tests check real answers
 * against them. Responses may gain fields over time, so none is closed.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { OneOf } from './kinds.js';
import { Bio, DisplayName, Email, NOTIFICATIONS, THEMES, Username } from './requests.js';

/** `schema` with a description of its own use (the document shows it as a reference to `schema` plus this text). */
export const described = <T extends TSchema>(schema: T, description: string): T => ({ ...schema, description });

const EXAMPLE_USER_ID = '3f0b9c1e-6a2d-4c8e-9f57-1d2e3a4b5c6d';
const EXAMPLE_ROOM_ID = '8c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f';
const EXAMPLE_TIME = '2025-01-31T12:00:00.000Z';

/** An id as the platform returns it: a lower-case UUID. */
export const ResourceId = Type.String({
  format: 'uuid',
  description: 'An opaque identifier (a UUID). Compare it as a string; never parse it.',
  examples: [EXAMPLE_USER_ID],
});
export const Timestamp = Type.String({ format: 'date-time', description: 'An ISO-8601 time in UTC (`Z`), with milliseconds.', examples: [EXAMPLE_TIME] });

// Errors

/** The contract's error codes (docs/errors.md), the same set as ERROR_STATUS in @chat/platform. */
export const ERROR_CODES = [
  'validation_failed',
  'invalid_json',
  'unauthenticated',
  'invalid_credentials',
  'forbidden',
  'not_found',
  'conflict',
  'payload_too_large',
  'unsupported_media_type',
  'rate_limited',
  'unavailable',
  'internal',
] as const;

export const ErrorCode = OneOf(ERROR_CODES, {
  description:
    'A stable, machine-readable reason. New codes may be added; treat an unknown one by its HTTP status. 400: `validation_failed`, `invalid_json`; 401: `unauthenticated`, `invalid_credentials`; 403: `forbidden`; 404: `not_found`; 409: `conflict`; 413: `payload_too_large`; 415: `unsupported_media_type`; 429: `rate_limited`; 500: `internal`; 503: `unavailable`.',
});
export const ErrorDetail = Type.Object({
  path: Type.String({
    description: 'Where the problem is: `body.<field>` (or `body.<field>[i]`, `query.<name>`, `params.<name>`).',
    examples: ['body.username'],
  }),
  message: Type.String({ description: 'What is wrong with it, as a human sentence.', examples: ['must be at least 3 characters'] }),
});
export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: ErrorCode,
      message: Type.String({ description: 'A human sentence; do not parse it. 500 errors never reveal internals.' }),
      details: Type.Optional(Type.Array(ErrorDetail, { description: 'With `validation_failed`: one entry per bad field. Absent otherwise.' })),
    }),
    requestId: Type.String({ description: 'The request id (the same as the `X-Request-Id` response header); quote it when reporting a problem.' }),
  },
  { description: 'The one shape of every error, whatever service produced it.' },
);

// Auth

export const User = Type.Object({
  id: described(ResourceId, 'The user id.'),
  username: Username,
  email: Email,
  createdAt: described(Timestamp, 'When the user registered.'),
});
export const UserEnvelope = Type.Object({ user: User });
const tokenFields = {
  accessToken: Type.String({
    description:
      'A JWT signed with ES256, valid for 15 minutes; send it as `Authorization: Bearer <accessToken>`. Verify it with the keys of `GET /api/auth/jwks`.',
  }),
  refreshToken: Type.String({
    description: 'An opaque token that can be spent once at `POST /api/auth/refresh` for new tokens. Keep it secret; it is never sent anywhere else.',
  }),
  expiresIn: Type.Integer({ minimum: 1, description: 'Seconds until the access token expires (900).', examples: [900] }),
};
export const Tokens = Type.Object(tokenFields);
export const AuthSession = Type.Object({ ...tokenFields, user: User }, { description: 'A new session: the user and its first tokens.' });
export const Jwk = Type.Object(
  {
    kty: Type.Literal('EC'),
    crv: Type.Literal('P-256'),
    x: Type.String({ description: 'base64url' }),
    y: Type.String({ description: 'base64url' }),
    kid: Type.String({ description: "Key id, matched against the `kid` of a token's header." }),
    alg: Type.Literal('ES256'),
    use: Type.Literal('sig'),
  },
  { description: 'A public EC key (RFC 7517) that verifies access tokens whose JWT header has the same `kid`.' },
);
export const JwkSet = Type.Object(
  { keys: Type.Array(Jwk, { minItems: 1 }) },
  { description: 'RFC 7517 JSON Web Key Set. During a key rotation it holds more than one key.' },
);

// Profiles

export const Settings = Type.Object(
  { theme: OneOf(THEMES, { default: 'system' }), notifications: OneOf(NOTIFICATIONS, { default: 'all' }) },
  { description: "The user's own preferences; only the user sees them." },
);
const AvatarUrl = Type.Union([Type.String({ format: 'uri-reference' }), Type.Null()], {
  description:
    'Where the avatar image is: the `https:` URL the user set, or, after an upload to `PUT /api/profiles/me/avatar`, the absolute URL at which the gateway serves the stored image (`GET /api/profiles/{userId}/avatar`, with a `v` query that changes with every new image); `null` when there is none.',
  examples: [`http://127.0.0.1:8080/api/profiles/${EXAMPLE_USER_ID}/avatar?v=9f86d081884c7d659a2feaa0c55ad015`, null],
});
const publicProfileFields = {
  userId: described(ResourceId, 'The user this profile belongs to (the `id` of `User`).'),
  username: described(Username, "The user's username (lower-case)."),
  displayName: DisplayName,
  bio: described(Bio, 'At most 500 characters; newlines and tabs are kept, other control characters are refused. The empty string when unset.'),
  avatarUrl: AvatarUrl,
  createdAt: described(Timestamp, 'When the profile was created.'),
  updatedAt: described(Timestamp, 'When the profile last changed.'),
};
export const PublicProfile = Type.Object(publicProfileFields, { description: 'What anyone signed in sees of a user: the profile without `settings`.' });
export const Profile = Type.Object({ ...publicProfileFields, settings: Settings }, { description: "The caller's own profile." });
export const ProfileList = Type.Object({
  profiles: Type.Array(PublicProfile, {
    maxItems: 100,
    description: 'One profile for each distinct id asked for that names a user, in the order asked; ids that name no user are left out.',
  }),
});

// Rooms

export const Role = OneOf(['owner', 'admin', 'member'], {
  description: "A member's role in a room. Owners and admins may rename the room, change its topic, and add or remove members.",
});
const roomFields = {
  id: described(ResourceId, 'The room id.'),
  kind: OneOf(['channel', 'dm'], { description: '`channel`: a named room; `dm`: the direct-message room of two users.' }),
  name: Type.String({ maxLength: 64, description: 'The room name (1–64 characters for a channel; may be empty for a `dm`).' }),
  topic: Type.String({ maxLength: 500, description: 'At most 500 characters; the empty string when unset.' }),
  visibility: OneOf(['public', 'private'], {
    description:
      '`public` rooms are listed by `GET /api/rooms/public` and anyone may join them; `private` rooms (and every `dm`) only take members added by an owner or admin.',
  }),
  ownerId: Type.Union([ResourceId, Type.Null()], { description: 'The user who created the channel (its owner); `null` for a `dm`, which has no owner.' }),
  memberCount: Type.Integer({ minimum: 0, description: 'How many members the room has.' }),
  lastSeq: Type.Integer({ minimum: 0, description: 'The `seq` of the newest message, 0 when the room has none.' }),
  createdAt: described(Timestamp, 'When the room was created.'),
  updatedAt: described(Timestamp, 'When the room last changed (name, topic, members or a new message).'),
};
export const Room = Type.Object(roomFields);
export const MyRoom = Type.Object(
  {
    ...roomFields,
    unread: Type.Integer({ minimum: 0, description: "Messages after the caller's read marker: `lastSeq` minus the marker's `seq`." }),
    role: Role,
  },
  { description: "A room of the caller, with the caller's unread count and role." },
);
export const Member = Type.Object({
  userId: described(ResourceId, "The member's user id."),
  role: Role,
  displayName: Type.Union([Type.String(), Type.Null()], {
    description: "From the member's profile; `null` when the profile could not be read (the room is still answered).",
  }),
  username: Type.Union([Username, Type.Null()], {
    description:
      "The member's username, unique where display names are not: a client shows it beside the display name, so that nobody passes for another member by taking their name. `null` when the profile could not be read.",
  }),
  avatarUrl: AvatarUrl,
  online: Type.Boolean({ description: 'Whether the member has a live Socket.IO connection to any gateway replica.' }),
});
export const RoomDetail = Type.Object(
  { ...roomFields, members: Type.Array(Member) },
  { description: 'A room with its members, aggregated by the gateway from the chat and profile services.' },
);
export const RoomList = Type.Object({ rooms: Type.Array(Room) });
export const MyRoomList = Type.Object({ rooms: Type.Array(MyRoom) });
export const MemberRole = Type.Object({ userId: described(ResourceId, 'The member.'), role: Role });

// Messages

export const Message = Type.Object(
  {
    id: described(ResourceId, 'The message id.'),
    roomId: described(ResourceId, 'The room the message belongs to.'),
    seq: Type.Integer({
      minimum: 1,
      description: "The message's place in its room: starts at 1, no gaps, no duplicates, whatever the number of concurrent senders.",
    }),
    authorId: described(ResourceId, 'The user who sent it.'),
    body: Type.String({ maxLength: 4000, description: 'The text (trimmed). The empty string once the message is deleted.' }),
    createdAt: described(Timestamp, 'When it was sent.'),
    editedAt: Type.Optional(described(Timestamp, 'When it was last edited; absent if never edited.')),
    deleted: Type.Optional(Type.Literal(true, { description: 'Present (true) once the message is deleted: a tombstone keeps its `seq`, its body is empty.' })),
    clientMsgId: Type.Optional(Type.String({ description: "The sender's idempotency key, when the message was sent with one." })),
  },
  {
    examples: [
      {
        id: '1b2c3d4e-5f60-4718-8293-a4b5c6d7e8f9',
        roomId: EXAMPLE_ROOM_ID,
        seq: 42,
        authorId: EXAMPLE_USER_ID,
        body: 'Hello, room!',
        createdAt: EXAMPLE_TIME,
        clientMsgId: 'c-7f3a9e',
      },
    ],
  },
);
export const MessagePage = Type.Object({
  messages: Type.Array(Message, { maxItems: 100, description: 'Ascending by `seq`, tombstones included.' }),
  hasMore: Type.Boolean({
    description:
      'Whether more messages lie beyond this page in the direction of reading: older ones (below the first `seq`) for the newest page or a `before` page; newer ones (above the last `seq`) for an `after` page.',
  }),
});

// Health

export const SERVICES = ['api-gateway', 'auth-service', 'profile-service', 'chat-service'] as const;
const ServiceStatus = OneOf(['ok', 'down']);
export const Health = Type.Object({
  status: OneOf(['ok', 'degraded']),
  services: Type.Object(Object.fromEntries(SERVICES.map((name) => [name, ServiceStatus])) as Record<(typeof SERVICES)[number], typeof ServiceStatus>, {
    description: 'Each service as the gateway reached it through Dapr: `ok`, or `down` when it failed or did not answer in time.',
    additionalProperties: ServiceStatus,
  }),
});

/** `message` of docs/api.md. */
export type ChatMessage = Static<typeof Message>;
/** `room` of docs/api.md. A dm has no owner (`ownerId: null`), an empty name and topic. */
export type ChatRoom = Static<typeof Room>;
export type ErrorBody = Static<typeof ErrorBody>;
