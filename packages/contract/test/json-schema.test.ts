import test from 'ava';
import { Message, MessagePage, ResourceId, Timestamp, toJsonSchema, Username } from '../src/index.js';

const named = { Id: ResourceId, Timestamp, Message, Username };

test('when a schema is shown, its named parts are references, with the description of their use kept', (t) => {
  const shown = toJsonSchema(Message, { named }) as { properties: Record<string, unknown> };
  t.deepEqual(shown.properties['id'], { $ref: '#/components/schemas/Id', description: 'The message id.' });
  t.deepEqual(shown.properties['editedAt'], { $ref: '#/components/schemas/Timestamp', description: 'When it was last edited; absent if never edited.' });
  t.like(toJsonSchema(MessagePage, { named }), { properties: { messages: { type: 'array', items: { $ref: '#/components/schemas/Message' } } } });
});

test('when a named schema is shown where it is used, it is a reference; where it is named, it is written out', (t) => {
  t.deepEqual(toJsonSchema(Message, { named, refRoot: true }), { $ref: '#/components/schemas/Message' });
  t.like(toJsonSchema(Message, { named }), { type: 'object' });
});

test('when a Text is shown, the rules only the runtime check reads are left out, its JSON Schema keywords kept', (t) => {
  const shown = toJsonSchema(Username);
  t.false('x-text' in shown);
  t.like(shown, { type: 'string', minLength: 3, maxLength: 32, allOf: [{ pattern: '^[A-Za-z0-9_.-]+$' }, { pattern: String.raw`\S` }] });
});
