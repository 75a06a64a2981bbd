/**
 * What clients send: every public request body, path parameter and query
 * parameter (docs/api.md). The services and the gateway check with these
 * schemas (`check`), the TypeScript types are their `Static`s, and the
 * OpenAPI document shows them. Unknown fields are refused everywhere;
 * lengths are code points.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { OneOf, Text, type TextOptions } from './kinds.js';

/** The largest message sequence number the platform accepts anywhere (a seq, a history cursor, a read marker): far from 2^53. */
export const MAX_SEQ = 2_147_483_647;

export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const closed = <P extends Record<string, TSchema>>(properties: P, options: Record<string, unknown> = {}) =>
  Type.Object(properties, { additionalProperties: false, ...options });

/** Ids of users, rooms and messages: UUIDs, compared (and returned) lower-case. */
export const Id = Text({
  pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
  patternMessage: 'must be a valid id (a UUID)',
  lowercase: true,
  description: 'An opaque id (a UUID). Compare ids, never parse them.',
  examples: ['3f0b9c1e-6a2d-4c8e-9f57-1d2e3a4b5c6d'],
});

/** A message sequence number, 1..MAX_SEQ. */
export const Seq = Type.Integer({ minimum: 1, maximum: MAX_SEQ });
/** A cursor that may also be 0 (before the first message). */
export const SeqOrZero = Type.Integer({ minimum: 0, maximum: MAX_SEQ });
/** A page size: 1–100, 50 when left out. */
export const PageLimit = Type.Integer({ minimum: 1, maximum: 100, default: 50 });

// Auth

/** A pragmatic address check: something@domain.tld, no spaces; the mailbox proves the rest. */
const EMAIL = String.raw`^[^\s@"<>()[\]\\,;:]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$`;

export const Username = Text({
  trim: true,
  lowercase: true,
  minLength: 3,
  maxLength: 32,
  // Checked after lower-casing; the document shows what a client may send.
  pattern: '^[A-Za-z0-9_.-]+$',
  patternMessage: 'may contain only a-z, 0-9, _, . and -',
  description: '3–32 characters of `a-z 0-9 _ . -`; upper-case letters are accepted and stored lower-case. Unique case-insensitively.',
  examples: ['ada_l'],
});
export const Email = Text({
  trim: true,
  lowercase: true,
  minLength: 3,
  maxLength: 254,
  pattern: EMAIL,
  patternMessage: 'must be a valid email address',
  description: 'A valid e-mail address, unique case-insensitively.',
  examples: ['ada@example.org'],
});
export const Password = Text({
  minLength: 8,
  maxLength: 128,
  description: '8–128 characters, any characters. Must not equal the username or the e-mail address.',
  examples: ['correct horse battery staple'],
});
/** A password being checked: any length a stored password may have. */
const GivenPassword = Text({ minLength: 1, maxLength: 128 });

export const PROFILE_LIMITS = { displayNameMax: 64, bioMax: 500, avatarUrlMax: 2048, batchIdsMax: 100 } as const;

/** A display name's rules, at registration as in a profile. */
const DISPLAY_NAME_RULES = {
  trim: true,
  minLength: 1,
  maxLength: PROFILE_LIMITS.displayNameMax,
  noControl: 'keepNewlineTab',
  pattern: '^[^\\n\\t]*$',
  patternMessage: 'must be one line',
  visible: true,
} as const satisfies TextOptions;

export const RegisterRequest = closed({
  username: Username,
  email: Email,
  password: Password,
  displayName: Type.Optional(
    Text({
      ...DISPLAY_NAME_RULES,
      description: "The profile's display name, with the rules of a profile's `displayName`; defaults to the username.",
    }),
  ),
});
export const LoginRequest = closed({
  login: Text({ trim: true, minLength: 1, maxLength: 254, description: 'The username or the e-mail address, in any case.', examples: ['ada_l'] }),
  password: GivenPassword,
});
export const RefreshTokenRequest = closed({ refreshToken: Text({ minLength: 1, maxLength: 512 }) });
export const ChangePasswordRequest = closed({ currentPassword: GivenPassword, newPassword: Password });

// Profiles

export const THEMES = ['system', 'light', 'dark'] as const;
export const NOTIFICATIONS = ['all', 'mentions', 'none'] as const;

