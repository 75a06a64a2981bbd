/**
 * The generated OpenAPI document against the running platform: every
 * operation it lists is called through the gateway (with a registered
 * user's token where it needs one, path parameters naming a real room, user
 * and message, then well-formed ids that name nothing), and every answer
 * must be one the document lists for that operation, never the router's
 * "no such route" 404, a 405 or a 501. A 404 for an unknown resource, in the
 * contract's error shape, is an answer of the operation itself; the router's
 * own 404 carries the same code, so the two are told apart by its message.
 * And every path asked with HEAD (the GET's answer without its body), with
 * methods it does not list, and with methods in lower case: never a 5xx.
 */
import { randomUUID } from 'node:crypto';
import test from 'ava';
import type { Platform } from '@chat/devkit/testing';
import type { HttpMethod, OpenApiDocument, Operation, Parameter, ParameterOrRef } from '../../src/http/openapi/types.js';
import { rawStatusLine } from '../helpers/http-gateway.js';
import { register, startPlatformForUsers } from '../helpers/platform-users.js';

let platform: Platform;

test.before(async () => {
  platform = await startPlatformForUsers();
});
test.after.always(async () => {
  await platform?.stop();
});

const METHODS: HttpMethod[] = ['get', 'put', 'post', 'patch', 'delete'];
/** What @chat/platform's finishApp answers for a path no router serves. */
const ROUTER_NOT_FOUND = 'No such route';

interface Reply {
  status: number;
  body: any;
}

