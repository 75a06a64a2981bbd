import * as contract from '@chat/contract';
import { schemaRef } from './common.js';
import { socketAckError } from './realtime.js';
import type { Header, OpenApiDocument, Parameter, Schema } from './types.js';

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


const SERVICES = ['api-gateway', 'auth-service', 'profile-service', 'chat-service'] as const;
const serviceStatus: Schema = { type: 'string', enum: ['ok', 'down'] };

const EXAMPLE_USER_ID = '3f0b9c1e-6a2d-4c8e-9f57-1d2e3a4b5c6d';
const EXAMPLE_ROOM_ID = '8c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f';
const EXAMPLE_TIME = '2025-01-31T12:00:00.000Z';

const id = (description: string): Schema => ({ ...schemaRef('Id'), description });
const time = (description: string): Schema => ({ ...schemaRef('Timestamp'), description });

const displayName: Schema = {
  type: 'string',
  minLength: 1,
  maxLength: 64,
  pattern: String.raw`^[^\u0000-\u001F\u007F-\u009F]*\S[^\u0000-\u001F\u007F-\u009F]*$`,
  description: '1–64 characters after trimming, on one line (no control characters, no newline or tab). Defaults to the username when the profile is created.',
  examples: ['Ada Lovelace'],
};
const bio: Schema = {
  type: 'string',
  maxLength: 500,
  pattern: String.raw`^[^\u0000-\u0008\u000B-\u001F\u007F-\u009F]*$`,
  description: 'At most 500 characters; newlines and tabs are kept, other control characters are refused. The empty string when unset.',
  examples: ['Counting engines.'],
};
const avatarUrlOut: Schema = {
  type: ['string', 'null'],
  format: 'uri-reference',
  description:
    'Where the avatar image is: the `https:` URL the user set, or, after an upload to `PUT /api/profiles/me/avatar`, the absolute URL at which the gateway serves the stored image (`GET /api/profiles/{userId}/avatar`, with a `v` query that changes with every new image); `null` when there is none.',
  examples: [`http://127.0.0.1:8080/api/profiles/${EXAMPLE_USER_ID}/avatar?v=9f86d081884c7d659a2feaa0c55ad015`, null],
};
const settings: Schema = {
  type: 'object',
  required: ['theme', 'notifications'],
  properties: {
    theme: { type: 'string', enum: ['system', 'light', 'dark'], default: 'system' },
    notifications: { type: 'string', enum: ['all', 'mentions', 'none'], default: 'all' },
  },
};

const profileProperties = (withSettings: boolean): Record<string, Schema> => ({
  userId: id('The user this profile belongs to (the `id` of `User`).'),
  username: { ...schemaRef('Username'), description: 'The user\'s username (lower-case).' },
  displayName,
  bio,
  avatarUrl: avatarUrlOut,
  ...(withSettings ? { settings: schemaRef('Settings') } : {}),
  createdAt: time('When the profile was created.'),
  updatedAt: time('When the profile last changed.'),
});

const roomProperties: Record<string, Schema> = {
  id: id('The room id.'),
  kind: { type: 'string', enum: ['channel', 'dm'], description: '`channel`: a named room; `dm`: the direct-message room of two users.' },
  name: { type: 'string', maxLength: 64, description: 'The room name (1–64 characters for a channel; may be empty for a `dm`).' },
  topic: { type: 'string', maxLength: 500, description: 'At most 500 characters; the empty string when unset.' },
  visibility: {
    type: 'string',
    enum: ['public', 'private'],
    description: '`public` rooms are listed by `GET /api/rooms/public` and anyone may join them; `private` rooms (and every `dm`) only take members added by an owner or admin.',
  },
  ownerId: {
    oneOf: [schemaRef('Id'), { type: 'null' }],
    description: 'The user who created the channel (its owner); `null` for a `dm`, which has no owner.',
  },
  memberCount: { type: 'integer', minimum: 0, description: 'How many members the room has.' },
  lastSeq: { type: 'integer', minimum: 0, description: 'The `seq` of the newest message, 0 when the room has none.' },
  createdAt: time('When the room was created.'),
  updatedAt: time('When the room last changed (name, topic, members or a new message).'),
};
const ROOM_REQUIRED = ['id', 'kind', 'name', 'topic', 'visibility', 'ownerId', 'memberCount', 'lastSeq', 'createdAt', 'updatedAt'];


const room = (extra: Record<string, Schema> = {}, extraRequired: string[] = []): Schema => ({
  type: 'object',
  required: [...ROOM_REQUIRED, ...extraRequired],
  properties: { ...roomProperties, ...extra },
});


