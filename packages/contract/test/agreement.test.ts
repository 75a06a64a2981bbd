/**
 * The compiled check decides, the walk explains: if they ever disagreed, a
 * valid value would be refused with a bare "is not valid", or an invalid one
 * let through. Values are drawn near each schema's edges (right and wrong
 * types, lengths, cases, white space, control characters, duplicates,
 * unknown fields) as well as at random.
 */
import test from 'ava';
import fc from 'fast-check';
import * as contract from '../src/requests.js';
import { check, problemsOf, SocketPayloads, type TSchema } from '../src/index.js';

const uuid = fc.uuid().chain((id) => fc.constantFrom(id, id.toUpperCase(), ` ${id}`));
const edgyText = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.constantFrom(
    '',
    ' ',
    '\t',
    'a\nb',
    'a\u0007',
    '\u202Eadmin',
    'a\u200Bb',
    '\u200D',
    'a\u2028b',
    'ÄDA',
    '😀',
    '\uD800',
    'https://a.example/x',
    'http://a.example',
    'https://u:p@a.example',
  ),
  uuid,
);

/** Values of `schema`'s shape, often valid, often just wrong. */
function near(schema: TSchema): fc.Arbitrary<unknown> {
  const anyOf = schema['anyOf'] as TSchema[] | undefined;
  if (anyOf) return fc.oneof(...anyOf.map(near));
  if (Array.isArray(schema['enum'])) return fc.oneof(fc.constantFrom(...(schema['enum'] as string[])), edgyText);
  switch (schema['type']) {
    case 'null':
      return fc.constant(null);
    case 'boolean':
      return fc.oneof(fc.boolean(), fc.constantFrom(0, 'true'));
    case 'integer': {
      const { minimum = 0, maximum = 100 } = schema as { minimum?: number; maximum?: number };
      return fc.oneof(fc.integer({ min: minimum - 2, max: Math.min(maximum + 2, minimum + 200) }), fc.constantFrom(maximum, maximum + 1, 1.5, '7', -0));
    }
    case 'string': {
      const { minLength = 0, maxLength = 16 } = schema as { minLength?: number; maxLength?: number };
      const pattern = (schema['x-text'] as { pattern?: string } | undefined)?.pattern;
      const sized = fc.string({ unit: 'grapheme', minLength: Math.max(0, minLength - 1), maxLength: Math.min(maxLength + 1, minLength + 20) });
      return fc.oneof(edgyText, sized, ...(pattern ? [fc.stringMatching(new RegExp(pattern, 'u'))] : []));
    }
    case 'array': {
      const item = near(schema['items'] as TSchema);
      return fc.oneof(
        fc.array(item, { maxLength: 4 }),
        fc.array(item, { maxLength: 2 }).map((items) => [...items, ...items]),
      );
    }
    case 'object': {
      const properties = schema['properties'] as Record<string, TSchema>;
      const record = fc.record(Object.fromEntries(Object.entries(properties).map(([key, property]) => [key, near(property)])), { requiredKeys: [] });
      return fc.tuple(record, fc.option(fc.constantFrom('extra', '__proto__', 'constructor'), { nil: undefined })).map(([value, extra]) => {
        if (extra === undefined) return value;
        return Object.defineProperty({ ...value }, extra, { value: 1, enumerable: true, writable: true, configurable: true });
      });
    }
    default:
      return fc.anything();
  }
}

const isSchema = (value: unknown): value is TSchema => typeof value === 'object' && value !== null && typeof (value as TSchema)['type'] === 'string';
const schemas: Array<[string, TSchema, boolean]> = [
  ...Object.entries(contract as Record<string, unknown>).flatMap(([name, value]): Array<[string, TSchema, boolean]> =>
    isSchema(value) ? [[name, value, false]] : [],
  ),
  ...Object.entries(SocketPayloads).map(([name, schema]): [string, TSchema, boolean] => [`socket ${name}`, schema, false]),
  ...Object.entries({ ...contract.PathParams, ...contract.HistoryQuery, ...contract.ProfileIdsQuery, ...contract.DiscoveryQuery }).map(
    ([name, schema]): [string, TSchema, boolean] => [`parameter ${name}`, schema, true],
  ),
];

test('every contract schema is drawn from', (t) => {
  t.true(schemas.length > 25, schemas.map(([name]) => name).join(', '));
});

for (const [name, schema, fromText] of schemas) {
  test(`when ${name} is checked, the compiled check passes a value exactly when the walk lists no problem`, (t) => {
    const options = { fromText, path: 'body' };
    fc.assert(
      fc.property(fc.oneof({ weight: 4, arbitrary: near(schema) }, { weight: 1, arbitrary: fc.anything() }), (value) => {
        const verdict = check(schema, value, options);
        const problems = problemsOf(schema, value, options);
        return verdict.ok ? problems.length === 0 : verdict.problems.length === problems.length && problems.length > 0;
      }),
      { numRuns: 300 },
    );
    t.pass();
  });
}
