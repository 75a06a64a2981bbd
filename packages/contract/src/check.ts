/**
 * Checking a value against a contract schema: the value is first normalised
 * (Text trimmed or lower-cased where its schema says so; integers read from
 * the text of a path or query parameter when asked), then checked by
 * TypeBox's compiled check. Only a value that fails is walked once more to
 * say why, in the contract's words: every problem, with its field path,
 * unknown fields first at each level, then the known ones in schema order.
 */
import { Kind, type Static, type TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { isOneOf, isText, oneOfProblem, textProblem } from './kinds.js';

export interface Problem {
  path: string;
  message: string;
}

export type CheckResult<T> = { ok: true; value: T } | { ok: false; problems: Problem[] };

export interface CheckOptions {
  /** Where the value sits, for the problems' paths (`body`, `payload`, `params.seq`). */
  path?: string;
  /** The value is the text of a path or query parameter: an integer may be written as digits. */
  fromText?: boolean;
}

type Json = Record<string, unknown>;
const isPlainObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const isObjectSchema = (schema: TSchema): boolean => schema['type'] === 'object' && isPlainObject(schema['properties']);
const branches = (schema: TSchema): TSchema[] | undefined => schema['anyOf'] as TSchema[] | undefined;

/** Sets a key as an own data property, whatever its name (`__proto__` included). */
const put = (target: Json, key: string, value: unknown) =>
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });

function normalise(schema: TSchema, value: unknown, fromText: boolean): unknown {
  if (isText(schema)) {
    if (typeof value !== 'string') return value;
    const rules = schema['x-text'];
    let out = rules.trim ? value.trim() : value;
    if (rules.lowercase) out = out.toLowerCase();
    return out;
  }
  if (schema['type'] === 'integer') return fromText && typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
  const anyOf = branches(schema);
  if (anyOf) {
    if (value === null) return value;
    const branch = anyOf.find((one) => one['type'] !== 'null');
    return branch ? normalise(branch, value, fromText) : value;
  }
  if (isObjectSchema(schema) && isPlainObject(value)) {
    const properties = schema['properties'] as Record<string, TSchema>;
    const out: Json = {};
    for (const key of Object.keys(value)) {
      put(out, key, Object.hasOwn(properties, key) ? normalise(properties[key]!, value[key], fromText) : value[key]);
    }
    return out;
  }
  if (schema['type'] === 'array' && Array.isArray(value) && schema['items']) {
    return value.map((item) => normalise(schema['items'] as TSchema, item, fromText));
  }
  return value;
}

function explain(schema: TSchema, value: unknown, path: string, problems: Problem[]): void {
  const say = (message: string | undefined, at = path) => {
    if (message !== undefined) problems.push({ path: at, message });
  };
  if (isText(schema)) return say(textProblem(schema, value));
  if (isOneOf(schema)) return say(oneOfProblem(schema, value));
  const anyOf = branches(schema);
  if (anyOf) {
    if (value === null && anyOf.some((one) => one['type'] === 'null')) return;
    const branch = anyOf.find((one) => one['type'] !== 'null');
    if (!branch) return say('must be null');
    if (isText(branch) && typeof value !== 'string') return say('must be a string or null');
    return explain(branch, value, path, problems);
  }
  switch (schema['type']) {
    case 'integer': {
      const { minimum, maximum } = schema as { minimum?: number; maximum?: number };
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) return say('must be an integer');
      if (minimum !== undefined && value < minimum) return say(`must be at least ${minimum}`);
      if (maximum !== undefined && value > maximum) return say(`must be at most ${maximum}`);
      return;
    }
    case 'boolean':
      return typeof value === 'boolean' ? undefined : say('must be true or false');
    case 'array': {
      if (!Array.isArray(value)) return say('must be an array');
      const maxItems = schema['maxItems'] as number | undefined;
      if (maxItems !== undefined && value.length > maxItems) return say(`must have at most ${maxItems} items`);
      const before = problems.length;
      value.forEach((item, i) => explain(schema['items'] as TSchema, item, `${path}[${i}]`, problems));
      if (problems.length === before && schema['uniqueItems'] === true) {
        const seen = new Set<unknown>();
        value.forEach((item, i) => {
          if (seen.has(item)) say('is listed twice', `${path}[${i}]`);
          seen.add(item);
        });
      }
      return;
    }
    case 'object': {
      if (!isPlainObject(value)) return say('must be an object');
      const properties = (schema['properties'] ?? {}) as Record<string, TSchema>;
      const required = new Set((schema['required'] ?? []) as string[]);
      const before = problems.length;
      // Own keys only: `in` would take `__proto__`, `constructor` or `toString` for known fields.
      for (const key of Object.keys(value)) if (!Object.hasOwn(properties, key)) say('is not a known field', `${path}.${key}`);
      for (const [key, property] of Object.entries(properties)) {
        if (!Object.hasOwn(value, key) || value[key] === undefined) {
          if (required.has(key)) say('is required', `${path}.${key}`);
        } else {
          explain(property, value[key], `${path}.${key}`, problems);
        }
      }
      const minProperties = schema['minProperties'] as number | undefined;
      if (problems.length === before && minProperties !== undefined && Object.keys(value).length < minProperties) {
        say((schema['x-minPropertiesMessage'] as string | undefined) ?? `must have at least ${minProperties} fields`);
      }
      return;
    }
    default:
      return;
  }
}

const compiled = new WeakMap<TSchema, TypeCheck<TSchema>>();

/** TypeBox's compiled check of `schema`, compiled at its first use. */
export function compiledCheck(schema: TSchema): TypeCheck<TSchema> {
  let check = compiled.get(schema);
  if (!check) compiled.set(schema, (check = TypeCompiler.Compile(schema)));
  return check;
}

/**
 * Checks `value` against `schema`: the normalised value, or every problem.
 * `{ok: false}` always lists at least one problem.
 */
export function check<S extends TSchema>(schema: S, value: unknown, options: CheckOptions = {}): CheckResult<Static<S>> {
  const path = options.path ?? 'body';
  const normalised = normalise(schema, value, options.fromText ?? false);
  if (compiledCheck(schema).Check(normalised)) return { ok: true, value: normalised as Static<S> };
  const problems: Problem[] = [];
  explain(schema, normalised, path, problems);
  if (problems.length === 0) problems.push({ path, message: value === undefined ? 'is required' : 'is not valid' });
  return { ok: false, problems };
}

/** A schema's kind, for code that walks schemas (the OpenAPI document). */
export const kindOf = (schema: TSchema): string => String(schema[Kind]);
