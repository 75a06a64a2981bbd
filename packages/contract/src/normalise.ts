/**
 * What `check` does before and around TypeBox's compiled check, built once
 * per schema: the normalisation (Text trimmed or lower-cased where its
 * schema says so; integers read from digits when the value is a path or
 * query parameter's text) and the duplicate search in arrays of scalars,
 * which TypeBox's compiled `uniqueItems` does by hashing every item (tens of
 * microseconds for two ids).
 */
import type { TSchema } from '@sinclair/typebox';
import { isOneOf, isText } from './kinds.js';

export type Json = Record<string, unknown>;
export const isPlainObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
export const isObjectSchema = (schema: TSchema): boolean => schema['type'] === 'object' && isPlainObject(schema['properties']);
export const branches = (schema: TSchema): TSchema[] | undefined => schema['anyOf'] as TSchema[] | undefined;

/** Items that `===` compares as JSON Schema's `uniqueItems` does. */
const SCALAR_TYPES = new Set(['string', 'integer', 'number', 'boolean']);
const uniqueScalars = (schema: TSchema): boolean => {
  const items = schema['items'] as TSchema | undefined;
  return schema['uniqueItems'] === true && items !== undefined && SCALAR_TYPES.has(items['type'] as string) && !branches(items);
};

/** What a normalisation noticed that the compiled check leaves to it. */
export interface Noticed {
  duplicate: boolean;
}
export type Normalise = (value: unknown, noticed: Noticed) => unknown;

const unchanged: Normalise = (value) => value;
const DIGITS = /^-?\d+$/;

/** Sets a key as an own data property, whatever its name (`__proto__` included). */
const put = (target: Json, key: string, value: unknown) => Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });

/**
 * The normalisation of values of `schema`. Objects are copied (the caller's
 * value is never changed) unless none of their fields changes anything.
 */
export function normaliser(schema: TSchema, fromText: boolean): Normalise {
  if (isText(schema)) {
    const { trim, lowercase } = schema['x-text'];
    if (!trim && !lowercase) return unchanged;
    return (value) => {
      if (typeof value !== 'string') return value;
      const trimmed = trim ? value.trim() : value;
      return lowercase ? trimmed.toLowerCase() : trimmed;
    };
  }
  if (schema['type'] === 'integer') {
    return fromText ? (value) => (typeof value === 'string' && DIGITS.test(value) ? Number(value) : value) : unchanged;
  }
  const anyOf = branches(schema);
  if (anyOf) {
    const branch = anyOf.find((one) => one['type'] !== 'null');
    const inner = branch ? normaliser(branch, fromText) : unchanged;
    return inner === unchanged ? unchanged : (value, noticed) => (value === null ? value : inner(value, noticed));
  }
  if (isObjectSchema(schema)) {
    const fields = new Map<string, Normalise>();
    for (const [key, property] of Object.entries(schema['properties'] as Record<string, TSchema>)) {
      const field = normaliser(property, fromText);
      if (field !== unchanged) fields.set(key, field);
    }
    if (fields.size === 0) return unchanged;
    return (value, noticed) => {
      if (!isPlainObject(value)) return value;
      const out: Json = {};
      for (const key of Object.keys(value)) {
        const field = fields.get(key);
        const one = field ? field(value[key], noticed) : value[key];
        if (key === '__proto__') put(out, key, one);
        else out[key] = one;
      }
      return out;
    };
  }
  if (schema['type'] === 'array' && schema['items']) {
    const item = normaliser(schema['items'] as TSchema, fromText);
    const unique = uniqueScalars(schema);
    if (item === unchanged && !unique) return unchanged;
    return (value, noticed) => {
      if (!Array.isArray(value)) return value;
      const out: unknown[] = item === unchanged ? (value as unknown[]) : value.map((one: unknown) => item(one, noticed));
      if (unique && new Set(out).size !== out.length) noticed.duplicate = true;
      return out;
    };
  }
  return unchanged;
}

/** `schema` as TypeBox compiles it: without the `uniqueItems` of arrays of scalars, which the normalisation checks. */
export function compiledSchema(schema: TSchema): TSchema {
  if (isText(schema) || isOneOf(schema)) return schema;
  const out: TSchema = { ...schema };
  const anyOf = branches(schema);
  if (anyOf) out['anyOf'] = anyOf.map(compiledSchema);
  if (isObjectSchema(schema)) {
    const properties = Object.entries(schema['properties'] as Record<string, TSchema>);
    out['properties'] = Object.fromEntries(properties.map(([key, property]) => [key, compiledSchema(property)]));
  }
  if (schema['type'] === 'array' && schema['items']) {
    if (uniqueScalars(schema)) delete out['uniqueItems'];
    out['items'] = compiledSchema(schema['items'] as TSchema);
  }
  return out;
}
