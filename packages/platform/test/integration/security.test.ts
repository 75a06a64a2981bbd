import test from 'ava';
import { startPlatform, type Platform } from '@chat/devkit/testing';

let platform: Platform;
test.before(async () => {
  platform = await startPlatform({ services: ['profile-service'], callerSidecars: ['api-gateway', 'chat-service'] });
});
test.after.always(() => platform?.stop());

const token = () => platform.runEnv.tokens('profile-service').appApiToken;
const daprToken = (appId: string) => platform.runEnv.tokens(appId).daprApiToken;

test('when a request reaches a service without its app token, it is refused with 401 in the contract shape', async (t) => {
  const { url } = platform.instance('profile-service');
  for (const headers of [{}, { 'dapr-api-token': 'not-the-token' }] as Array<Record<string, string>>) {
    const response = await fetch(`${url}/profiles/me`, { headers: { ...headers, 'x-user-id': 'u1' } });
    t.is(response.status, 401);
    t.is(response.headers.get('www-authenticate'), 'Bearer');
    const body = (await response.json()) as { error: { code: string }; requestId: string };
    t.is(body.error.code, 'unauthenticated');
    t.truthy(body.requestId);
  }
  const ok = await fetch(`${url}/healthz`);
  t.is(ok.status, 200, 'liveness needs no token');
});

test('when its own sidecar calls with the app token, the request is let through', async (t) => {
  const { url } = platform.instance('profile-service');
  const response = await fetch(`${url}/dapr/subscribe`, { headers: { 'dapr-api-token': token() } });
  t.not(response.status, 401);
});

test('when a sidecar is called without the Dapr API token, it refuses', async (t) => {
  const { daprHttpPort } = platform.callerSidecars['api-gateway']!;
  const response = await fetch(`http://127.0.0.1:${daprHttpPort}/v1.0/invoke/profile-service/method/healthz`);
  t.is(response.status, 401);
  const withToken = await fetch(`http://127.0.0.1:${daprHttpPort}/v1.0/invoke/profile-service/method/healthz`, {
    headers: { 'dapr-api-token': daprToken('api-gateway') },
  });
  t.is(withToken.status, 200);
});

test('when another service than the gateway calls a user-facing route, it is refused with 403', async (t) => {
  const { daprHttpPort } = platform.callerSidecars['chat-service']!;
  const response = await fetch(`http://127.0.0.1:${daprHttpPort}/v1.0/invoke/profile-service/method/profiles/me`, {
    headers: { 'dapr-api-token': daprToken('chat-service'), 'x-user-id': 'u1' },
  });
  t.is(response.status, 403);
  t.is(((await response.json()) as { error: { code: string } }).error.code, 'forbidden');
});