export const DisplayName = Text({
  ...DISPLAY_NAME_RULES,
  description:
    '1–64 characters after trimming, on one line (no control characters, no newline or tab), with at least one that shows. No characters that hide or turn text around: bidi embeddings, overrides and isolates, zero-width spaces and joiners other than ZWJ and ZWNJ, soft hyphens, Hangul fillers, line separators, tag characters (but in a flag). Defaults to the username when the profile is created.',
  examples: ['Ada Lovelace'],
});
export const Bio = Text({
  maxLength: PROFILE_LIMITS.bioMax,
  noControl: 'keepNewlineTab',
  description: 'At most 500 characters; newlines and tabs are kept, other control characters are refused. The empty string clears it.',
  examples: ['Counting engines.'],
});
export const SettingsPatch = closed(
  {
    theme: Type.Optional(OneOf(THEMES, { default: 'system' })),
    notifications: Type.Optional(OneOf(NOTIFICATIONS, { default: 'all' })),
  },
  { description: 'The settings to change; the ones left out keep their value.' },
);
export const ProfilePatch = closed(
  {
    displayName: Type.Optional(DisplayName),
    bio: Type.Optional(Bio),
    avatarUrl: Type.Optional(
      Type.Union([
        Text({
          maxLength: PROFILE_LIMITS.avatarUrlMax,
          httpsUrl: true,
          description:
            'An `https:` URL of an image, or `null` to remove the avatar. The web client shows only uploaded avatars (`PUT /api/profiles/me/avatar`): a picture on another server would tell that server who reads its owner.',
          examples: ['https://images.example.org/ada.png'],
        }),
        Type.Null(),
      ]),
    ),
    settings: Type.Optional(SettingsPatch),
  },
  { description: 'Any of these fields; the ones left out are unchanged. Unknown fields: `400 validation_failed`.' },
);

// Rooms

const RoomName = Text({
  trim: true,
  minLength: 1,
  maxLength: 64,
  noControl: 'all',
  visible: true,
  description:
    '1–64 characters after trimming, with at least one that shows; no control characters, and none that hide or turn text around (as a display name).',
  examples: ['general'],
});
const RoomTopic = Text({
  trim: true,
  maxLength: 500,
  noControl: 'all',
  description: 'At most 500 characters after trimming; no control characters. The empty string clears it.',
});
export const Visibility = OneOf(['public', 'private'], {
  description:
    '`public` rooms are listed by `GET /api/rooms/public` and anyone may join them; `private` rooms (and every `dm`) only take members added by an owner or admin.',
});

export const CreateRoomRequest = closed({
  name: RoomName,
  topic: Type.Optional(RoomTopic),
  visibility: Visibility,
  memberIds: Type.Optional(
    Type.Array(Id, {
      maxItems: 100,
      uniqueItems: true,
      description:
        'Users to add as members at once (at most 100, each once). The caller is always a member (the owner) and need not be listed. An id that names no user is refused (`400`, `body.memberIds[i]`).',
    }),
  ),
});
export const UpdateRoomRequest = closed(
  { name: Type.Optional(RoomName), topic: Type.Optional(RoomTopic) },
  {
    minProperties: 1,
    'x-minPropertiesMessage': 'must change name or topic',
    description: 'At least one of `name` and `topic`; the one left out is unchanged.',
  },
);
export const RoleRequest = closed({ role: OneOf(['admin', 'member'], { description: 'The new role; nobody can be made owner this way.' }) });
export const UserIdRequest = closed({ userId: Id });

// Messages

export const MessageBody = Text({
  trim: true,
  minLength: 1,
  maxLength: 4000,
  noControl: 'keepNewlineTab',
  description: '1–4000 characters after trimming (stored trimmed); no control characters but newline and tab.',
  examples: ['Hello, room!'],
});
export const ClientMsgId = Text({
  minLength: 1,
  maxLength: 64,
  noControl: 'all',
  description:
    'An idempotency key chosen by the client (a UUID is a good choice). Sending again with the same key, in the same room, by the same user, returns the first message instead of a second one.',
  examples: ['c-7f3a9e'],
});
export const SendMessageRequest = closed({ body: MessageBody, clientMsgId: Type.Optional(ClientMsgId) });
export const EditMessageRequest = closed({ body: MessageBody });
export const ReadRequest = closed({
  seq: Type.Integer({
    minimum: 1,
    maximum: MAX_SEQ,
    description: 'The `seq` of the newest message the caller has read. The marker only moves forward: a lower `seq` than the current marker changes nothing.',
  }),
});

// Path and query parameters

/** The rule of every path parameter of the public routes. */
export const PathParams = { roomId: Id, userId: Id, seq: Seq } satisfies Record<string, TSchema>;

export const HistoryQuery = { before: Seq, after: SeqOrZero, limit: PageLimit } satisfies Record<string, TSchema>;
const ID_IN_LIST = String.raw`\s*[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\s*`;
/** `ids` of the profiles' batch read: 1 to 100 user ids, comma-separated. */
export const ProfileIdsQuery = {
  ids: Text({
    pattern: `^${ID_IN_LIST}(?:,${ID_IN_LIST}){0,99}$`,
    patternMessage: 'must be 1 to 100 user ids (UUIDs), comma-separated',
    description: '1 to 100 user ids, comma-separated.',
  }),
} satisfies Record<string, TSchema>;
export const DiscoveryQuery = { query: Text({ maxLength: 64 }), limit: PageLimit } satisfies Record<string, TSchema>;

export type RegisterRequest = Static<typeof RegisterRequest>;
export type LoginRequest = Static<typeof LoginRequest>;
export type ChangePasswordRequest = Static<typeof ChangePasswordRequest>;
export type ProfilePatch = Static<typeof ProfilePatch>;
export type CreateRoomRequest = Static<typeof CreateRoomRequest>;
export type UpdateRoomRequest = Static<typeof UpdateRoomRequest>;
export type SendMessageRequest = Static<typeof SendMessageRequest>;
