import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import test from 'ava';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type Router from '@koa/router';
import type { Middleware } from 'koa';
import { createHttpApp, createLogger, ERROR_STATUS, finishApp, type RequestState } from '@chat/platform';
import { settings, type Config } from '../../src/config.js';
import { createApp } from '../../src/http/app.js';
import { authRoutes } from '../../src/http/routes/auth.js';
import type { RouteDeps } from '../../src/http/routes/deps.js';
import { docsRoutes } from '../../src/http/routes/docs.js';
import { healthRoutes } from '../../src/http/routes/health.js';
import { profilesRoutes } from '../../src/http/routes/profiles.js';
import { roomsRoutes } from '../../src/http/routes/rooms.js';
import type { HttpMethod, OpenApiDocument, Operation } from '../../src/http/openapi/document.js';
import { UNREACHED_SERVICES } from '../helpers/unreached-services.js';

/**
 * Every REST operation of the contract (docs/api.md), written from its tables, with
 * the error statuses each one can answer by the contract's rules, and whether it needs
 * an access token. The document must hold exactly these.
 */
const ALWAYS = [429, 500, 503];
const BODY = [400, 413, 415];
const AUTH = [401];
const CONTRACT: Record<string, { auth: boolean; errors: number[] }> = {
  'POST /api/auth/register': { auth: false, errors: [...BODY, 409, ...ALWAYS] },
  'POST /api/auth/login': { auth: false, errors: [...BODY, 401, ...ALWAYS] },
  'POST /api/auth/refresh': { auth: false, errors: [...BODY, 401, ...ALWAYS] },
  'POST /api/auth/logout': { auth: false, errors: [...BODY, ...ALWAYS] },
  'GET /api/auth/me': { auth: true, errors: [...AUTH, ...ALWAYS] },
  'POST /api/auth/password': { auth: true, errors: [...BODY, ...AUTH, 409, ...ALWAYS] },
  'GET /api/auth/jwks': { auth: false, errors: [...ALWAYS] },
  'GET /api/profiles/me': { auth: true, errors: [...AUTH, ...ALWAYS] },
  'PATCH /api/profiles/me': { auth: true, errors: [...BODY, ...AUTH, 409, ...ALWAYS] },
  'PUT /api/profiles/me/avatar': { auth: true, errors: [...BODY, ...AUTH, 409, ...ALWAYS] },
  'GET /api/profiles/{userId}/avatar': { auth: false, errors: [400, 404, ...ALWAYS] },
  'GET /api/profiles/{userId}': { auth: true, errors: [400, ...AUTH, 404, ...ALWAYS] },
  'GET /api/profiles': { auth: true, errors: [400, ...AUTH, ...ALWAYS] },
  'GET /api/rooms': { auth: true, errors: [...AUTH, ...ALWAYS] },
  'GET /api/rooms/public': { auth: true, errors: [400, ...AUTH, ...ALWAYS] },
  'POST /api/rooms': { auth: true, errors: [...BODY, ...AUTH, ...ALWAYS] },
  'GET /api/rooms/{roomId}': { auth: true, errors: [400, ...AUTH, 404, ...ALWAYS] },
  'PATCH /api/rooms/{roomId}': { auth: true, errors: [...BODY, ...AUTH, 403, 404, ...ALWAYS] },
  'POST /api/rooms/{roomId}/join': { auth: true, errors: [...BODY, ...AUTH, 404, ...ALWAYS] },
  'POST /api/rooms/{roomId}/leave': { auth: true, errors: [...BODY, ...AUTH, 403, 404, ...ALWAYS] },
  'POST /api/rooms/{roomId}/members': { auth: true, errors: [...BODY, ...AUTH, 403, 404, ...ALWAYS] },
  'DELETE /api/rooms/{roomId}/members/{userId}': { auth: true, errors: [...BODY, ...AUTH, 403, 404, ...ALWAYS] },
  'POST /api/dms': { auth: true, errors: [...BODY, ...AUTH, 404, ...ALWAYS] },
  'GET /api/rooms/{roomId}/messages': { auth: true, errors: [400, ...AUTH, 403, 404, ...ALWAYS] },
  'POST /api/rooms/{roomId}/messages': { auth: true, errors: [...BODY, ...AUTH, 403, 404, ...ALWAYS] },
  'PATCH /api/rooms/{roomId}/messages/{seq}': { auth: true, errors: [...BODY, ...AUTH, 403, 404, 409, ...ALWAYS] },
  'DELETE /api/rooms/{roomId}/messages/{seq}': { auth: true, errors: [...BODY, ...AUTH, 403, 404, ...ALWAYS] },
  'POST /api/rooms/{roomId}/read': { auth: true, errors: [...BODY, ...AUTH, 403, 404, ...ALWAYS] },
  // The health report's 503 is a body of its own (Health), not an error.
  'GET /api/health': { auth: false, errors: [500] },
  'GET /api/openapi.json': { auth: false, errors: [500] },
  'GET /api/docs': { auth: false, errors: [500] },
};