async function call(method: string, path: string, token: string | undefined, body: unknown): Promise<Reply & { text: string; headers: Headers }> {
  const raw = Buffer.isBuffer(body);
  const response = await fetch(`${platform.gatewayUrl}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': raw ? 'image/png' : 'application/json' }),
    },
    ...(body === undefined ? {} : { body: raw ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  const json = (response.headers.get('content-type') ?? '').startsWith('application/json') && text ? JSON.parse(text) : undefined;
  return { status: response.status, body: json, text, headers: response.headers };
}

const resolveIn =
  (doc: OpenApiDocument) =>
  (p: ParameterOrRef): Parameter =>
    ('$ref' in p ? doc.components.parameters[p.$ref.split('/').pop() ?? ''] : p) as Parameter;

/** `template` with its path parameters from `values` (else the first of the schema's enum) and its required query from `query`. */
function concreteUrl(doc: OpenApiDocument, key: string, op: Operation, values: Record<string, string>, query: Record<string, string>): string {
  const parameters = (op.parameters ?? []).map(resolveIn(doc));
  const template = key.slice(key.indexOf(' ') + 1);
  const path = template.replace(/\{(\w+)\}/g, (_, param: string) => {
    const value = values[param] ?? (parameters.find((p) => p.name === param)?.schema['enum'] as string[] | undefined)?.[0];
    if (value === undefined) throw new Error(`${key}: no value for the path parameter ${param}: add one to this test`);
    return encodeURIComponent(value);
  });
  const search = new URLSearchParams(
    parameters
      .filter((p) => p.in === 'query' && p.required)
      .map((p): [string, string] => {
        const value = query[p.name];
        if (value === undefined) throw new Error(`${key}: no value for the query parameter ${p.name}: add one to this test`);
        return [p.name, value];
      }),
  );
  return search.toString() ? `${path}?${search.toString()}` : path;
}

/** The smallest bytes the profile-service takes for a PNG: the signature and an IHDR chunk header. */
const PNG = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]),
  Buffer.from('IHDR'),
  Buffer.from([0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89]),
]);

/** Calls that undo what later calls need go last: removing the member and deleting the message, then leaving the room. */
const rank = (key: string) => (key.endsWith('/leave') ? 2 : key.startsWith('DELETE ') ? 1 : 0);

test('when every operation of the document is called on the running platform, each answers one of its documented statuses, never a router 404, 405 or 501', async (t) => {
  const doc = (await (await fetch(`${platform.gatewayUrl}/api/openapi.json`)).json()) as OpenApiDocument;
  const [alice, bob, carol, dave] = [await register(platform), await register(platform), await register(platform), await register(platform)];
  const created = await call('POST', '/api/rooms', alice.token, { name: 'every route', visibility: 'public', memberIds: [bob.id] });
  t.is(created.status, 201);
  const roomId = created.body.id as string;
  t.is((await call('POST', `/api/rooms/${roomId}/messages`, alice.token, { body: 'first', clientMsgId: 'routes-1' })).status, 201);

  const known: Record<string, string> = { roomId, userId: bob.id, seq: '1' };
  const unknown: Record<string, string> = { roomId: randomUUID(), userId: randomUUID(), seq: '999999', file: 'no-such-file.js' };
  const query: Record<string, string> = { ids: `${alice.id},${bob.id}` };
  const name = `routes_${randomUUID().slice(0, 8)}`;
  const bodies: Record<string, unknown> = {
    'POST /api/auth/register': { username: name, email: `${name}@example.test`, password: `pw-${randomUUID()}` },
    'POST /api/auth/login': { login: alice.username, password: 'not-her-password' },
    'POST /api/auth/refresh': { refreshToken: dave.refreshToken },
    'POST /api/auth/logout': { refreshToken: dave.refreshToken },
    'POST /api/auth/password': { currentPassword: 'not-her-password', newPassword: `pw-${randomUUID()}` },
    'PATCH /api/profiles/me': { bio: 'Calls every route' },
    'PUT /api/profiles/me/avatar': PNG,
    'POST /api/rooms': { name: 'another', visibility: 'private' },
    'PATCH /api/rooms/{roomId}': { topic: 'every route, once' },
    'POST /api/rooms/{roomId}/members': { userId: carol.id },
    'PATCH /api/rooms/{roomId}/members/{userId}': { role: 'admin' },
    'POST /api/dms': { userId: bob.id },
    'POST /api/rooms/{roomId}/messages': { body: 'second', clientMsgId: 'routes-2' },
    'PATCH /api/rooms/{roomId}/messages/{seq}': { body: 'first, edited' },
    'POST /api/rooms/{roomId}/read': { seq: 1 },
  };

  const operations = Object.entries(doc.paths)
    .flatMap(([path, item]) => METHODS.flatMap((method) => (item[method] ? [{ key: `${method.toUpperCase()} ${path}`, method, path, op: item[method] }] : [])))
    .sort((a, b) => rank(a.key) - rank(b.key));
  t.true(operations.length > 30);

  const check = async (key: string, op: Operation, values: Record<string, string>) => {
    const method = key.slice(0, key.indexOf(' '));
    const body = bodies[key];
    if (op.requestBody?.required && body === undefined) throw new Error(`${key}: no request body: add one to this test`);
    const url = concreteUrl(doc, key, op, values, query);
    const reply = await call(method, url, op.security.length > 0 ? alice.token : undefined, body);
    const where = `${method} ${url} answered ${reply.status} ${JSON.stringify(reply.body)}`;
    t.false(reply.status === 405 || reply.status === 501, where);
    if (reply.status === 404) t.like(reply.body, { error: { code: 'not_found' } }, where);
    t.not(reply.body?.error?.message, ROUTER_NOT_FOUND, where);
    t.true(String(reply.status) in op.responses, `${where}: not a status the document lists (${Object.keys(op.responses).join(', ')})`);
  };

  for (const { key, op } of operations) await check(key, op, known);
  for (const { key, op, path } of operations) if (path.includes('{')) await check(key, op, unknown);
});

/** Methods no operation of the document uses. */
const UNDOCUMENTED = ['OPTIONS', 'PROPFIND', 'PURGE', 'LINK', 'MKCOL', 'REPORT'];

test('when every path is asked with HEAD, a method it does not list, or a method in lower case, no answer is a 5xx, and HEAD of a GET answers what the GET does without a body', async (t) => {
  const doc = (await (await fetch(`${platform.gatewayUrl}/api/openapi.json`)).json()) as OpenApiDocument;
  const [alice, bob] = [await register(platform), await register(platform)];
  const created = await call('POST', '/api/rooms', alice.token, { name: 'every method', visibility: 'public', memberIds: [bob.id] });
  t.is(created.status, 201);
  const roomId = created.body.id as string;
  t.is((await call('POST', `/api/rooms/${roomId}/messages`, alice.token, { body: 'first', clientMsgId: 'methods-1' })).status, 201);
  const values: Record<string, string> = { roomId, userId: bob.id, seq: '1' };
  const query: Record<string, string> = { ids: `${alice.id},${bob.id}` };

  let heads = 0;
  for (const [template, item] of Object.entries(doc.paths)) {
    const documented = METHODS.filter((m) => item[m]);
    const [first] = documented;
    if (!first) continue;
    const url = concreteUrl(doc, `${first.toUpperCase()} ${template}`, item[first]!, values, query);
    if (item.get) {
      const get = await call('GET', url, alice.token, undefined);
      const head = await call('HEAD', url, alice.token, undefined);
      const where = `HEAD ${url}: ${head.status}, GET answered ${get.status}`;
      t.is(head.status, get.status, where);
      t.is(head.text, '', `${where}: no body`);
      t.is(head.headers.get('content-type'), get.headers.get('content-type'), where);
      heads++;
    }
    const others = [...METHODS.filter((m) => !item[m]).map((m) => m.toUpperCase()), ...UNDOCUMENTED, ...(item.get ? [] : ['HEAD'])];
    for (const method of others) {
      const reply = await call(method, url, alice.token, ['POST', 'PUT', 'PATCH'].includes(method) ? {} : undefined);
      t.true(reply.status >= 400 && reply.status < 500, `${method} ${url} answered ${reply.status} ${reply.text.slice(0, 160)}`);
    }
    for (const method of ['get', 'head', 'Get', 'options', 'FOO']) {
      const line = await rawStatusLine(platform.gatewayUrl, `${method} ${url} HTTP/1.1`, { authorization: `Bearer ${alice.token}` });
      t.regex(line, /^HTTP\/1\.1 4\d\d /, `${method} ${url}: ${line}`);
    }
  }
  t.true(heads > 10);
  t.is((await call('GET', '/api/health', undefined, undefined)).status, 200, 'every service still up');
});
