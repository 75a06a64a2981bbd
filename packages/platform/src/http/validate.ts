import { validationFailed, type ErrorDetail } from '../errors.js';

/**
 * A tiny validator for request bodies and event payloads. A rule checks one
 * value and either returns it (typed) or records `{path, message}` details;
 * `validate` throws one `validation_failed` listing every bad field.
 */
export type Rule<T> = (value: unknown, path: string, details: ErrorDetail[]) => T | undefined;

export const codePoints = (value: string): number => [...value].length;

/** Control characters other than newline and tab. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/;

export interface StringRule {
  min?: number;
  max?: number;
  pattern?: RegExp;
  patternMessage?: string;
  trim?: boolean;
  /** Refuse control characters other than newline and tab. */
  noControl?: boolean;
  lowercase?: boolean;
}

export const str =
  (opts: StringRule = {}): Rule<string> =>
  (value, path, details) => {
    if (typeof value !== 'string') {
      details.push({ path, message: 'must be a string' });
      return undefined;
    }
    let out = opts.trim ? value.trim() : value;
    if (opts.lowercase) out = out.toLowerCase();
    const length = codePoints(out);
    if (opts.min !== undefined && length < opts.min) {
      details.push({ path, message: opts.min === 1 ? 'must not be empty' : `must be at least ${opts.min} characters` });
    } else if (opts.max !== undefined && length > opts.max) {
      details.push({ path, message: `must be at most ${opts.max} characters` });
    } else if (opts.noControl && CONTROL.test(out)) {
      details.push({ path, message: 'must not contain control characters' });
    } else if (opts.pattern && !opts.pattern.test(out)) {
      details.push({ path, message: opts.patternMessage ?? 'has an invalid format' });
    } else {
      return out;
    }
    return undefined;
  };

export const int =
  (opts: { min?: number; max?: number } = {}): Rule<number> =>
  (value, path, details) => {
    const n = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
    if (typeof n !== 'number' || !Number.isSafeInteger(n)) {
      details.push({ path, message: 'must be an integer' });
    } else if (opts.min !== undefined && n < opts.min) {
      details.push({ path, message: `must be at least ${opts.min}` });
    } else if (opts.max !== undefined && n > opts.max) {
      details.push({ path, message: `must be at most ${opts.max}` });
    } else {
      return n;
    }
    return undefined;
  };

export const bool: Rule<boolean> = (value, path, details) => {
  if (typeof value === 'boolean') return value;
  details.push({ path, message: 'must be true or false' });
  return undefined;
};

export const oneOf =
  <T extends string>(...values: T[]): Rule<T> =>
  (value, path, details) => {
    if (typeof value === 'string' && (values as string[]).includes(value)) return value as T;
    details.push({ path, message: `must be one of ${values.join(', ')}` });
    return undefined;
  };

/** `null` is accepted as a value of its own. */
export const nullable =
  <T>(rule: Rule<T>): Rule<T | null> =>
  (value, path, details) =>
    value === null ? null : rule(value, path, details);

export const arrayOf =
  <T>(rule: Rule<T>, opts: { max?: number } = {}): Rule<T[]> =>
  (value, path, details) => {
    if (!Array.isArray(value)) {
      details.push({ path, message: 'must be an array' });
      return undefined;
    }
    if (opts.max !== undefined && value.length > opts.max) {
      details.push({ path, message: `must have at most ${opts.max} items` });
      return undefined;
    }
    const before = details.length;
    const out = value.map((item, i) => rule(item, `${path}[${i}]`, details));
    return details.length === before ? (out as T[]) : undefined;
  };

type Shape = Record<string, Rule<unknown>>;
type Out<S extends Shape, Opt extends keyof S> = { [K in Exclude<keyof S, Opt>]: S[K] extends Rule<infer T> ? T : never } & {
  [K in Opt]?: S[K] extends Rule<infer T> ? T : never;
};

/** An object with exactly these keys; unknown keys are refused. */
export const object =
  <S extends Shape, Opt extends keyof S = never>(shape: S, optional: readonly Opt[] = []): Rule<Out<S, Opt>> =>
  (value, path, details) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      details.push({ path, message: 'must be an object' });
      return undefined;
    }
    const before = details.length;
    const input = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(input)) {
      // Own keys only: `in` would take `__proto__`, `constructor` or `toString` for known fields.
      if (!Object.hasOwn(shape, key)) details.push({ path: `${path}.${key}`, message: 'is not a known field' });
    }
    for (const [key, rule] of Object.entries(shape)) {
      if (!Object.hasOwn(input, key) || input[key] === undefined) {
        if (!(optional as readonly string[]).includes(key)) details.push({ path: `${path}.${key}`, message: 'is required' });
        continue;
      }
      out[key] = rule(input[key], `${path}.${key}`, details);
    }
    return details.length === before ? (out as Out<S, Opt>) : undefined;
  };

/** Runs `rule` on `value` and throws `validation_failed` with every problem. */
export function validate<T>(value: unknown, rule: Rule<T>, path = 'body'): T {
  const details: ErrorDetail[] = [];
  const out = rule(value, path, details);
  if (details.length > 0 || out === undefined) {
    throw validationFailed(details.length > 0 ? details : [{ path, message: 'is required' }]);
  }
  return out;
}

/** Ids of users, rooms and the like: UUIDs, compared lower-case. */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An id (a UUID), returned lower-case. */
export const uuid: Rule<string> = (value, path, details) =>
  str({ pattern: UUID_PATTERN, patternMessage: 'must be a valid id (a UUID)' })(value, path, details)?.toLowerCase();

/**
 * The largest message sequence number the platform accepts anywhere (a
 * seq, a history cursor, a read marker). Every number a client sends has a
 * range; this one keeps cursor arithmetic exact and far from 2^53.
 */
export const MAX_SEQ = 2_147_483_647;

/** A message sequence number, 1..MAX_SEQ (a cursor may allow 0 with `min`). */
export const seq = (opts: { min?: number } = {}): Rule<number> => int({ min: opts.min ?? 1, max: MAX_SEQ });

export type QueryInput = Record<string, string | string[] | undefined>;
export type QueryOut<S extends Record<string, Rule<unknown>>> = { [K in keyof S]?: S[K] extends Rule<infer T> ? T : never };

/**
 * Reads the query parameters named in `shape` with their rules, all problems
 * at once; each may be given once. Parameters not in `shape` are ignored
 * (and never passed on by a caller that rebuilds its query from the result).
 */
export function query<S extends Record<string, Rule<unknown>>>(input: QueryInput, shape: S): QueryOut<S> {
  const details: ErrorDetail[] = [];
  const out: Record<string, unknown> = {};
  for (const [name, rule] of Object.entries(shape)) {
    const raw = Object.hasOwn(input, name) ? input[name] : undefined;
    if (raw === undefined || raw === '') continue;
    if (Array.isArray(raw)) {
      details.push({ path: `query.${name}`, message: 'must be given once' });
      continue;
    }
    out[name] = rule(raw, `query.${name}`, details);
  }
  if (details.length > 0) throw validationFailed(details);
  return out as QueryOut<S>;
}
