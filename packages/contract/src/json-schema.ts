/**
 * A contract schema as the OpenAPI document shows it: plain JSON Schema
 * 2020-12, without the rules only the runtime check reads (`x-text`,
 * `x-minPropertiesMessage`) or TypeBox's own markers, and with every part
 * that is one of the document's named schemas written as a reference to it.
 */
import type { TSchema } from '@sinclair/typebox';

const RUNTIME_ONLY = new Set(['x-text', 'x-minPropertiesMessage']);
/** Keys a use of a named schema may add to it (`described`) and still be shown as a reference. */
const ANNOTATIONS = new Set(['description', 'examples', 'default']);

type Json = Record<string, unknown>;
const isJsonObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

export interface JsonSchemaOptions {
  /** The named schemas a part may be a reference to: `{name: schema}`. */
  named?: Record<string, TSchema>;
  /** How a reference to `name` is written (`#/components/schemas/<name>` by default). */
  ref?: (name: string) => string;
  /** `schema` itself may be shown as a reference (it is used somewhere, not being named). */
  refRoot?: boolean;
}

/**
 * The name of the schema `part` is, with the annotations it adds: the same
 * object, or a copy (`Type.Optional`, `described`) whose other keys are
 * all the named schema's own values.
 */
function nameOf(part: Json, named: Array<[string, Json]>): [string, Json] | undefined {
  for (const [name, schema] of named) {
    if (part === schema) return [name, {}];
    const keys = Object.keys(schema);
    if (keys.some((key) => !ANNOTATIONS.has(key) && part[key] !== schema[key])) continue;
    const extra = Object.keys(part).filter((key) => !Object.hasOwn(schema, key) || (ANNOTATIONS.has(key) && part[key] !== schema[key]));
    if (extra.every((key) => ANNOTATIONS.has(key))) return [name, Object.fromEntries(extra.map((key) => [key, part[key]]))];
  }
  return undefined;
}

export function toJsonSchema(schema: TSchema, options: JsonSchemaOptions = {}): Json {
  const named = Object.entries(options.named ?? {}) as Array<[string, Json]>;
  const ref = options.ref ?? ((name: string) => `#/components/schemas/${name}`);

  const part = (value: unknown, top = false): unknown => {
    if (!isJsonObject(value)) return value;
    const match = top ? undefined : nameOf(value, named);
    if (match) return { $ref: ref(match[0]), ...match[1] };
    const out: Json = {};
    for (const [key, inner] of Object.entries(value)) {
      if (RUNTIME_ONLY.has(key)) continue;
      if (key === 'properties' && isJsonObject(inner)) out[key] = Object.fromEntries(Object.entries(inner).map(([name, one]) => [name, part(one)]));
      else if ((key === 'anyOf' || key === 'allOf' || key === 'oneOf') && Array.isArray(inner)) out[key] = inner.map((one) => part(one));
      else if (key === 'items' || key === 'additionalProperties') out[key] = part(inner);
      else out[key] = structuredClone(inner);
    }
    return out;
  };
  return part(schema, !options.refRoot) as Json;
}
