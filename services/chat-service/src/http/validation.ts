/**
 * The contract's input schemas for rooms and messages (@chat/contract), checked at the
 * service edge so that every caller (the REST routes and the Socket.IO
 * handlers of the gateway) gets the same answers.
 */
import {
  ClientMsgId,
  CreateRoomRequest,
  DiscoveryQuery,
  EditMessageRequest,
  HistoryQuery,
  Id,
  MessageBody,
  ReadRequest,
  RoleRequest,
  SendMessageRequest,
  Seq,
  Text,
  Type,
  UpdateRoomRequest,
  UserIdRequest,
} from '@chat/contract';
import { query, validate, validateParam, validationFailed, type QueryInput } from '@chat/platform';

export const createRoomBody = CreateRoomRequest;
export const updateRoomBody = (value: unknown) => validate(value ?? {}, UpdateRoomRequest);
export const userIdBody = UserIdRequest;
export const roleBody = RoleRequest;
export const sendBody = SendMessageRequest;

/** Most sends in one batch (the gateway's coalesced sends to one room). */
export const MAX_SEND_BATCH = 100;
/** One send of a batch: its author (the user the gateway verified) and the sender's trace. Internal, not public. */
export const batchedSend = Type.Object(
  { authorId: Id, body: MessageBody, clientMsgId: Type.Optional(ClientMsgId), traceparent: Type.Optional(Text({ maxLength: 55 })) },
  { additionalProperties: false },
);
/** The batch: its sends are checked one by one, so that one bad send fails alone. */
export const sendBatchBody = Type.Object({ sends: Type.Array(Type.Unknown(), { maxItems: MAX_SEND_BATCH }) }, { additionalProperties: false });
export const editBody = EditMessageRequest;
export const readBody = ReadRequest;

export const param = {
  id: (value: unknown, name: string) => validateParam(value, Id, name),
  seq: (value: unknown) => validateParam(value, Seq, 'seq'),
};

export const historyQuery = (input: QueryInput) => {
  const q = query(input, HistoryQuery);
  if (q.before !== undefined && q.after !== undefined) {
    throw validationFailed([{ path: 'query.before', message: 'cannot be combined with after' }]);
  }
  return { before: q.before, after: q.after, limit: q.limit ?? 50 };
};

export const discoveryQuery = (input: QueryInput) => {
  const q = query(input, DiscoveryQuery);
  return { query: q.query ?? '', limit: q.limit ?? 50 };
};