/**
 * Operations the gateway serves beyond the first version of the contract (additions, never renames), each marked
 * "An addition to the first version of the contract" in its description.
 */
const ADDITIONS: Record<string, { auth: boolean; errors: number[] }> = {
  'PATCH /api/rooms/{roomId}/members/{userId}': { auth: true, errors: [...BODY, ...AUTH, 403, 404, ...ALWAYS] },
  'GET /api/docs/{file}': { auth: false, errors: [404, 500] },
};
const EXPECTED = { ...CONTRACT, ...ADDITIONS };

/** docs/realtime.md: the socket events. */
const SOCKET_CLIENT_EVENTS = ['message:send', 'message:edit', 'message:delete', 'sync', 'read', 'typing'];
/** Additions to the first version of the contract that the gateway implements (packages/platform/src/realtime/events.ts), marked as such in the document. */
const SOCKET_ADDITIONS = { clientToServer: ['auth:refresh'], serverToClient: ['auth:expired', 'profile:updated'] };
const SOCKET_SERVER_EVENTS = [
  'message:new',
  'message:updated',
  'message:deleted',
  'typing',
  'presence',
  'room:member_joined',
  'room:member_left',
  'room:updated',
  'read',
];

/** What the gateway's routers serve outside /api: its probes, the sidecar's subscription list, the web client. */
const NON_API_ROUTES = ['GET /', 'GET /assets/{name}', 'GET /dapr/subscribe', 'GET /healthz', 'GET /index.html', 'GET /readyz'];

const METHODS: HttpMethod[] = ['get', 'put', 'post', 'patch', 'delete'];

let server: Server;
let baseUrl: string;
let doc: OpenApiDocument;

test.before(async () => {
  const { app, router } = createHttpApp({ logger: createLogger({ name: 'openapi-test', level: 'silent' }) });
  server = finishApp(app, router, docsRoutes()).listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  doc = (await (await fetch(`${baseUrl}/api/openapi.json`)).json()) as OpenApiDocument;
});
test.after.always(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
});

const operations = (document: OpenApiDocument): Array<[string, Operation]> =>
  Object.entries(document.paths).flatMap(([path, item]) =>
    METHODS.flatMap((method) => (item[method] ? [[`${method.toUpperCase()} ${path}`, item[method]] as [string, Operation]] : [])),
  );

