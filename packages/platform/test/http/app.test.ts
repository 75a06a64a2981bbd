import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import { AppError, createHttpApp, createLogger, finishApp, validate, object, str } from '@chat/platform';

const logger = createLogger({ name: 'test', level: 'silent' });

async function serve(t: { teardown: (fn: () => void) => void }, appApiToken?: string): Promise<string> {
  const { app, router } = createHttpApp({ logger, appApiToken });
  router.post('/echo', (ctx) => {
    ctx.body = validate(ctx.request.body, object({ name: str({ min: 1, max: 5 }) }));
  });
  router.get('/boom', () => {
    throw new Error('secret internals');
  });
  router.get('/teapot', () => {
    throw new AppError('rate_limited', 'Slow down', { retryAfterSeconds: 3 });
  });
  const server: Server = createServer(finishApp(app, router).callback());
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => server.close());
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const post = (url: string, body: string, type = 'application/json') =>
  fetch(url, { method: 'POST', body, headers: { 'content-type': type } });

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
