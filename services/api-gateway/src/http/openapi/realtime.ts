import { schemaRef } from './common.js';
import type { Schema } from './types.js';

/**
 * The Socket.IO contract (docs/api.md, "Real time"), which OpenAPI paths cannot
 * express: the `x-socket-io` extension of the document. Payloads are JSON
 * Schemas that reference the document's components.
 */

const roomId: Schema = schemaRef('Id');
const seq: Schema = { type: 'integer', minimum: 1 };

const object = (properties: Record<string, Schema>, required: string[] = Object.keys(properties)): Schema => ({
  type: 'object',
  required,
  properties,
});

/** The refused acknowledgement, `components.schemas.SocketAckError`. */
export const socketAckError: Schema = object({
  ok: { const: false },
  error: object(
    {
      code: schemaRef('ErrorCode'),
      message: { type: 'string' },
      details: { type: 'array', items: schemaRef('ErrorDetail'), description: 'With `validation_failed`: one entry per bad field (at most 20).' },
      retryAfterMs: { type: 'integer', minimum: 0, description: 'With `rate_limited`: how long to wait before the next command of this kind.' },
    },
    ['code', 'message'],
  ),
});

const ack = (success: Record<string, Schema>): Schema => ({
  oneOf: [object({ ok: { const: true }, ...success }), schemaRef('SocketAckError')],
});

interface ClientEvent {
  description: string;
  payload: Schema;
  ack: Schema | null;
}

interface ServerEvent {
  description: string;
  payload: Schema;
}

const clientToServer: Record<string, ClientEvent> = {
  'message:send': {
    description:
      'Sends a message, like `POST /api/rooms/{roomId}/messages` with the same rules (members only, body 1–4000 characters after trimming, no control characters but newline and tab). ' +
      '`clientMsgId` is required here: re-sending it (e.g. after a reconnect) acks the first message again, never a second one.',
    payload: object({ roomId, body: schemaRef('MessageBody'), clientMsgId: { type: 'string', minLength: 1, maxLength: 64 } }),
    ack: ack({ message: schemaRef('Message') }),
  },
  'message:edit': {
    description: 'Edits a message, like `PATCH /api/rooms/{roomId}/messages/{seq}` (author only).',
    payload: object({ roomId, seq, body: schemaRef('MessageBody') }),
    ack: ack({ message: schemaRef('Message') }),
  },
  'message:delete': {
    description: 'Deletes a message (leaves a tombstone), like `DELETE /api/rooms/{roomId}/messages/{seq}` (author, owner or admin).',
    payload: object({ roomId, seq }),
    ack: ack({}),
  },
  sync: {
    description:
      'Catch-up after a reconnect: the messages with `seq > afterSeq`, ascending, at most `limit` (1–100, default 50); `hasMore` = there are newer ones still (ask again from the last `seq`). ' +
      'Members only.',
    payload: object(
      { roomId, afterSeq: { type: 'integer', minimum: 0 }, limit: { type: 'integer', minimum: 1, maximum: 100, default: 50 } },
      ['roomId', 'afterSeq'],
    ),
    ack: ack({ messages: { type: 'array', items: schemaRef('Message') }, hasMore: { type: 'boolean' } }),
  },
  read: {
    description: 'Moves the caller\'s read marker, like `POST /api/rooms/{roomId}/read` (only forward).',
    payload: object({ roomId, seq }),
    ack: ack({}),
  },
  typing: {
    description:
      'Tells the room\'s other members that the caller is (or stopped) typing. No acknowledgement is needed (one is answered when a callback is given); a `typing: true` expires by itself after 5 seconds, so repeat it while typing goes on.',
    payload: object({ roomId, typing: { type: 'boolean' } }),
    ack: null,
  },
  'auth:refresh': {
    description:
      'An addition to the first version of the contract: swaps a fresh access token (of the same user) into the live connection, so that it is not closed when the old token expires. Send it after each `POST /api/auth/refresh`.',
    payload: object({ token: { type: 'string', minLength: 1, description: 'The new access token.' } }),
    ack: ack({ expiresAt: { ...schemaRef('Timestamp'), description: 'When the new token expires.' } }),
  },
};