/** A JSON Schema 2020-12 validator that knows every component schema of the document. */
function schemaChecker(document: OpenApiDocument) {
  const ROOT = 'https://chat.invalid/openapi';
  // OpenAPI's "#/components/schemas/X" becomes "<root>#/$defs/X", so that any part of the document compiles on its own.
  const rewritten = JSON.parse(JSON.stringify(document).replaceAll('"#/components/schemas/', `"${ROOT}#/$defs/`)) as OpenApiDocument;
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  addFormats.default(ajv);
  ajv.addSchema({ $id: ROOT, $defs: rewritten.components.schemas });
  const cache = new Map<unknown, ValidateFunction>();
  const compile = (schema: unknown): ValidateFunction => {
    let validate = cache.get(schema);
    if (!validate) {
      validate = ajv.compile(schema as object);
      cache.set(schema, validate);
    }
    return validate;
  };
  const component = (name: string) => compile({ $ref: `${ROOT}#/$defs/${name}` });
  return { rewritten, compile, component, ajv };
}

const statusesOf = (op: Operation) => Object.keys(op.responses).map(Number);

test('when /api/openapi.json is asked for without a token, it answers 200 application/json with a request id', async (t) => {
  const response = await fetch(`${baseUrl}/api/openapi.json`, { headers: { 'x-request-id': 'docs-test-1' } });
  t.is(response.status, 200);
  t.is(response.headers.get('content-type'), 'application/json; charset=utf-8');
  t.is(response.headers.get('x-request-id'), 'docs-test-1');
  t.like(await response.json(), { openapi: '3.1.0', servers: [{ url: 'http://127.0.0.1:8080' }] });
});

test('when /api/openapi.json is asked for again with its ETag, it answers 304 without a body', async (t) => {
  const first = await fetch(`${baseUrl}/api/openapi.json`);
  const etag = first.headers.get('etag');
  t.truthy(etag);
  // As a browser revalidates (fetch would otherwise add cache-control: no-cache, which asks for a full answer).
  const second = await fetch(`${baseUrl}/api/openapi.json`, { headers: { 'if-none-match': etag ?? '', 'cache-control': 'max-age=0' } });
  t.is(second.status, 304);
  t.is(await second.text(), '');
});

test('when a real OpenAPI validator checks the served document, it is a valid OpenAPI 3.1 document whose refs all resolve', async (t) => {
  t.true(Validator.supportedVersions.has('3.1'));
  const validator = new Validator();
  const result = await validator.validate(structuredClone(doc) as unknown as Record<string, unknown>);
  t.deepEqual(result, { valid: true });
  t.is(validator.version, '3.1');
  t.notThrows(() => validator.resolveRefs());
});

test('when the validator is given a broken document, it refuses it (so the check above has teeth)', async (t) => {
  const broken = structuredClone(doc) as unknown as { paths: Record<string, Record<string, { responses: unknown }>> };
  broken.paths['/api/auth/me']!['get']!.responses = { 200: { content: {} } };
  t.false((await new Validator().validate(broken)).valid);
  const dangling = structuredClone(doc) as unknown as { components: { schemas: Record<string, unknown> } };
  delete dangling.components.schemas['Message'];
  t.false((await new Validator().validate(dangling)).valid);
});

test('when the document lists its operations, they are exactly the REST operations of docs/api.md, plus the additions marked as such', (t) => {
  t.deepEqual(
    operations(doc)
      .map(([key]) => key)
      .sort(),
    Object.keys(EXPECTED).sort(),
  );
  for (const [key, op] of operations(doc)) {
    t.is(
      /An addition to the first version of the contract/.test(op.description),
      key in ADDITIONS,
      `${key} says whether it is an addition to the first version of the contract`,
    );
  }
});

