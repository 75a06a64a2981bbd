/**
 * Request methods against every path of the OpenAPI document, on the whole
 * gateway app in-process, with a service stand-in that records what it is
 * asked: each route asks its service with the route's own method, never the
 * request's; HEAD of a GET is the GET without a body (the service asked
 * once, with GET); a method a path does not list, in any spelling, is a
 * clean 4xx that reaches no service; and a 2xx the gateway reshapes, without
 * the JSON it needs, is 503 unavailable, never a 500.
 */
import { randomUUID } from 'node:crypto';
import test from 'ava';
import type { InvokeResponse } from '@chat/platform';
import type { Upstream, UpstreamService } from '../../src/http/forward.js';
import { buildOpenApiDocument, type HttpMethod, type Operation } from '../../src/http/openapi/document.js';
import type { Parameter, ParameterOrRef } from '../../src/http/openapi/types.js';
import { rawStatusLine, startGatewayApp } from '../helpers/http-gateway.js';

const doc = buildOpenApiDocument();
const DOCUMENTED: HttpMethod[] = ['get', 'put', 'post', 'patch', 'delete'];
const ME = randomUUID();
const ROOM = randomUUID();
const VALUES: Record<string, string> = { roomId: ROOM, userId: randomUUID(), seq: '1', file: 'start-swagger-ui.js' };
const QUERY: Record<string, string> = { ids: `${ME},${randomUUID()}` };
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

interface Call {
  service: UpstreamService;
  path: string;
  method: string;
}

const answer = (status: number, contentType: string, body: string | Buffer): InvokeResponse => {
  const bytes = Buffer.from(body);
  return {
    status,
    headers: { get: (name) => (name.toLowerCase() === 'content-type' ? contentType : null) },
    body: bytes,
    get json(): unknown {
      try {
        return contentType.includes('json') && bytes.length > 0 ? JSON.parse(bytes.toString('utf8')) : undefined;
      } catch {
        return undefined;
      }
    },
  };
};
const jsonAnswer = (status: number, value: unknown) => answer(status, 'application/json; charset=utf-8', JSON.stringify(value));

/** What the services answer unless a test says otherwise: a room with its owner, an empty object for everything else. */
const plausible = (_service: UpstreamService, path: string): InvokeResponse =>
  path === `rooms/${ROOM}` ? jsonAnswer(200, { id: ROOM, name: 'r', members: [{ userId: ME, role: 'owner' }] }) : jsonAnswer(200, {});

/** The gateway, signed-in user ME, with services that record every call and answer with `respond`. */
async function gateway(t: Parameters<typeof startGatewayApp>[0], respond = plausible) {
  const calls: Call[] = [];
  const upstream: Upstream = {
    async call(service, path, request) {
      calls.push({ service, path, method: request.method ?? 'GET (by default)' });
      return respond(service, path);
    },
  };
  const url = await startGatewayApp(
    t,
    { RATE_LIMIT_SCALE: '1000' },
    {
      upstream,
      tokens: { verify: async () => ({ userId: ME }) },
      accounts: { account: async () => ({ username: 'me', createdAt: new Date(0).toISOString() }), exists: async () => true },
      profiles: { find: async () => [] },
    },
  );
  return { url, calls };
}

const resolve = (p: ParameterOrRef): Parameter => ('$ref' in p ? doc.components.parameters[p.$ref.split('/').pop() ?? ''] : p) as Parameter;

/** The path of `template` with its parameters filled in, and the required query. */
function concrete(template: string, op: Operation | undefined): string {
  const parameters = (op?.parameters ?? []).map(resolve);
  const path = template.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(VALUES[name] ?? 'missing'));
  const query = parameters.filter((p) => p.in === 'query' && p.required).map((p) => `${p.name}=${encodeURIComponent(QUERY[p.name] ?? '')}`);
  return query.length > 0 ? `${path}?${query.join('&')}` : path;
}

/** A request as a client sends it; a body for the methods that carry one (image bytes to the avatar upload). */
async function send(url: string, method: string, path: string) {
  const withBody = ['POST', 'PUT', 'PATCH'].includes(method);
  const avatar = path.endsWith('/avatar') && method === 'PUT';
  const response = await fetch(url + path, {
    method,
    headers: { authorization: 'Bearer a.b.c', ...(withBody ? { 'content-type': avatar ? 'image/png' : 'application/json' } : {}) },
    ...(withBody ? { body: avatar ? PNG : '{}' } : {}),
  });
  const text = await response.text();
  return { status: response.status, contentType: response.headers.get('content-type'), text };
}

/** What a request made the services do. */
async function callsOf<T>(calls: Call[], run: () => Promise<T>): Promise<[T, Call[]]> {
  const before = calls.length;
  const result = await run();
  return [result, calls.slice(before)];
}

const paths = Object.entries(doc.paths);

