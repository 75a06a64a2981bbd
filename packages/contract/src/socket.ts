/**
 * The payloads of the Socket.IO commands a client sends (docs/realtime.md).
 * The gateway checks each with its schema before the command runs; the
 * message text itself is the chat-service's to check (MessageBody), so that
 * REST and socket sends answer alike.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Text } from './kinds.js';
import { ClientMsgId, Id, PageLimit, Seq, SeqOrZero } from './requests.js';

const closed = <P extends Record<string, TSchema>>(properties: P) => Type.Object(properties, { additionalProperties: false });
const AnyText = Text();

export const SocketPayloads = {
  'message:send': closed({ roomId: Id, body: AnyText, clientMsgId: ClientMsgId }),
  'message:edit': closed({ roomId: Id, seq: Seq, body: AnyText }),
  'message:delete': closed({ roomId: Id, seq: Seq }),
  sync: closed({ roomId: Id, afterSeq: SeqOrZero, limit: Type.Optional(PageLimit) }),
  read: closed({ roomId: Id, seq: SeqOrZero }),
  typing: closed({ roomId: Text({ minLength: 1, maxLength: 200 }), typing: Type.Boolean() }),
  'auth:refresh': closed({ token: Text({ minLength: 1, maxLength: 8192 }) }),
} as const;

export type SocketCommand = keyof typeof SocketPayloads;
export type SocketPayload<E extends SocketCommand> = Static<(typeof SocketPayloads)[E]>;
