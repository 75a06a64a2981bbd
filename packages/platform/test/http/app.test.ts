import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import { Type } from '@sinclair/typebox';
import { Text } from '@chat/contract';
import type Koa from 'koa';
import { AppError, createHttpApp, createLogger, finishApp, validate, type HttpAppOptions, type RequestState } from '@chat/platform';

const logger = createLogger({ name: 'test', level: 'silent' });

/** Serves `app` on a free loopback port until the test ends; answers its base URL. */
async function listen(t: { teardown: (fn: () => void) => void }, app: Koa<RequestState>): Promise<string> {
  const server: Server = createServer(app.callback());
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => server.close());
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function serve(t: { teardown: (fn: () => void) => void }, appApiToken?: string): Promise<string> {
  const { app, router } = createHttpApp({ logger, appApiToken });
  router.post('/echo', (ctx) => {
    ctx.body = validate(ctx.request.body, Type.Object({ name: Text({ minLength: 1, maxLength: 5 }) }, { additionalProperties: false }));
  });
  router.get('/boom', () => {
    throw new Error('secret internals');
  });
  router.get('/teapot', () => {
    throw new AppError('rate_limited', 'Slow down', { retryAfterSeconds: 3 });
  });
  return listen(t, finishApp(app, router));
}

const post = (url: string, body: string, type = 'application/json') => fetch(url, { method: 'POST', body, headers: { 'content-type': type } });

test('when the body is not valid JSON, the answer is 400 invalid_json in the contract shape with the request id', async (t) => {
  const url = await serve(t);
  const response = await fetch(`${url}/echo`, { method: 'POST', body: '{"name":', headers: { 'content-type': 'application/json', 'x-request-id': 'req-1' } });
  t.is(response.status, 400);
  t.is(response.headers.get('x-request-id'), 'req-1');
  t.deepEqual(await response.json(), { error: { code: 'invalid_json', message: 'The body is not valid JSON' }, requestId: 'req-1' });
});

test('when the body is over 64 KiB, the answer is 413 payload_too_large', async (t) => {
  const url = await serve(t);
  const response = await post(`${url}/echo`, JSON.stringify({ name: 'x'.repeat(70 * 1024) }));
  t.is(response.status, 413);
  t.is(((await response.json()) as { error: { code: string } }).error.code, 'payload_too_large');
});

test('when the body is not JSON, the answer is 415 unsupported_media_type', async (t) => {
  const url = await serve(t);
  const response = await post(`${url}/echo`, 'name=x', 'application/x-www-form-urlencoded');
  t.is(response.status, 415);
  t.is(((await response.json()) as { error: { code: string } }).error.code, 'unsupported_media_type');
});

test('when fields are wrong, validation_failed lists each one, unicode counted in code points', async (t) => {
  const url = await serve(t);
  const ok = await post(`${url}/echo`, JSON.stringify({ name: '😀😀😀😀😀' }));
  t.is(ok.status, 200, 'five emoji are five characters');
  const response = await post(`${url}/echo`, JSON.stringify({ name: 7, extra: true }));
  t.is(response.status, 400);
  t.like(await response.json(), {
    error: {
      code: 'validation_failed',
      details: [
        { path: 'body.extra', message: 'is not a known field' },
        { path: 'body.name', message: 'must be a string' },
      ],
    },
  });
});

test('when a handler fails unexpectedly, the client gets 500 internal without the error text', async (t) => {
  const url = await serve(t);
  const response = await fetch(`${url}/boom`);
  t.is(response.status, 500);
  const body = (await response.json()) as { error: { code: string; message: string } };
  t.deepEqual(body.error, { code: 'internal', message: 'Internal error' });
});

test('when an AppError carries a retry delay, Retry-After is set; unknown routes answer 404 not_found', async (t) => {
  const url = await serve(t);
  const limited = await fetch(`${url}/teapot`);
  t.is(limited.status, 429);
  t.is(limited.headers.get('retry-after'), '3');
  const missing = await fetch(`${url}/nope`);
  t.is(missing.status, 404);
  t.is(((await missing.json()) as { error: { code: string } }).error.code, 'not_found');
});

test('when an app token is configured, calls without it get 401 but /healthz stays open', async (t) => {
  const url = await serve(t, 'a-long-enough-app-token');
  t.is((await fetch(`${url}/teapot`)).status, 401);
  t.is((await fetch(`${url}/teapot`, { headers: { 'dapr-api-token': 'a-long-enough-app-token' } })).status, 429);
  t.is((await fetch(`${url}/healthz`)).status, 200);
});

test('when a body nests too deep or names a prototype key, at any depth or in any escape, it is 400 invalid_json', async (t) => {
  const url = await serve(t);
  const bodies = [
    '['.repeat(30_000) + ']'.repeat(30_000),
    '{"name":' + '{"a":'.repeat(17) + '1' + '}'.repeat(17) + '}',
    '{"name":"a","__proto__":{"x":1}}',
    '{"name":"a","\\u005f\\u005fproto\\u005f\\u005f":{"x":1}}',
    '{"name":"a","constructor":{"prototype":{"x":1}}}',
    '{"name":{"inner":[{"prototype":1}]}}',
    '"[[[[ not nesting inside a string ]]]]"x',
  ];
  for (const body of bodies) {
    const response = await post(`${url}/echo`, body);
    t.is(response.status, 400, body.slice(0, 50));
    t.is(((await response.json()) as { error: { code: string } }).error.code, 'invalid_json');
  }
  t.is(({} as Record<string, unknown>)['x'], undefined);
  // Brackets inside strings do not count as nesting.
  const fine = await post(`${url}/echo`, JSON.stringify({ name: '[[[[' }));
  t.is(fine.status, 200);
});