test('when an operation needs an access token, it says bearerAuth and answers 401 unauthenticated with WWW-Authenticate; the public ones say so', (t) => {
  t.like(doc.components.securitySchemes['bearerAuth'], { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
  t.regex(doc.components.securitySchemes['bearerAuth']?.description ?? '', /ES256.*15 minutes/);
  t.false('security' in doc, 'no document-wide security: each operation says its own');
  for (const [key, op] of operations(doc)) {
    const expected = EXPECTED[key];
    if (!expected) continue;
    t.deepEqual(op.security, expected.auth ? [{ bearerAuth: [] }] : [], key);
    if (expected.auth) {
      const unauthorized = op.responses['401'];
      t.truthy(unauthorized, `${key} lists 401`);
      t.deepEqual(unauthorized?.headers?.['WWW-Authenticate'], { $ref: '#/components/headers/WWWAuthenticate' }, key);
      const codes = (
        unauthorized?.content?.['application/json']?.schema?.['allOf'] as Array<{ properties?: { error?: { properties?: { code?: { enum?: string[] } } } } }>
      )[1]?.properties?.error?.properties?.code?.enum;
      t.true(codes?.includes('unauthenticated'), key);
    }
  }
});

test('when an operation lists its responses, the error statuses are exactly the ones its rules can produce', (t) => {
  for (const [key, op] of operations(doc)) {
    const expected = EXPECTED[key];
    if (!expected) continue;
    const errors = statusesOf(op).filter((status) => status >= 400 && !(key === 'GET /api/health' && status === 503));
    t.deepEqual(
      errors.sort((a, b) => a - b),
      [...new Set(expected.errors)].sort((a, b) => a - b),
      key,
    );
    t.true(
      statusesOf(op).some((status) => status < 400),
      `${key} has a success response`,
    );
  }
});

test('when any response is answered, it declares X-Request-Id; errors use the Error schema with Retry-After on 429 and 503', (t) => {
  for (const [key, op] of operations(doc)) {
    for (const [status, response] of Object.entries(op.responses)) {
      const where = `${key} ${status}`;
      t.deepEqual(response.headers?.['X-Request-Id'], { $ref: '#/components/headers/XRequestId' }, where);
      if (Number(status) < 400 || (key === 'GET /api/health' && status === '503')) continue;
      const schema = response.content?.['application/json']?.schema;
      t.deepEqual((schema?.['allOf'] as unknown[] | undefined)?.[0], { $ref: '#/components/schemas/Error' }, where);
      if (status === '429') t.deepEqual(response.headers?.['Retry-After'], { $ref: '#/components/headers/RetryAfterRequired' }, where);
      if (status === '503') t.deepEqual(response.headers?.['Retry-After'], { $ref: '#/components/headers/RetryAfter' }, where);
    }
  }
});

test("when the Error schema lists codes, they are exactly the platform's codes, and each status narrows to its own", (t) => {
  t.deepEqual([...(doc.components.schemas['ErrorCode']?.['enum'] as string[])].sort(), Object.keys(ERROR_STATUS).sort());
  for (const [key, op] of operations(doc)) {
    for (const [status, response] of Object.entries(op.responses)) {
      if (Number(status) < 400 || (key === 'GET /api/health' && status === '503')) continue;
      const codes = (
        response.content?.['application/json']?.schema?.['allOf'] as Array<{ properties: { error: { properties: { code: { enum: string[] } } } } }>
      )[1]?.properties.error.properties.code.enum;
      for (const code of codes ?? []) t.is(Number(ERROR_STATUS[code as keyof typeof ERROR_STATUS]), Number(status), `${key} ${status} ${code}`);
    }
  }
});

test('when the document shows an example or a default, it matches its own schema (JSON Schema 2020-12, strict)', (t) => {
  const { rewritten, compile } = schemaChecker(doc);
  let checked = 0;
  const visit = (node: unknown, path: string): void => {
    if (Array.isArray(node)) return node.forEach((item, i) => visit(item, `${path}/${i}`));
    if (typeof node !== 'object' || node === null) return;
    const record = node as Record<string, unknown>;
    if (record['schema'] && record['example'] !== undefined) {
      const validate = compile(record['schema']);
      t.true(validate(record['example']), `${path}: ${JSON.stringify(validate.errors)}`);
      checked++;
    }
    if (Array.isArray(record['examples']) && !path.endsWith('/properties')) {
      const validate = compile(record);
      for (const example of record['examples']) t.true(validate(example), `${path}: ${JSON.stringify(validate.errors)}`);
      checked++;
    }
    for (const [key, value] of Object.entries(record)) visit(value, `${path}/${key}`);
  };
  visit(rewritten.paths, '#/paths');
  visit(rewritten.components.schemas, '#/components/schemas');
  t.true(checked > 40, `checked ${checked} examples`);
});

test('when request bodies are JSON, their schemas refuse unknown fields', (t) => {
  for (const [key, op] of operations(doc)) {
    const body = op.requestBody?.content['application/json']?.schema;
    if (!body) continue;
    const name = String(body['$ref']).split('/').pop() ?? '';
    t.is(doc.components.schemas[name]?.['additionalProperties'], false, key);
  }
  t.is(doc.components.schemas['SettingsPatch']?.['additionalProperties'], false);
});

test('when bodies are checked against the document, its limits are the ones of docs/api.md', (t) => {
  const { component } = schemaChecker(doc);
  const cases: Array<[string, unknown, boolean]> = [
    ['RegisterRequest', { username: 'ada_l', email: 'ada@example.org', password: 'eight888' }, true],
    ['RegisterRequest', { username: 'Ada.L-9', email: 'ada@example.org', password: 'eight888', displayName: 'Ada' }, true],
    ['RegisterRequest', { username: 'ab', email: 'ada@example.org', password: 'eight888' }, false],
    ['RegisterRequest', { username: 'a'.repeat(33), email: 'ada@example.org', password: 'eight888' }, false],
    ['RegisterRequest', { username: 'ada l', email: 'ada@example.org', password: 'eight888' }, false],
    ['RegisterRequest', { username: 'ada_l', email: 'not-an-address', password: 'eight888' }, false],
    ['RegisterRequest', { username: 'ada_l', email: 'ada@example.org', password: 'seven77' }, false],
    ['RegisterRequest', { username: 'ada_l', email: 'ada@example.org', password: 'x'.repeat(129) }, false],
    ['RegisterRequest', { username: 'ada_l', email: 'ada@example.org', password: 'eight888', admin: true }, false],
    ['LoginRequest', { login: 'ada@example.org', password: 'whatever' }, true],
    ['ChangePasswordRequest', { currentPassword: 'old', newPassword: 'short' }, false],
    ['ProfilePatch', {}, true],
    ['ProfilePatch', { displayName: 'x'.repeat(64), bio: 'b'.repeat(500), avatarUrl: null, settings: { theme: 'dark' } }, true],
    ['ProfilePatch', { displayName: '' }, false],
    ['ProfilePatch', { displayName: 'x'.repeat(65) }, false],
    ['ProfilePatch', { bio: 'b'.repeat(501) }, false],
    ['ProfilePatch', { avatarUrl: 'http://images.example.org/a.png' }, false],
    ['ProfilePatch', { avatarUrl: 'https://images.example.org/a.png' }, true],
    ['ProfilePatch', { settings: { theme: 'blue' } }, false],
    ['ProfilePatch', { settings: { notifications: 'mentions', sound: true } }, false],
    ['ProfilePatch', { nickname: 'x' }, false],
    ['CreateRoomRequest', { name: 'general', visibility: 'public' }, true],
    ['CreateRoomRequest', { name: 'general', visibility: 'secret' }, false],
    [
      'CreateRoomRequest',
      { name: 'general', visibility: 'private', memberIds: Array.from({ length: 101 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`) },
      false,
    ],
    ['SendMessageRequest', { body: 'hi', clientMsgId: 'c-1' }, true],
    ['SendMessageRequest', { body: 'line one\nline two\ttabbed' }, true],
    ['SendMessageRequest', { body: 'x'.repeat(4000) }, true],
    ['SendMessageRequest', { body: 'x'.repeat(4001) }, false],
    ['SendMessageRequest', { body: '' }, false],
    ['SendMessageRequest', { body: '  \n\t ' }, false],
    ['SendMessageRequest', { body: 'bell\u0007' }, false],
    ['SendMessageRequest', { body: 'carriage\rreturn' }, false],
    ['ReadRequest', { seq: 1 }, true],
    ['ReadRequest', { seq: 0 }, false],
    ['ReadRequest', { seq: 1.5 }, false],
  ];
  for (const [name, value, valid] of cases) t.is(component(name)(value), valid, `${name} ${JSON.stringify(value).slice(0, 80)}`);
});

test('when list parameters are read, limits are 1–100 with default 50 and ids take at most 100', (t) => {
  const params = (key: string) => {
    const [method, path] = key.split(' ') as [HttpMethod, string];
    return (doc.paths[path]?.[method.toLowerCase() as HttpMethod]?.parameters ?? []) as Array<{ name: string; in: string; schema: Record<string, unknown> }>;
  };
  const messages = params('GET /api/rooms/{roomId}/messages');
  t.like(messages.find((p) => p.name === 'limit')?.schema ?? {}, { type: 'integer', minimum: 1, maximum: 100, default: 50 });
  t.like(messages.find((p) => p.name === 'before')?.schema ?? {}, { type: 'integer' });
  t.like(messages.find((p) => p.name === 'after')?.schema ?? {}, { type: 'integer' });
  t.like(params('GET /api/rooms/public').find((p) => p.name === 'limit')?.schema ?? {}, { minimum: 1, maximum: 100, default: 50 });
  t.like(params('GET /api/profiles').find((p) => p.name === 'ids') ?? {}, {
    in: 'query',
    style: 'form',
    explode: false,
    schema: { maxItems: 100, minItems: 1 },
  });
});

test('when the avatar routes are read, uploads take png, jpeg or webp up to 1 MiB and downloads carry ETag with a 304', (t) => {
  const upload = doc.paths['/api/profiles/me/avatar']?.put;
  t.deepEqual(Object.keys(upload?.requestBody?.content ?? {}), ['image/png', 'image/jpeg', 'image/webp']);
  t.is(upload?.requestBody?.['x-max-bytes'], 1024 * 1024);
  const download = doc.paths['/api/profiles/{userId}/avatar']?.get;
  t.deepEqual(Object.keys(download?.responses['200']?.content ?? {}), ['image/png', 'image/jpeg', 'image/webp']);
  t.deepEqual(download?.responses['200']?.headers?.['ETag'], { $ref: '#/components/headers/ETag' });
  t.truthy(download?.responses['304']);
  t.true(download?.parameters?.some((p) => 'name' in p && p.name === 'If-None-Match'));
});

test('when the Socket.IO contract is read from x-socket-io, it has every event of docs/api.md with its payload and ack', (t) => {
  const socket = doc['x-socket-io'] as {
    path: string;
    connectError: unknown;
    clientToServer: Record<string, { payload: unknown; ack: unknown; description: string }>;
    serverToClient: Record<string, { payload: unknown; description: string }>;
  };
  t.is(socket.path, '/socket.io');
  t.like(socket.connectError, { message: 'unauthenticated' });
  t.deepEqual(Object.keys(socket.clientToServer).sort(), [...SOCKET_CLIENT_EVENTS, ...SOCKET_ADDITIONS.clientToServer].sort());
  t.deepEqual(Object.keys(socket.serverToClient).sort(), [...SOCKET_SERVER_EVENTS, ...SOCKET_ADDITIONS.serverToClient].sort());
  for (const name of SOCKET_ADDITIONS.clientToServer)
    t.regex(socket.clientToServer[name]?.description ?? '', /An addition to the first version of the contract/);
  for (const name of SOCKET_ADDITIONS.serverToClient)
    t.regex(socket.serverToClient[name]?.description ?? '', /An addition to the first version of the contract/);
  t.is(socket.clientToServer['typing']?.ack, null);
  const { rewritten, compile } = schemaChecker(doc);
  const events = (rewritten as unknown as { 'x-socket-io': typeof socket })['x-socket-io'];
  const sendAck = compile(events.clientToServer['message:send']?.ack);
  t.true(sendAck({ ok: false, error: { code: 'forbidden', message: 'Not a member' } }));
  t.false(sendAck({ ok: true }));
  const send = compile(events.clientToServer['message:send']?.payload);
  t.true(send({ roomId: '8c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f', body: 'hi', clientMsgId: 'c-1' }));
  t.false(send({ roomId: '8c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f', body: 'hi' }), 'clientMsgId is required over the socket');
  t.regex(doc.info.description, /## Real time \(Socket\.IO\)/);
});

/** Stands in for the authenticate middleware, so a route's stack shows whether it needs a token. */
const requireUserMarker: Middleware<RequestState> = async function requireUserMarker(_ctx, next) {
  await next();
};

/** The gateway's config with every default (no tokens: the app-token check is off, as in unit tests). */
const defaultConfig = (): Config =>
  Object.fromEntries(Object.entries(settings).map(([key, setting]) => [key, (setting as { default?: unknown }).default])) as unknown as Config;

/** The gateway's route factories, built as app.ts builds them (with inert dependencies: nothing is called). */
function mountedAreas(): Record<string, { router: Router<RequestState>; owns: (path: string) => boolean }> {
  const config = defaultConfig();
  const deps: RouteDeps = {
    config,
    logger: createLogger({ name: 'openapi-test', level: 'silent' }),
    ...UNREACHED_SERVICES,
    requireUser: requireUserMarker,
    limit: () => async (_ctx, next) => next(),
    clientAddress: () => '127.0.0.1',
    presence: { online: async () => new Set<string>() },
  };
  return {
    auth: { router: authRoutes(deps), owns: (path) => path.startsWith('/api/auth/') },
    profiles: { router: profilesRoutes(deps), owns: (path) => path === '/api/profiles' || path.startsWith('/api/profiles/') },
    rooms: { router: roomsRoutes(deps), owns: (path) => path === '/api/rooms' || path.startsWith('/api/rooms/') || path === '/api/dms' },
    health: { router: healthRoutes({ upstream: UNREACHED_SERVICES.upstream, timeoutMs: 1_000 }), owns: (path) => path === '/api/health' },
    docs: { router: docsRoutes(), owns: (path) => path === '/api/openapi.json' || path === '/api/docs' || path.startsWith('/api/docs/') },
  };
}

/** `METHOD /path/{param}` of every route a router mounts (HEAD is Koa's automatic twin of GET), and whether it needs a token. */
function routesOf(router: Router<RequestState>): Map<string, boolean> {
  const out = new Map<string, boolean>();
  const guards = router.stack.filter((layer) => layer.methods.length === 0 && layer.stack.includes(requireUserMarker));
  for (const layer of router.stack) {
    if (layer.methods.length === 0 || typeof layer.path !== 'string') continue;
    const path = layer.path.replace(/:(\w+)/g, '{$1}');
    const guarded = layer.stack.includes(requireUserMarker) || guards.some((guard) => guard.match(layer.path as string));
    for (const method of layer.methods) if (method !== 'HEAD') out.set(`${method} ${path}`, guarded);
  }
  return out;
}

test("when the gateway's routers are built, every route they mount is in the document with the same authentication, and every landed area mounts all of its operations", (t) => {
  const documented = new Map(operations(doc).map(([key, op]) => [key, op.security.length > 0]));
  for (const [area, { router, owns }] of Object.entries(mountedAreas())) {
    const mounted = routesOf(router);
    for (const [key, authenticated] of mounted) {
      t.true(documented.has(key), `${area}: ${key} is mounted but not in the document (nor in docs/api.md)`);
      if (documented.has(key))
        t.is(authenticated, Boolean(documented.get(key)), `${area}: ${key} ${authenticated ? 'needs' : 'does not need'} a token, the document says otherwise`);
    }
    const expected = [...documented.keys()].filter((key) => owns(key.slice(key.indexOf(' ') + 1)));
    if (mounted.size === 0) {
      t.log(`${area}: no routes mounted yet, ${expected.length} documented operations not compared`);
      continue;
    }
    t.deepEqual(
      expected.filter((key) => !mounted.has(key)),
      [],
      `${area}: documented operations that are not mounted`,
    );
  }
});

/** The gateway's whole app, as main.ts builds it (with inert dependencies: nothing is called). */
const gatewayApp = () =>
  createApp({
    config: defaultConfig(),
    logger: createLogger({ name: 'openapi-test', level: 'silent' }),
    ...UNREACHED_SERVICES,
    readiness: {},
    tokens: { verify: async () => Promise.reject(new Error('no token is verified in this test')) },
    presence: { online: async () => new Set<string>() },
  });

test("when the gateway's app is built, the routes its routers serve under /api are exactly the documented operations, and the others are the probes, the sidecar's and the web client's", (t) => {
  // router.routes() is a middleware that keeps its router (@koa/router sets `dispatch.router`).
  const routers = gatewayApp().middleware.flatMap((middleware) => {
    const router = (middleware as unknown as { router?: Router<RequestState> }).router;
    return router ? [router] : [];
  });
  const served = [...new Set(routers.flatMap((router) => [...routesOf(router).keys()]))];
  const isApi = (key: string) => key.includes(' /api/');
  t.deepEqual(
    served.filter(isApi).sort(),
    operations(doc)
      .map(([key]) => key)
      .sort(),
  );
  t.deepEqual(served.filter((key) => !isApi(key)).sort(), NON_API_ROUTES);
});

test('when docs/api.md lists the operations, its table matches the document (operation and whether a token is needed)', (t) => {
  const index = readFileSync(new URL('../../../../docs/api.md', import.meta.url), 'utf8');
  const rows = [...index.matchAll(/^\| `(GET|PUT|POST|PATCH|DELETE) ([^`]+)` \| (token|public) \|/gm)].map((m) => `${m[1]} ${m[2]} ${m[3]}`);
  t.deepEqual(
    rows.sort(),
    operations(doc)
      .map(([key, op]) => `${key} ${op.security.length > 0 ? 'token' : 'public'}`)
      .sort(),
  );
});

test("when the gateway's own app serves the docs, no token is needed, and its errors match the document's schemas", async (t) => {
  const gateway = gatewayApp().listen(0, '127.0.0.1');
  t.teardown(() => new Promise<void>((resolve) => gateway.close(() => resolve())));
  await new Promise<void>((resolve) => gateway.once('listening', () => resolve()));
  const url = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`;

  const json = await fetch(`${url}/api/openapi.json`);
  t.is(json.status, 200);
  t.deepEqual(await json.json(), doc);
  const page = await fetch(`${url}/api/docs`);
  t.is(page.status, 200);
  t.is(page.headers.get('content-type'), 'text/html; charset=utf-8');

  const { compile, rewritten } = schemaChecker(doc);
  const me = await fetch(`${url}/api/auth/me`);
  t.is(me.status, 401);
  t.is(me.headers.get('www-authenticate'), 'Bearer');
  const meSchema = rewritten.paths['/api/auth/me']?.get?.responses['401']?.content?.['application/json']?.schema;
  const validate401 = compile(meSchema);
  t.true(validate401(await me.json()), JSON.stringify(validate401.errors));
  const unknown = await fetch(`${url}/api/nowhere`);
  t.is(unknown.status, 404);
  const validateError = compile({ $ref: 'https://chat.invalid/openapi#/$defs/Error' });
  t.true(validateError(await unknown.json()), JSON.stringify(validateError.errors));
});