const schemas: Record<string, Schema> = {
  // Request bodies and their parts: generated from the contract (@chat/contract), the schemas the services check with.
  Username: contract.toJsonSchema(contract.Username),
  Email: contract.toJsonSchema(contract.Email),
  Password: contract.toJsonSchema(contract.Password),
  RegisterRequest: contract.toJsonSchema(contract.RegisterRequest),
  LoginRequest: contract.toJsonSchema(contract.LoginRequest),
  RefreshTokenRequest: contract.toJsonSchema(contract.RefreshTokenRequest),
  ChangePasswordRequest: contract.toJsonSchema(contract.ChangePasswordRequest),
  SettingsPatch: contract.toJsonSchema(contract.SettingsPatch),
  ProfilePatch: contract.toJsonSchema(contract.ProfilePatch),
  CreateRoomRequest: contract.toJsonSchema(contract.CreateRoomRequest),
  UpdateRoomRequest: contract.toJsonSchema(contract.UpdateRoomRequest),
  RoleRequest: contract.toJsonSchema(contract.RoleRequest),
  UserIdRequest: contract.toJsonSchema(contract.UserIdRequest),
  MessageBody: contract.toJsonSchema(contract.MessageBody),
  SendMessageRequest: contract.toJsonSchema(contract.SendMessageRequest),
  EditMessageRequest: contract.toJsonSchema(contract.EditMessageRequest),
  ReadRequest: contract.toJsonSchema(contract.ReadRequest),
  Id: {
    type: 'string',
    format: 'uuid',
    description: 'An opaque identifier (a UUID). Compare it as a string; never parse it.',
    examples: [EXAMPLE_USER_ID],
  },
  Timestamp: {
    type: 'string',
    format: 'date-time',
    description: 'An ISO-8601 time in UTC (`Z`), with milliseconds.',
    examples: [EXAMPLE_TIME],
  },
  ErrorCode: {
    type: 'string',
    enum: [...ERROR_CODES],
    description:
      'A stable, machine-readable reason. New codes may be added; treat an unknown one by its HTTP status. 400: `validation_failed`, `invalid_json`; 401: `unauthenticated`, `invalid_credentials`; 403: `forbidden`; 404: `not_found`; 409: `conflict`; 413: `payload_too_large`; 415: `unsupported_media_type`; 429: `rate_limited`; 500: `internal`; 503: `unavailable`.',
  },
  ErrorDetail: {
    type: 'object',
    required: ['path', 'message'],
    properties: {
      path: { type: 'string', description: 'Where the problem is: `body.<field>` (or `body.<field>[i]`, `query.<name>`, `params.<name>`).', examples: ['body.username'] },
      message: { type: 'string', description: 'What is wrong with it, as a human sentence.', examples: ['must be at least 3 characters'] },
    },
  },
  Error: {
    type: 'object',
    description: 'The one shape of every error, whatever service produced it.',
    required: ['error', 'requestId'],
    properties: {
      error: {
        type: 'object',
        required: ['code', 'message'],
        properties: {
          code: schemaRef('ErrorCode'),
          message: { type: 'string', description: 'A human sentence; do not parse it. 500 errors never reveal internals.' },
          details: {
            type: 'array',
            items: schemaRef('ErrorDetail'),
            description: 'With `validation_failed`: one entry per bad field. Absent otherwise.',
          },
        },
      },
      requestId: { type: 'string', description: 'The request id (the same as the `X-Request-Id` response header); quote it when reporting a problem.' },
    },
  },

  // Auth
  User: {
    type: 'object',
    required: ['id', 'username', 'email', 'createdAt'],
    properties: {
      id: id('The user id.'),
      username: schemaRef('Username'),
      email: schemaRef('Email'),
      createdAt: time('When the user registered.'),
    },
  },
  UserEnvelope: {
    type: 'object',
    required: ['user'],
    properties: { user: schemaRef('User') },
  },
  Tokens: {
    type: 'object',
    required: ['accessToken', 'refreshToken', 'expiresIn'],
    properties: {
      accessToken: {
        type: 'string',
        description: 'A JWT signed with ES256, valid for 15 minutes; send it as `Authorization: Bearer <accessToken>`. Verify it with the keys of `GET /api/auth/jwks`.',
      },
      refreshToken: {
        type: 'string',
        description: 'An opaque token that can be spent once at `POST /api/auth/refresh` for new tokens. Keep it secret; it is never sent anywhere else.',
      },
      expiresIn: { type: 'integer', minimum: 1, description: 'Seconds until the access token expires (900).', examples: [900] },
    },
  },
  AuthSession: {
    description: 'A new session: the user and its first tokens.',
    allOf: [schemaRef('Tokens'), { type: 'object', required: ['user'], properties: { user: schemaRef('User') } }],
  },
  Jwk: {
    type: 'object',
    description: 'A public EC key (RFC 7517) that verifies access tokens whose JWT header has the same `kid`.',
    required: ['kty', 'crv', 'x', 'y', 'kid', 'alg', 'use'],
    properties: {
      kty: { const: 'EC' },
      crv: { const: 'P-256' },
      x: { type: 'string', description: 'base64url' },
      y: { type: 'string', description: 'base64url' },
      kid: { type: 'string', description: 'Key id, matched against the `kid` of a token\'s header.' },
      alg: { const: 'ES256' },
      use: { const: 'sig' },
    },
  },
  JwkSet: {
    type: 'object',
    description: 'RFC 7517 JSON Web Key Set. During a key rotation it holds more than one key.',
    required: ['keys'],
    properties: { keys: { type: 'array', items: schemaRef('Jwk'), minItems: 1 } },
  },

  // Profiles
  Settings: { ...settings, description: 'The user\'s own preferences; only the user sees them.' },
  Profile: {
    type: 'object',
    description: 'The caller\'s own profile.',
    required: ['userId', 'username', 'displayName', 'bio', 'avatarUrl', 'settings', 'createdAt', 'updatedAt'],
    properties: profileProperties(true),
  },
  PublicProfile: {
    type: 'object',
    description: 'What anyone signed in sees of a user: the profile without `settings`.',
    required: ['userId', 'username', 'displayName', 'bio', 'avatarUrl', 'createdAt', 'updatedAt'],
    properties: profileProperties(false),
  },
  ProfileList: {
    type: 'object',
    required: ['profiles'],
    properties: {
      profiles: {
        type: 'array',
        maxItems: 100,
        items: schemaRef('PublicProfile'),
        description: 'One profile for each distinct id asked for that names a user, in the order asked; ids that name no user are left out.',
      },
    },
  },

  // Rooms
  Role: {
    type: 'string',
    enum: ['owner', 'admin', 'member'],
    description: 'A member\'s role in a room. Owners and admins may rename the room, change its topic, and add or remove members.',
  },
  Room: room(),
  MyRoom: {
    ...room(
      {
        unread: { type: 'integer', minimum: 0, description: 'Messages after the caller\'s read marker: `lastSeq` minus the marker\'s `seq`.' },
        role: schemaRef('Role'),
      },
      ['unread', 'role'],
    ),
    description: 'A room of the caller, with the caller\'s unread count and role.',
  },
  Member: {
    type: 'object',
    required: ['userId', 'role', 'displayName', 'avatarUrl', 'online'],
    properties: {
      userId: id('The member\'s user id.'),
      role: schemaRef('Role'),
      displayName: { type: ['string', 'null'], description: 'From the member\'s profile; `null` when the profile could not be read (the room is still answered).' },
      avatarUrl: avatarUrlOut,
      online: { type: 'boolean', description: 'Whether the member has a live Socket.IO connection to any gateway replica.' },
    },
  },
  RoomDetail: {
    ...room({ members: { type: 'array', items: schemaRef('Member') } }, ['members']),
    description: 'A room with its members, aggregated by the gateway from the chat and profile services.',
  },
  RoomList: {
    type: 'object',
    required: ['rooms'],
    properties: { rooms: { type: 'array', items: schemaRef('Room') } },
  },
  MyRoomList: {
    type: 'object',
    required: ['rooms'],
    properties: { rooms: { type: 'array', items: schemaRef('MyRoom') } },
  },
  MemberRole: {
    type: 'object',
    required: ['userId', 'role'],
    properties: { userId: id('The member.'), role: schemaRef('Role') },
  },

  // Messages
  Message: {
    type: 'object',
    required: ['id', 'roomId', 'seq', 'authorId', 'body', 'createdAt'],
    properties: {
      id: id('The message id.'),
      roomId: id('The room the message belongs to.'),
      seq: {
        type: 'integer',
        minimum: 1,
        description: 'The message\'s place in its room: starts at 1, no gaps, no duplicates, whatever the number of concurrent senders.',
      },
      authorId: id('The user who sent it.'),
      body: { type: 'string', maxLength: 4000, description: 'The text (trimmed). The empty string once the message is deleted.' },
      createdAt: time('When it was sent.'),
      editedAt: time('When it was last edited; absent if never edited.'),
      deleted: { type: 'boolean', const: true, description: 'Present (true) once the message is deleted: a tombstone keeps its `seq`, its body is empty.' },
      clientMsgId: { type: 'string', description: 'The sender\'s idempotency key, when the message was sent with one.' },
    },
    examples: [
      { id: '1b2c3d4e-5f60-4718-8293-a4b5c6d7e8f9', roomId: EXAMPLE_ROOM_ID, seq: 42, authorId: EXAMPLE_USER_ID, body: 'Hello, room!', createdAt: EXAMPLE_TIME, clientMsgId: 'c-7f3a9e' },
    ],
  },
  MessagePage: {
    type: 'object',
    required: ['messages', 'hasMore'],
    properties: {
      messages: { type: 'array', maxItems: 100, items: schemaRef('Message'), description: 'Ascending by `seq`, tombstones included.' },
      hasMore: {
        type: 'boolean',
        description:
          'Whether more messages lie beyond this page in the direction of reading: older ones (below the first `seq`) for the newest page or a `before` page; newer ones (above the last `seq`) for an `after` page.',
      },
    },
  },

  // Socket.IO (x-socket-io)
  SocketAckError: {
    ...socketAckError,
    description: 'What a Socket.IO acknowledgement gets when the command is refused: the codes of the REST API.',
  },

  // Health
  Health: {
    type: 'object',
    required: ['status', 'services'],
    properties: {
      status: { type: 'string', enum: ['ok', 'degraded'] },
      services: {
        type: 'object',
        description: 'Each service as the gateway reached it through Dapr: `ok`, or `down` when it failed or did not answer in time.',
        required: [...SERVICES],
        properties: Object.fromEntries(SERVICES.map((name) => [name, serviceStatus])),
        additionalProperties: serviceStatus,
      },
    },
  },
};