test('when a body carries keys that only exist on the prototype (toString, hasOwnProperty), they are unknown fields', async (t) => {
  const url = await serve(t);
  for (const key of ['toString', 'hasOwnProperty', 'valueOf', '__defineGetter__']) {
    const response = await post(`${url}/echo`, JSON.stringify({ name: 'a', [key]: 1 }));
    t.is(response.status, 400, key);
    t.like(await response.json(), { error: { code: 'validation_failed', details: [{ path: `body.${key}`, message: 'is not a known field' }] } });
  }
});

test('when a path is spelled in another case, with a trailing slash or doubled slashes, it is another path: 404, never the route', async (t) => {
  const { app, router } = createHttpApp({ logger, appApiToken: 'the-app-token-0123456789' });
  router.get('/healthz-like', (ctx) => {
    ctx.body = { reached: true };
  });
  const url = await listen(t, finishApp(app, router));
  for (const path of ['/HEALTHZ', '/Healthz', '/healthz/', '/READYZ']) {
    // Only the exact probe paths skip the token: every other spelling needs it, and then is no route.
    const response = await fetch(url + path);
    t.is(response.status, 401, path);
  }
  for (const path of ['/HEALTHZ-LIKE', '/healthz-like/', '//healthz-like', '/%68ealthz-like']) {
    const response = await fetch(url + path, { headers: { 'dapr-api-token': 'the-app-token-0123456789' } });
    t.is(response.status, 404, path);
  }
});

const token = 'the-app-token-0123456789';

/** A client-facing app with a client route (`GET /api/open`) and a sidecar route (`POST /events/thing`), served until the test ends. */
function serveClientFacing(t: { teardown: (fn: () => void) => void }, options: Partial<HttpAppOptions> = {}): Promise<string> {
  const { app, router, sidecarRouter } = createHttpApp({ logger, appApiToken: token, clientFacing: true, ...options });
  sidecarRouter.post('/events/thing', (ctx) => {
    ctx.body = { delivered: true };
  });
  router.get('/api/open', (ctx) => {
    ctx.body = { open: true };
  });
  return listen(t, finishApp(app, router, sidecarRouter));
}

test('when a client-facing app mounts routes on sidecarRouter, each needs the token and no other spelling reaches them', async (t) => {
  const url = await serveClientFacing(t);
  t.is((await fetch(`${url}/api/open`)).status, 200, 'client routes need no sidecar token');
  t.is((await fetch(`${url}/events/thing`, { method: 'POST' })).status, 401);
  t.is((await fetch(`${url}/events/thing`, { method: 'POST', headers: { 'dapr-api-token': 'wrong-token-0123456789' } })).status, 401);
  for (const path of ['/EVENTS/thing', '/events/Thing', '/events/thing/', '/%65vents/thing', '//events/thing']) {
    t.is((await fetch(url + path, { method: 'POST' })).status, 404, path);
  }
  t.is((await fetch(`${url}/events/thing`, { method: 'POST', headers: { 'dapr-api-token': token } })).status, 200);
});

test("when a request carries the sidecar's app token, client admission is skipped; with any other token, or none, it is a client's and admitted", async (t) => {
  let admitted = 0;
  const url = await serveClientFacing(t, {
    // A client limit of five requests in all.
    admission: async (_ctx, next) => {
      if (++admitted > 5) throw new AppError('rate_limited', 'Slow down', { retryAfterSeconds: 1 });
      await next();
    },
  });
  const deliver = (headers: Record<string, string>) => fetch(`${url}/events/thing`, { method: 'POST', headers });

  const delivered = await Promise.all(Array.from({ length: 50 }, () => deliver({ 'dapr-api-token': token })));
  t.deepEqual(
    delivered.map((r) => r.status),
    Array(50).fill(200),
    'ten times the client limit, all delivered',
  );
  t.is(admitted, 0, "the sidecar's calls take nothing from a client's limit");

  const spellings: Array<[string, Record<string, string>]> = [
    ['no token', {}],
    ['an empty token', { 'dapr-api-token': '' }],
    ['a wrong token', { 'dapr-api-token': 'guess-guess-guess-guess' }],
    ['the token in upper case', { 'dapr-api-token': token.toUpperCase() }],
    ['the token with a space inside', { 'dapr-api-token': `${token.slice(0, 8)} ${token.slice(8)}` }],
    ['the token and more', { 'dapr-api-token': `${token} ` + token }],
    ['the token cut short', { 'dapr-api-token': token.slice(0, -1) }],
  ];
  for (const [what, headers] of spellings) {
    admitted = 0;
    const statuses = [];
    for (let i = 0; i < 7; i++) statuses.push((await deliver(headers)).status);
    t.deepEqual(statuses, [401, 401, 401, 401, 401, 429, 429], `${what}: a client request, refused, and limited past five`);
    t.is(admitted, 7, what);
  }
  admitted = 0;
  const open = [];
  for (let i = 0; i < 7; i++) open.push((await fetch(`${url}/api/open`)).status);
  t.deepEqual(open, [200, 200, 200, 200, 200, 429, 429], 'client routes are admitted as before');
});