test('when any documented operation is called, its service is asked with the operation method, and HEAD of a GET is the GET without a body, the service asked once with GET', async (t) => {
  const { url, calls } = await gateway(t);
  let forwarded = 0;
  for (const [template, item] of paths) {
    for (const method of DOCUMENTED) {
      const op = item[method];
      if (!op) continue;
      const path = concrete(template, op);
      const METHOD = method.toUpperCase();
      const [reply, asked] = await callsOf(calls, () => send(url, METHOD, path));
      const where = `${METHOD} ${path}: ${reply.status} ${reply.text.slice(0, 120)}`;
      t.true(reply.status < 500, where);
      t.deepEqual(
        asked.filter((c) => c.method !== METHOD),
        [],
        `${where}: the service is asked ${METHOD}`,
      );
      forwarded += asked.length;
      if (method !== 'get') continue;
      const [head, headAsked] = await callsOf(calls, () => send(url, 'HEAD', path));
      t.is(head.status, reply.status, `HEAD ${path}`);
      t.is(head.contentType, reply.contentType, `HEAD ${path}`);
      t.is(head.text, '', `HEAD ${path}: no body`);
      t.deepEqual(headAsked, asked, `HEAD ${path}: the services are asked what the GET asks, once`);
    }
  }
  t.true(forwarded > 20, 'the routes reached the services');
});

/** Methods no path of the API documents, beside the documented ones a path may lack. */
const UNDOCUMENTED = ['OPTIONS', 'PROPFIND', 'PURGE', 'LINK', 'UNLINK', 'MKCOL', 'COPY', 'MOVE', 'LOCK', 'SEARCH', 'REPORT'];

test('when a path is called with a method it does not list, the answer is a 4xx in the contract shape and no service is asked', async (t) => {
  const { url, calls } = await gateway(t);
  for (const [template, item] of paths) {
    const path = concrete(template, item.get ?? item.post ?? item.put ?? item.patch ?? item.delete);
    const missing = [...DOCUMENTED.filter((m) => !item[m]).map((m) => m.toUpperCase()), ...UNDOCUMENTED, ...(item.get ? [] : ['HEAD'])];
    for (const method of missing) {
      const [reply, asked] = await callsOf(calls, () => send(url, method, path));
      const where = `${method} ${path}: ${reply.status} ${reply.text.slice(0, 120)}`;
      // Mostly 404 not_found; a body the path would not take is refused before routing (415), and
      // `GET /api/profiles/me/avatar` is `GET /api/profiles/{userId}/avatar` with a malformed id (400).
      t.true(reply.status >= 400 && reply.status < 500, where);
      if (method !== 'HEAD') t.is(typeof (JSON.parse(reply.text) as { error?: { code?: unknown } }).error?.code, 'string', where);
      t.deepEqual(asked, [], `${where}: no service asked`);
    }
  }
});

test('when a method is spelled in lower or mixed case, or is no HTTP method at all, the answer is a 4xx and no service is asked', async (t) => {
  const { url, calls } = await gateway(t);
  const spellings = ['get', 'head', 'post', 'Get', 'gEt', 'HEad', 'options', 'GETS', 'FOO', 'G-E-T', 'M-SEARCH', 'BREW'];
  for (const [template, item] of paths) {
    const path = concrete(template, item.get ?? item.post ?? item.put ?? item.patch ?? item.delete);
    for (const method of spellings) {
      const [line, asked] = await callsOf(calls, () => rawStatusLine(url, `${method} ${path} HTTP/1.1`, { authorization: 'Bearer a.b.c' }));
      t.regex(line, /^HTTP\/1\.1 4\d\d /, `${method} ${path}: ${line}`);
      t.deepEqual(asked, [], `${method} ${path}: no service asked`);
    }
  }
});

test('when the chat-service answers a room with 2xx but without the JSON the gateway adds members to, the answer is 503 unavailable, to GET and HEAD alike', async (t) => {
  const broken: Array<[string, InvokeResponse]> = [
    ['an empty body', answer(200, 'application/json', '')],
    ['an empty body without a type', answer(200, '', '')],
    ['text', answer(200, 'text/plain', 'ok')],
    ['invalid JSON', answer(200, 'application/json', '{"members":[')],
    ['null', jsonAnswer(200, null)],
    ['an array', jsonAnswer(200, [])],
    ['a string', jsonAnswer(200, 'room')],
    ['no members', jsonAnswer(200, { id: ROOM })],
    ['members not a list', jsonAnswer(200, { id: ROOM, members: 'everyone' })],
    ['a null member', jsonAnswer(200, { id: ROOM, members: [null] })],
    ['a member without an id', jsonAnswer(200, { id: ROOM, members: [{ role: 'owner' }] })],
    ['a member whose id is a number', jsonAnswer(200, { id: ROOM, members: [{ userId: 7, role: 'owner' }] })],
    ['204', answer(204, '', '')],
  ];
  for (const [what, response] of broken) {
    const { url } = await gateway(t, () => response);
    const reply = await send(url, 'GET', `/api/rooms/${ROOM}`);
    t.is(reply.status, 503, what);
    t.like(JSON.parse(reply.text), { error: { code: 'unavailable' } }, what);
    const head = await send(url, 'HEAD', `/api/rooms/${ROOM}`);
    t.is(head.status, 503, `HEAD, ${what}`);
    t.is(head.text, '', `HEAD, ${what}`);
  }
});
