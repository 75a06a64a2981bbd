/**
 * Checking a value against a contract schema: the value is first normalised
 * (normalise.ts), then checked by TypeBox's compiled check. Only a value
 * that fails is walked once more to say why, in the contract's words: every
 * problem, with its field path, unknown fields first at each level, then the
 * known ones in schema order.
 */
import type { Static, TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { isOneOf, isText, oneOfProblem, textProblem } from './kinds.js';
import { branches, compiledSchema, isPlainObject, normaliser, type Normalise, type Noticed } from './normalise.js';

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

interface Checker {
  normalise: Normalise;
  normaliseText: Normalise;
  compiled: TypeCheck<TSchema>;
}
const checkers = new WeakMap<TSchema, Checker>();

/** The normalisations and TypeBox's compiled check of `schema`, built at its first use. */
function checkerOf(schema: TSchema): Checker {
  let checker = checkers.get(schema);
  if (!checker) {
    const compiled = TypeCompiler.Compile(compiledSchema(schema));
    checker = { normalise: normaliser(schema, false), normaliseText: normaliser(schema, true), compiled };
    checkers.set(schema, checker);
  }
  return checker;
}

/**
 * Checks `value` against `schema`: the normalised value, or every problem.
 * `{ok: false}` always lists at least one problem.
 */
export function check<S extends TSchema>(schema: S, value: unknown, options: CheckOptions = {}): CheckResult<Static<S>> {
  const checker = checkerOf(schema);
  const noticed: Noticed = { duplicate: false };
  const normalised = (options.fromText ? checker.normaliseText : checker.normalise)(value, noticed);
  if (!noticed.duplicate && checker.compiled.Check(normalised)) return { ok: true, value: normalised as Static<S> };
  const problems = explained(schema, normalised, options.path ?? 'body');
  if (problems.length === 0) problems.push({ path: options.path ?? 'body', message: value === undefined ? 'is required' : 'is not valid' });
  return { ok: false, problems };
}

const explained = (schema: TSchema, normalised: unknown, path: string): Problem[] => {
  const problems: Problem[] = [];
  explain(schema, normalised, path, problems);
  return problems;
};

/**
 * The problems the walk alone finds in `value`, without the compiled check:
 * for tests that hold the two to the same verdict (`check` falls back to a
 * bare "is not valid" should they ever differ).
 */
export function problemsOf(schema: TSchema, value: unknown, options: CheckOptions = {}): Problem[] {
  const checker = checkerOf(schema);
  return explained(schema, (options.fromText ? checker.normaliseText : checker.normalise)(value, { duplicate: false }), options.path ?? 'body');
}
