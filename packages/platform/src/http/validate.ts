import { check, type Static, type TSchema } from '@chat/contract';
import { validationFailed } from '../errors.js';

/**
 * Checks a request body or event payload against its contract schema
 * (@chat/contract) and returns it normalised (trimmed, lower-cased where the
 * schema says so), or throws one `validation_failed` listing every problem.
 */
export function validate<S extends TSchema>(value: unknown, schema: S, path = 'body'): Static<S> {
  const result = check(schema, value, { path });
  if (!result.ok) throw validationFailed(result.problems);
  return result.value;
}

/** A path parameter (its text) checked against its schema: `params.<name>` in the problems. */
export function validateParam<S extends TSchema>(value: unknown, schema: S, name: string): Static<S> {
  const result = check(schema, value, { path: `params.${name}`, fromText: true });
  if (!result.ok) throw validationFailed(result.problems);
  return result.value;
}

export type QueryInput = Record<string, string | string[] | undefined>;
export type QueryOut<S extends Record<string, TSchema>> = { [K in keyof S]?: Static<S[K]> };

/**
 * Reads the query parameters named in `shape` with their schemas, all
 * problems at once; each may be given once. Parameters not in `shape` are
 * ignored (and never passed on by a caller that rebuilds its query from the
 * result).
 */
export function query<S extends Record<string, TSchema>>(input: QueryInput, shape: S): QueryOut<S> {
  const problems: Array<{ path: string; message: string }> = [];
  const out: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(shape)) {
    const raw = Object.hasOwn(input, name) ? input[name] : undefined;
    if (raw === undefined || raw === '') continue;
    if (Array.isArray(raw)) {
      problems.push({ path: `query.${name}`, message: 'must be given once' });
      continue;
    }
    const result = check(schema, raw, { path: `query.${name}`, fromText: true });
    if (result.ok) out[name] = result.value;
    else problems.push(...result.problems);
  }
  if (problems.length > 0) throw validationFailed(problems);
  return out;
}
