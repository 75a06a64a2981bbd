import { BEARER, commonParameters, empty, errorResponse, jsonContent, ok, paramRef, schemaRef, standardErrors } from './common.js';
import type { Paths, Response } from './types.js';

const ROOMS = ['Rooms'];
const MESSAGES = ['Messages'];

const SEE_RULE =
  'A room the caller may not even see (it does not exist, or it is private or a `dm` and the caller is not a member) answers `404`, never `403`, so ids of private rooms do not leak.';

const notVisible: Response = errorResponse(404, 'The room does not exist, or it is private (or a `dm`) and the caller is not a member.');
const notMemberOfPublic: Response = errorResponse(403, 'The room is public but the caller is not a member (join it first).');

const MESSAGE_ACCESS =
  "Only members read or write a room's messages: a non-member of a public room gets `403`; " + SEE_RULE.charAt(0).toLowerCase() + SEE_RULE.slice(1);

const BODY_RULE =
  '`body`: 1–4000 characters after trimming leading and trailing white space (the stored body is trimmed); control characters other than newline and tab are refused.';

export const roomPaths: Paths = {
  '/api/rooms': {
    get: {
      operationId: 'listMyRooms',
      summary: 'My rooms',
      description:
        "Every room the caller is a member of (channels and `dm`s), most recent activity first (`updatedAt` descending), each with the caller's `role` and `unread` count " +
        "(messages after the caller's read marker, `lastSeq` minus the marker).",
      tags: ROOMS,
      security: BEARER,
      parameters: commonParameters(),
      responses: {
        200: ok("The caller's rooms.", schemaRef('MyRoomList')),
        ...standardErrors({ auth: true, body: false }),
      },
    },
    post: {
      operationId: 'createRoom',
      summary: 'Create a room',
      description:
        'Creates a channel; the caller is its owner and first member. `name`: 1–64 characters after trimming, with the rules of a display name (nothing hidden or direction-changing, something that shows); `topic`: at most 500 characters; `visibility`: `public` or `private`; ' +
        '`memberIds`: up to 100 users to add at once. Unknown fields are refused. Members who are online receive `room:member_joined` over Socket.IO.',
      tags: ROOMS,
      security: BEARER,
      parameters: commonParameters(),
      requestBody: { description: 'The new room.', required: true, content: jsonContent(schemaRef('CreateRoomRequest')) },
      responses: {
        201: ok('The room (`kind` is `channel`, `ownerId` is the caller).', schemaRef('Room')),
        ...standardErrors({
          auth: true,
          body: true,
          validation:
            '`validation_failed`: a field breaks its rule or is unknown, or `memberIds` has more than 100 ids, an id twice, an invalid id or one that names no user (each one in `details`).',
        }),
      },
    },
  },
  '/api/rooms/public': {
    get: {
      operationId: 'listPublicRooms',
      summary: 'Discover public rooms',
      description:
        'Public rooms, whether or not the caller is a member, most recent activity first. `query` keeps the rooms whose name contains it (case-insensitively); `limit` caps the count.',
      tags: ROOMS,
      security: BEARER,
      parameters: commonParameters(
        {
          name: 'query',
          in: 'query',
          required: false,
          description: 'Text the room name must contain, case-insensitively; empty or absent = every public room.',
          schema: { type: 'string', maxLength: 64 },
        },
        {
          name: 'limit',
          in: 'query',
          required: false,
          description: 'How many rooms at most, 1–100.',
          schema: { type: 'integer', minimum: 1, maximum: 100, default: 50 },
        },
      ),
      responses: {
        200: ok('Public rooms.', schemaRef('RoomList')),
        ...standardErrors({ auth: true, body: false, validation: '`validation_failed`: `limit` is not an integer in 1–100, or `query` is too long.' }),
      },
    },
  },
  '/api/rooms/{roomId}': {
    get: {
      operationId: 'getRoom',
      summary: 'A room with its members',
      description:
        'The room and its members, each with role, display name, avatar and whether they are online (aggregated by the gateway from the chat and profile services). ' +
        `Members of the room can read it, and so can anyone signed in when the room is public. ${SEE_RULE}`,
      tags: ROOMS,
      security: BEARER,
      parameters: commonParameters(paramRef('RoomId')),
      responses: {
        200: ok('The room and its members.', schemaRef('RoomDetail')),
        ...standardErrors({ auth: true, body: false, validation: '`validation_failed`: `roomId` is not a valid id.', more: { 404: notVisible } }),
      },
    },
    patch: {
      operationId: 'updateRoom',
      summary: 'Rename a room or change its topic',
      description:
        'Owner or admin only. `name`: 1–64 characters after trimming, with the rules of a display name; `topic`: at most 500 characters (the empty string clears it). Fields left out are unchanged; unknown fields are refused. ' +
        `A \`dm\` has no name or topic to change (\`403\`). Members receive \`room:updated\` over Socket.IO. ${SEE_RULE}`,
      tags: ROOMS,
      security: BEARER,
      parameters: commonParameters(paramRef('RoomId')),
      requestBody: { description: 'What to change.', required: true, content: jsonContent(schemaRef('UpdateRoomRequest')) },
      responses: {
        200: ok('The updated room.', schemaRef('Room')),
        ...standardErrors({
          auth: true,
          body: true,
          validation: '`validation_failed`: a field breaks its rule or is unknown, or `roomId` is not a valid id.',
          more: {
            403: errorResponse(403, 'The caller is not the owner or an admin of this room, or the room is a `dm`.'),
            404: notVisible,
          },
        }),
      },
    },
  },
  '/api/rooms/{roomId}/join': {
    post: {
      operationId: 'joinRoom',
      summary: 'Join a public room',
      description:
        'Makes the caller a member (role `member`) of a public room. Joining a room the caller is already in changes nothing and answers the room again. ' +
        `The caller's sockets start receiving the room's events without reconnecting; members receive \`room:member_joined\`. ${SEE_RULE}`,
      tags: ROOMS,
      security: BEARER,
      parameters: commonParameters(paramRef('RoomId')),
      responses: {
        200: ok('The room, now with the caller as a member.', schemaRef('Room')),
        ...standardErrors({
          auth: true,
          body: true,
          validation: '`validation_failed`: `roomId` is not a valid id.',
          more: {
            404: errorResponse(404, 'The room does not exist, or it is not public (private rooms and `dm`s take members only through an owner or admin).'),
          },
        }),
      },
    },
  },
  '/api/rooms/{roomId}/leave': {
    post: {
      operationId: 'leaveRoom',
      summary: 'Leave a room',
      description:
        "The caller stops being a member; the room's other members receive `room:member_left`. When the owner leaves, the oldest admin (else the oldest member) becomes the owner. " +
        'Leaving a public room the caller is not in changes nothing (also `204`). A `dm` cannot be left (`403`). ' +
        SEE_RULE,
      tags: ROOMS,
      security: BEARER,
      parameters: commonParameters(paramRef('RoomId')),
      responses: {
        204: empty('The caller has left the room.'),
        ...standardErrors({
          auth: true,
          body: true,
          validation: '`validation_failed`: `roomId` is not a valid id.',
          more: { 403: errorResponse(403, 'The room is a `dm`, which always keeps its two users.'), 404: notVisible },
        }),
      },
    },
  },
  '/api/rooms/{roomId}/members': {
    post: {
      operationId: 'addMember',
      summary: 'Add a member',
      description:
        'Owner or admin only: adds the user as a `member`. Adding a user who already is a member changes nothing (also `201`). Works for public and private channels, not for a `dm` (`403`). ' +
        `Members receive \`room:member_joined\`, and the added user's sockets start receiving the room's events. ${SEE_RULE}`,
      tags: ROOMS,
      security: BEARER,
      parameters: commonParameters(paramRef('RoomId')),
      requestBody: { description: 'The user to add.', required: true, content: jsonContent(schemaRef('UserIdRequest')) },
      responses: {
        201: empty('The user is a member; no body.'),
        ...standardErrors({
          auth: true,
          body: true,
          validation: '`validation_failed`: `userId` is missing or not a valid id, an unknown field was sent, or `roomId` is not a valid id.',
          more: {
            403: errorResponse(403, 'The caller is not the owner or an admin of this room, or the room is a `dm`.'),
            404: errorResponse(404, 'The room is not visible to the caller (see above), or no user has this `userId`.'),
          },
        }),
      },
    },
  },
  '/api/rooms/{roomId}/members/{userId}': {
    patch: {
      operationId: 'setMemberRole',
      summary: 'Make a member an admin, or an admin a member',
      description:
        "An addition to the first version of the contract (which has the `admin` role but no way to grant it), served by the gateway: owner only. Sets the member's `role` to `admin` or `member`; " +
        "setting the role a member already has changes nothing. The owner's own role cannot be changed (`403`). " +
        SEE_RULE,
      tags: ROOMS,
      security: BEARER,
      parameters: commonParameters(paramRef('RoomId'), paramRef('UserId')),
      requestBody: { description: 'The new role.', required: true, content: jsonContent(schemaRef('RoleRequest')) },
      responses: {
        200: ok('The member and its role now.', schemaRef('MemberRole')),
        ...standardErrors({
          auth: true,
          body: true,
          validation: '`validation_failed`: `role` is missing or not `admin`/`member`, an unknown field was sent, or `roomId`/`userId` is not a valid id.',
          more: {
            403: errorResponse(403, 'The caller is not the owner of this room, the user is the owner, or the room is a `dm`.'),
            404: errorResponse(404, 'The room is not visible to the caller (see above), or the user is not a member of it.'),
          },
        }),
      },
    },
    delete: {
      operationId: 'removeMember',
      summary: 'Remove a member',
      description:
        'Owner or admin only: removes the user from the room. Nobody can remove the owner, and only the owner can remove an admin (`403`). ' +
        'Any member may remove themselves, which is the same as leaving. Members, and the removed user, receive `room:member_left`. ' +
        SEE_RULE,
      tags: ROOMS,
      security: BEARER,
      parameters: commonParameters(paramRef('RoomId'), paramRef('UserId')),
      responses: {
        204: empty('The user is no longer a member.'),
        ...standardErrors({
          auth: true,
          body: true,
          validation: '`validation_failed`: `roomId` or `userId` is not a valid id.',
          more: {
            403: errorResponse(
              403,
              'The caller is not the owner or an admin of this room, the user is the owner, the user is an admin and the caller is not the owner, or the room is a `dm`.',
            ),
            404: errorResponse(404, 'The room is not visible to the caller (see above), or the user is not a member of it.'),
          },
        }),
      },
    },
  },
  '/api/dms': {
    post: {
      operationId: 'openDirectMessage',
      summary: 'The direct-message room with a user',
      description:
        'The one `dm` room of the caller and this user: created on the first call, the same room on every later call by either of the two (so `200`, never `201`). ' +
        'A `dm` is private, has exactly these two members and no owner.',
      tags: ['Direct messages'],
      security: BEARER,
      parameters: commonParameters(),
      requestBody: { description: 'The other user.', required: true, content: jsonContent(schemaRef('UserIdRequest')) },
      responses: {
        200: ok('The direct-message room (`kind` `dm`).', schemaRef('Room')),
        ...standardErrors({
          auth: true,
          body: true,
          validation: "`validation_failed`: `userId` is missing or not a valid id, is the caller's own id, or an unknown field was sent.",
          more: { 404: errorResponse(404, 'No user has this `userId`.') },
        }),
      },
    },
  },
  '/api/rooms/{roomId}/messages': {
    get: {
      operationId: 'listMessages',
      summary: "A page of a room's history",
      description:
        'Messages ascending by `seq` (tombstones of deleted messages included, so a page can be shorter than its `seq` span only at the ends of the history). ' +
        'Cursors are `seq` values and exclusive:\n\n' +
        '- no cursor: the newest page, the last `limit` messages; `hasMore` = there are older ones.\n' +
        '- `before=S`: the `limit` messages just below `S` (scrolling back); `hasMore` = there are older ones still.\n' +
        '- `after=S`: the `limit` messages just above `S` (catching up); `hasMore` = there are newer ones still.\n\n' +
        'To read backwards pass the first `seq` of the page as `before`; to catch up pass the last `seq` you hold as `after`. ' +
        'A read costs in proportion to the page, not to the room. ' +
        MESSAGE_ACCESS,
      tags: MESSAGES,
      security: BEARER,
      parameters: commonParameters(
        paramRef('RoomId'),
        {
          name: 'before',
          in: 'query',
          required: false,
          description: 'Exclusive upper bound: only messages with `seq < before`. Do not combine with `after`.',
          schema: { type: 'integer', minimum: 1 },
        },
        {
          name: 'after',
          in: 'query',
          required: false,
          description: 'Exclusive lower bound: only messages with `seq > after` (0 = from the first message). Do not combine with `before`.',
          schema: { type: 'integer', minimum: 0 },
        },
        {
          name: 'limit',
          in: 'query',
          required: false,
          description: 'The page size, 1–100.',
          schema: { type: 'integer', minimum: 1, maximum: 100, default: 50 },
        },
      ),
      responses: {
        200: ok('A page of messages.', schemaRef('MessagePage')),
        ...standardErrors({
          auth: true,
          body: false,
          validation:
            '`validation_failed`: `limit` is not an integer in 1–100, `before`/`after` is not a non-negative integer, both are given, or `roomId` is not a valid id.',
          more: { 403: notMemberOfPublic, 404: notVisible },
        }),
      },
    },
    post: {
      operationId: 'sendMessage',
      summary: 'Send a message',
      description:
        `Appends a message; it gets the room's next \`seq\`. ${BODY_RULE}\n\n` +
        'Idempotency: the same `clientMsgId` from the same user in the same room returns the first message again (`201`, same `id` and `seq`), never a second one, ' +
        'so a client may retry a send whose answer it did not receive. Send a fresh `clientMsgId` (a UUID) per message.\n\n' +
        "Every connected member of the room, the sender's other sockets included, receives `message:new`, in `seq` order per room. " +
        MESSAGE_ACCESS,
      tags: MESSAGES,
      security: BEARER,
      parameters: commonParameters(paramRef('RoomId')),
      requestBody: { description: 'The message.', required: true, content: jsonContent(schemaRef('SendMessageRequest')) },
      responses: {
        201: ok('The message (or, for a repeated `clientMsgId`, the first message sent with it).', schemaRef('Message')),
        ...standardErrors({
          auth: true,
          body: true,
          validation: `\`validation_failed\`: ${BODY_RULE.replace('`body`: ', '`body` must be ')} Also an invalid \`clientMsgId\`, an unknown field, or an invalid \`roomId\`.`,
          more: { 403: notMemberOfPublic, 404: notVisible },
        }),
      },
    },
  },
  '/api/rooms/{roomId}/messages/{seq}': {
    patch: {
      operationId: 'editMessage',
      summary: 'Edit a message',
      description:
        `Author only: replaces the body and sets \`editedAt\`. ${BODY_RULE} A deleted message (tombstone) cannot be edited: \`409 conflict\`. ` +
        'Members receive `message:updated`. ' +
        MESSAGE_ACCESS,
      tags: MESSAGES,
      security: BEARER,
      parameters: commonParameters(paramRef('RoomId'), paramRef('Seq')),
      requestBody: { description: 'The new body.', required: true, content: jsonContent(schemaRef('EditMessageRequest')) },
      responses: {
        200: ok('The edited message.', schemaRef('Message')),
        ...standardErrors({
          auth: true,
          body: true,
          validation: '`validation_failed`: the body breaks its rule, an unknown field was sent, or `roomId`/`seq` is not valid.',
          more: {
            403: errorResponse(403, 'The caller is not the author of the message, or is not a member of this public room.'),
            404: errorResponse(404, 'The room is not visible to the caller (see above), or it has no message with this `seq`.'),
            409: errorResponse(409, 'The message is deleted (a stale edit).'),
          },
        }),
      },
    },
    delete: {
      operationId: 'deleteMessage',
      summary: 'Delete a message',
      description:
        'The author, or an owner or admin of the room: the message stays as a tombstone, keeping its `seq`, with `deleted: true` and an empty body, so history has no gaps. ' +
        'Deleting a message that is already deleted changes nothing (`204`). Members receive `message:deleted` `{roomId, seq}`. ' +
        MESSAGE_ACCESS,
      tags: MESSAGES,
      security: BEARER,
      parameters: commonParameters(paramRef('RoomId'), paramRef('Seq')),
      responses: {
        204: empty('The message is a tombstone now.'),
        ...standardErrors({
          auth: true,
          body: true,
          validation: '`validation_failed`: `roomId` or `seq` is not valid.',
          more: {
            403: errorResponse(403, 'The caller is neither the author nor an owner or admin of the room, or is not a member of this public room.'),
            404: errorResponse(404, 'The room is not visible to the caller (see above), or it has no message with this `seq`.'),
          },
        }),
      },
    },
  },
  '/api/rooms/{roomId}/read': {
    post: {
      operationId: 'markRead',
      summary: 'Move my read marker',
      description:
        "Sets the caller's read marker in the room to `seq`, which sets `unread` in `GET /api/rooms` to `lastSeq - seq`. The marker only moves forward: " +
        "a `seq` at or below the current marker changes nothing (still `204`), and a `seq` above the room's `lastSeq` moves it to `lastSeq`. " +
        'Members receive `read` `{roomId, userId, seq}` when it moves. ' +
        MESSAGE_ACCESS,
      tags: MESSAGES,
      security: BEARER,
      parameters: commonParameters(paramRef('RoomId')),
      requestBody: { description: 'The newest `seq` read.', required: true, content: jsonContent(schemaRef('ReadRequest')) },
      responses: {
        204: empty('The marker is at `seq` or beyond.'),
        ...standardErrors({
          auth: true,
          body: true,
          validation: '`validation_failed`: `seq` is missing or not a positive integer, an unknown field was sent, or `roomId` is not valid.',
          more: { 403: notMemberOfPublic, 404: notVisible },
        }),
      },
    },
  },
};