const serverToClient: Record<string, ServerEvent> = {
  'message:new': { description: 'A new message in one of the user\'s rooms, in `seq` order per room.', payload: schemaRef('Message') },
  'message:updated': { description: 'A message was edited.', payload: schemaRef('Message') },
  'message:deleted': { description: 'A message became a tombstone.', payload: object({ roomId, seq }) },
  typing: {
    description: 'A member is (or stopped) typing. Never echoed to the sender; a `typing: true` expires by itself after 5 seconds.',
    payload: object({ roomId, userId: schemaRef('Id'), typing: { type: 'boolean' } }),
  },
  presence: {
    description: 'A user who shares a room with this user came online or went offline.',
    payload: object({ userId: schemaRef('Id'), status: { type: 'string', enum: ['online', 'offline'] } }),
  },
  'room:member_joined': { description: 'A user joined or was added to a room.', payload: object({ roomId, userId: schemaRef('Id') }) },
  'room:member_left': { description: 'A user left or was removed from a room.', payload: object({ roomId, userId: schemaRef('Id') }) },
  'room:updated': { description: 'A room changed (name, topic).', payload: schemaRef('Room') },
  read: { description: 'A member\'s read marker moved forward.', payload: object({ roomId, userId: schemaRef('Id'), seq }) },
  'auth:expired': {
    description:
      'An addition to the first version of the contract: the access token of this connection expired, and the server closes the connection right after this event. Reconnect with a fresh token (or send `auth:refresh` before it expires).',
    payload: object({ code: { const: 'unauthenticated' }, message: { type: 'string' } }),
  },
};

export const socketIo = {
  description:
    'Real time over Socket.IO (v4 protocol). Connect to the gateway (the server URL) with path `/socket.io` and `auth: {token: accessToken}`. ' +
    'A missing or bad token: the connection is refused with a `connect_error` whose `message` is `unauthenticated` (its `data` is `{code, message}`); ' +
    'when the token cannot be checked for the moment, the `message` is `unavailable`: retry shortly. ' +
    'On connect the socket receives the events of every room its user belongs to, and of rooms the user joins later, without reconnecting. ' +
    'Every client-to-server event except `typing` takes an acknowledgement callback, which gets `{ok: true, ...}` or `{ok: false, error: {code, message, details?}}` with the codes of the REST API; ' +
    'the server always answers it. Every event is rate-limited per user, each kind with its own limit (`rate_limited`, with `retryAfterMs`); an event this contract does not name is answered `not_found`. ' +
    'Connections are limited too: sockets per user, connects per user, and handshakes per client address; past a limit the `connect_error` `message` is `rate_limited`. ' +
    'A message sent over REST or over the socket reaches every connected member of its room, whichever gateway replica each is connected to, exactly in `seq` order per room. ' +
    'After a reconnect, catch up with `sync` from the last `seq` held in each room.',
  path: '/socket.io',
  auth: object({ token: { type: 'string', description: 'The access token (the same JWT as `Authorization: Bearer`).' } }),
  connectError: {
    message: 'unauthenticated',
    data: object({ code: { type: 'string', enum: ['unauthenticated', 'unavailable'] }, message: { type: 'string' } }),
    description: '`message` is `unauthenticated` for a missing or bad token, `unavailable` when the token cannot be checked for the moment.',
  },
  clientToServer,
  serverToClient,
};

/** Markdown for `info.description`: the same contract, readable in any OpenAPI viewer. */
export function realtimeMarkdown(): string {
  const client = Object.entries(clientToServer)
    .map(([name, event]) => `- \`${name}\` ${summarize(event.payload)}${event.ack ? '' : ' (no ack)'}: ${event.description}`)
    .join('\n');
  const server = Object.entries(serverToClient)
    .map(([name, event]) => `- \`${name}\` ${summarize(event.payload)}: ${event.description}`)
    .join('\n');
  return `## Real time (Socket.IO)\n\n${socketIo.description}\n\nClient to server:\n\n${client}\n\nServer to client:\n\n${server}\n\nThe payload schemas are in the \`x-socket-io\` extension of this document.`;
}

function summarize(schema: Schema): string {
  const ref = schema['$ref'];
  if (typeof ref === 'string') return `\`${ref.split('/').pop()}\``;
  const properties = schema['properties'] as Record<string, unknown> | undefined;
  const required = new Set((schema['required'] as string[] | undefined) ?? []);
  return properties ? `\`{${Object.keys(properties).map((key) => (required.has(key) ? key : `${key}?`)).join(', ')}}\`` : '';
}
