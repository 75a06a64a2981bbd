import test from 'ava';
import { startPlatform, waitFor, type Platform } from '@chat/devkit/testing';

let platform: Platform;

test.before(async () => {
  platform = await startPlatform();
});
test.after.always(async () => {
  await platform?.stop();
});

test.serial('when every service is up, /api/health answers 200 with each one ok, reached through Dapr', async (t) => {
  const response = await fetch(`${platform.gatewayUrl}/api/health`);
  t.is(response.status, 200);
  t.truthy(response.headers.get('x-request-id'));
  t.deepEqual(await response.json(), {
    status: 'ok',
    services: { 'api-gateway': 'ok', 'auth-service': 'ok', 'profile-service': 'ok', 'chat-service': 'ok' },
  });
});

test.serial('when a service stops, /api/health turns 503 degraded with that service marked, within 2 seconds', async (t) => {
  await platform.stopApp('profile-service');
  const stoppedAt = Date.now();
  const body = await waitFor(
    async () => {
      const response = await fetch(`${platform.gatewayUrl}/api/health`);
      return response.status === 503 ? ((await response.json()) as { status: string; services: Record<string, string> }) : undefined;
    },
    { what: 'health to turn degraded', timeoutMs: 10_000 },
  );
  t.true(Date.now() - stoppedAt < 2_000, `took ${Date.now() - stoppedAt} ms`);
  t.deepEqual(body, {
    status: 'degraded',
    services: { 'api-gateway': 'ok', 'auth-service': 'ok', 'profile-service': 'down', 'chat-service': 'ok' },
  });
});
