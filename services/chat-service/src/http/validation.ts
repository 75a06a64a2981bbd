/**
 * The contract's input rules for rooms and messages (docs/api.md), checked at the
 * service edge so that every caller (the REST routes and the Socket.IO
 * handlers of the gateway) gets the same answers.
 */
import {
  arrayOf,
  int,
  MAX_SEQ,
  object,
  oneOf,
  query,
  seq,
  str,
  uuid,
  validate,
  validationFailed,
  type QueryInput,
  type Rule,
} from '@chat/platform';

/** An id (a UUID); compared lower-case. */
export const id = uuid;

/** A JSON integer (no numeric strings, unlike query parameters). */
const jsonInt =
  (opts: { min?: number; max?: number }): Rule<number> =>
  (value, path, details) => {
    if (typeof value !== 'number') {
      details.push({ path, message: 'must be an integer' });
      return undefined;
    }
    return int(opts)(value, path, details);
  };

/** 1–4000 characters after trimming; no control characters but newline and tab. */
export const messageBody = str({ trim: true, min: 1, max: 4000, noControl: true });
const roomName = str({ trim: true, min: 1, max: 64, noControl: true });
const roomTopic = str({ trim: true, max: 500, noControl: true });
const clientMsgId = str({ min: 1, max: 64, noControl: true });

const uniqueIds: Rule<string[]> = (value, path, details) => {
  const ids = arrayOf(id, { max: 100 })(value, path, details);
  if (!ids) return undefined;
  const seen = new Set<string>();
  const before = details.length;
  ids.forEach((one, i) => {
    if (seen.has(one)) details.push({ path: `${path}[${i}]`, message: 'is listed twice' });
    seen.add(one);
  });
  return details.length === before ? ids : undefined;
};

export const createRoomBody = object(
  { name: roomName, topic: roomTopic, visibility: oneOf('public', 'private'), memberIds: uniqueIds },
  ['topic', 'memberIds'],
);

export function updateRoomBody(value: unknown): { name?: string; topic?: string } {
  const body = validate(value ?? {}, object({ name: roomName, topic: roomTopic }, ['name', 'topic']));
  if (body.name === undefined && body.topic === undefined) {
    throw validationFailed([{ path: 'body', message: 'must change name or topic' }]);
  }
  return body;
}

export const userIdBody = object({ userId: id });
export const roleBody = object({ role: oneOf('admin', 'member') });
export const sendBody = object({ body: messageBody, clientMsgId }, ['clientMsgId']);

/** Most sends in one batch (the gateway's coalesced sends to one room). */
export const MAX_SEND_BATCH = 100;
/** One send of a batch: its author (the user the gateway verified) and the sender's trace. */
export const batchedSend = object(
  { authorId: id, body: messageBody, clientMsgId, traceparent: str({ max: 55 }) },
  ['clientMsgId', 'traceparent'],
);
/** The batch: its sends are checked one by one, so that one bad send fails alone. */
export const sendBatchBody = object({ sends: arrayOf((value: unknown) => value, { max: MAX_SEND_BATCH }) });
export const editBody = object({ body: messageBody });
export const readBody = object({ seq: jsonInt({ min: 1, max: MAX_SEQ }) });

export const param = {
  id: (value: unknown, name: string) => validate(value, id, `params.${name}`),
  seq: (value: unknown) => validate(value, seq(), 'params.seq'),
};

export const historyQuery = (input: QueryInput) => {
  const q = query(input, { before: seq(), after: seq({ min: 0 }), limit: int({ min: 1, max: 100 }) });
  if (q.before !== undefined && q.after !== undefined) {
    throw validationFailed([{ path: 'query.before', message: 'cannot be combined with after' }]);
  }
  return { before: q.before, after: q.after, limit: q.limit ?? 50 };
};

export const discoveryQuery = (input: QueryInput) => {
  const q = query(input, { query: str({ max: 64 }), limit: int({ min: 1, max: 100 }) });
  return { query: q.query ?? '', limit: q.limit ?? 50 };
};
