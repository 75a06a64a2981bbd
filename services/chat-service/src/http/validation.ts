/**
 * The contract's input rules for rooms and messages (API.md), checked at the
 * service edge so that every caller (the REST routes and the Socket.IO
 * handlers of the gateway) gets the same answers.
 */
import {
  arrayOf,
  int,
  object,
  oneOf,
  str,
  validate,
  validationFailed,
  type ErrorDetail,
  type Rule,
} from '@chat/platform';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An id (a UUID); compared lower-case. */
export const id: Rule<string> = (value, path, details) => {
  const out = str({ pattern: UUID, patternMessage: 'must be a valid id (a UUID)' })(value, path, details);
  return out?.toLowerCase();
};

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
export const editBody = object({ body: messageBody });
export const readBody = object({ seq: jsonInt({ min: 1 }) });

export const param = {
  id: (value: unknown, name: string) => validate(value, id, `params.${name}`),
  seq: (value: unknown) => validate(value, int({ min: 1 }), 'params.seq'),
};

/** Reads optional query parameters with their rules, all problems at once. */
export function query<S extends Record<string, Rule<unknown>>>(
  input: Record<string, string | string[] | undefined>,
  shape: S,
): { [K in keyof S]?: S[K] extends Rule<infer T> ? T : never } {
  const details: ErrorDetail[] = [];
  const out: Record<string, unknown> = {};
  for (const [name, rule] of Object.entries(shape)) {
    const raw = input[name];
    if (raw === undefined || raw === '') continue;
    if (Array.isArray(raw)) {
      details.push({ path: `query.${name}`, message: 'must be given once' });
      continue;
    }
    out[name] = rule(raw, `query.${name}`, details);
  }
  if (details.length > 0) throw validationFailed(details);
  return out as { [K in keyof S]?: S[K] extends Rule<infer T> ? T : never };
}

export const historyQuery = (input: Record<string, string | string[] | undefined>) => {
  const q = query(input, { before: int({ min: 1 }), after: int({ min: 0 }), limit: int({ min: 1, max: 100 }) });
  if (q.before !== undefined && q.after !== undefined) {
    throw validationFailed([{ path: 'query.before', message: 'cannot be combined with after' }]);
  }
  return { before: q.before, after: q.after, limit: q.limit ?? 50 };
};

export const discoveryQuery = (input: Record<string, string | string[] | undefined>) => {
  const q = query(input, { query: str({ max: 64 }), limit: int({ min: 1, max: 100 }) });
  return { query: q.query ?? '', limit: q.limit ?? 50 };
};
