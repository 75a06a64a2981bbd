/**
 * A contract schema as the OpenAPI document shows it: plain JSON Schema
 * 2020-12, without the rules only the runtime check reads (`x-text`,
 * `x-minPropertiesMessage`) or TypeBox's own markers.
 */
import type { TSchema } from '@sinclair/typebox';

const RUNTIME_ONLY = new Set(['x-text', 'x-minPropertiesMessage']);

export function toJsonSchema(schema: TSchema): Record<string, unknown> {
  return JSON.parse(JSON.stringify(schema, (key, value: unknown) => (RUNTIME_ONLY.has(key) ? undefined : value))) as Record<string, unknown>;
}