const parameters: Record<string, Parameter> = {
  XRequestIdIn: {
    name: 'X-Request-Id',
    in: 'header',
    required: false,
    description:
      'An id for this request, echoed in the response and carried to every service the request touches (their logs show it). 1–128 characters of letters, digits, `_ . : -`; any other value is replaced by a generated one.',
    schema: { type: 'string', pattern: String.raw`^[\w.:\-]{1,128}$` },
  },
  RoomId: { name: 'roomId', in: 'path', required: true, description: 'The room id.', schema: schemaRef('Id') },
  UserId: { name: 'userId', in: 'path', required: true, description: 'The user id.', schema: schemaRef('Id') },
  Seq: {
    name: 'seq',
    in: 'path',
    required: true,
    description: 'The message\'s `seq` in the room.',
    schema: { type: 'integer', minimum: 1 },
  },
};

const headers: Record<string, Header> = {
  XRequestId: {
    description: 'The request id: the one the client sent in `X-Request-Id` (if valid), else a generated UUID.',
    required: true,
    schema: { type: 'string' },
  },
  XTraceId: {
    description: "The W3C trace this request started (32 hex digits): every service's spans and log lines for it carry it. A client's `traceparent` is not continued.",
    required: true,
    schema: { type: 'string', pattern: '^[0-9a-f]{32}$' },
  },
  WWWAuthenticate: {
    description: 'Always `Bearer` on a 401.',
    required: true,
    schema: { type: 'string', const: 'Bearer' },
  },
  RetryAfterRequired: {
    description: 'Whole seconds to wait before trying again.',
    required: true,
    schema: { type: 'integer', minimum: 1 },
  },
  RetryAfter: {
    description: 'Whole seconds to wait before trying again.',
    required: false,
    schema: { type: 'integer', minimum: 1 },
  },
  ETag: {
    description: 'A validator of the image; send it back in `If-None-Match` to get `304` while it is unchanged.',
    required: true,
    schema: { type: 'string' },
  },
  CacheControl: {
    description: 'How long the image may be cached.',
    required: false,
    schema: { type: 'string' },
  },
};

export const components: OpenApiDocument['components'] = {
  schemas,
  parameters,
  headers,
  securitySchemes: {
    bearerAuth: {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description:
        'An access token from `POST /api/auth/register`, `/login` or `/refresh`: a JWT signed with ES256, valid for 15 minutes (`expiresIn`: 900), verifiable with `GET /api/auth/jwks`. A missing, malformed, expired or forged token answers `401 unauthenticated` with `WWW-Authenticate: Bearer`.',
    },
  },
};
