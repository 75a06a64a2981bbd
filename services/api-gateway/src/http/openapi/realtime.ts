import { ackSuccess, OneOf, SocketAcks, SocketBroadcasts, SocketPayloads, Type, type SocketBroadcast, type SocketCommand } from '@chat/contract';
import { schemaRef } from './common.js';
import { jsonSchema } from './components.js';
import type { Schema } from './types.js';

/**
 * The Socket.IO contract (docs/api.md, "Real time"), which OpenAPI paths cannot
 * express: the `x-socket-io` extension of the document. The payloads and
 * acknowledgements are the contract's schemas (@chat/contract); this file
 * says what each event is for.
 */

interface ClientEvent {
  description: string;
  payload: Schema;
  ack: Schema | null;
}

interface ServerEvent {
  description: string;
  payload: Schema;
}

const command = (name: SocketCommand, description: string): ClientEvent => {
  const success = SocketAcks[name];
  return {
    description,
    payload: jsonSchema(SocketPayloads[name]),
    ack: success === null ? null : { oneOf: [jsonSchema(ackSuccess(success)), schemaRef('SocketAckError')] },
  };
};
const broadcast = (name: SocketBroadcast, description: string): ServerEvent => ({ description, payload: jsonSchema(SocketBroadcasts[name]) });

/** What each command is for. */
const COMMANDS: Record<SocketCommand, string> = {
  'message:send':
    'Sends a message, like `POST /api/rooms/{roomId}/messages` with the same rules (members only, body 1–4000 characters after trimming, no control characters but newline and tab). ' +
    '`clientMsgId` is required here: re-sending it (e.g. after a reconnect) acks the first message again, never a second one.',
  'message:edit': 'Edits a message, like `PATCH /api/rooms/{roomId}/messages/{seq}` (author only).',
  'message:delete': 'Deletes a message (leaves a tombstone), like `DELETE /api/rooms/{roomId}/messages/{seq}` (author, owner or admin).',
  sync:
    'Catch-up after a reconnect: the messages with `seq > afterSeq`, ascending, at most `limit` (1–100, default 50); `hasMore` = there are newer ones still (ask again from the last `seq`). ' +
    'Members only.',
  read: "Moves the caller's read marker, like `POST /api/rooms/{roomId}/read` (only forward).",
  typing:
    "Tells the room's other members that the caller is (or stopped) typing. No acknowledgement is needed (one is answered when a callback is given); a `typing: true` expires by itself after 5 seconds, so repeat it while typing goes on.",
  'auth:refresh':
    'An addition to the first version of the contract: swaps a fresh access token (of the same user) into the live connection, so that it is not closed when the old token expires. Send it after each `POST /api/auth/refresh`.',
};

/** What each broadcast says. */
const BROADCASTS: Record<SocketBroadcast, string> = {
  'message:new': "A new message in one of the user's rooms, in `seq` order per room.",
  'message:updated': 'A message was edited.',
  'message:deleted': 'A message became a tombstone.',
  typing: 'A member is (or stopped) typing. Never echoed to the sender; a `typing: true` expires by itself after 5 seconds.',
  presence: 'A user who shares a room with this user came online or went offline.',
  'room:member_joined': 'A user joined or was added to a room.',
  'room:member_left': 'A user left or was removed from a room.',
  'room:updated': 'A room changed (name, topic).',
  read: "A member's read marker moved forward.",
  'profile:updated':
    'An addition to the first version of the contract: a user who shares a room with this user (or the user themselves) changed their public profile: display name, bio or avatar. The profile as it is now; an event whose `updatedAt` is older than one already applied is stale (events may arrive out of order).',
  'auth:expired':
    'An addition to the first version of the contract: the access token of this connection expired, and the server closes the connection right after this event. Reconnect with a fresh token (or send `auth:refresh` before it expires).',
};

const clientToServer = Object.fromEntries(Object.entries(COMMANDS).map(([name, description]) => [name, command(name as SocketCommand, description)]));
const serverToClient = Object.fromEntries(Object.entries(BROADCASTS).map(([name, description]) => [name, broadcast(name as SocketBroadcast, description)]));

export const socketIo = {
  description:
    'Real time over Socket.IO (v4 protocol). Connect to the gateway (the server URL) with path `/socket.io` and `auth: {token: accessToken}`. ' +
    'A missing or bad token: the connection is refused with a `connect_error` whose `message` is `unauthenticated` (its `data` is `{code, message}`); ' +
    'when the token cannot be checked for the moment, the `message` is `unavailable`: retry shortly. ' +
    'On connect the socket receives the events of every room its user belongs to, and of rooms the user joins later, without reconnecting. ' +
    'Every client-to-server event except `typing` takes an acknowledgement callback, which gets `{ok: true, ...}` or `{ok: false, error: {code, message, details?}}` with the codes of the REST API; ' +
    'the server always answers it unless it closes the connection (below). Every event is rate-limited per user, each kind with its own limit (`rate_limited`, with `retryAfterMs`); an event this contract does not name is answered `not_found`. ' +
    'Connections are limited too: sockets per user, connects per user, and handshakes per client address; past a limit the `connect_error` `message` is `rate_limited`. ' +
    'Before that, a client address may open and hold only so many connections (the transport under a socket); past that the handshake request itself is refused (HTTP 403 to long-polling, 400 to a WebSocket upgrade): retry later. ' +
    'The server closes a connection whose client does not read what it is sent (past a bound of unread data), and one that keeps sending events that are refused; the client reconnects. ' +
    'A message sent over REST or over the socket reaches every connected member of its room, whichever gateway replica each is connected to, exactly in `seq` order per room. ' +
    'After a reconnect, catch up with `sync` from the last `seq` held in each room.',
  path: '/socket.io',
  auth: jsonSchema(Type.Object({ token: Type.String({ description: 'The access token (the same JWT as `Authorization: Bearer`).' }) })),
  connectError: {
    message: 'unauthenticated',
    data: jsonSchema(Type.Object({ code: OneOf(['unauthenticated', 'unavailable']), message: Type.String() })),
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
  return properties
    ? `\`{${Object.keys(properties)
        .map((key) => (required.has(key) ? key : `${key}?`))
        .join(', ')}}\``
    : '';
}
