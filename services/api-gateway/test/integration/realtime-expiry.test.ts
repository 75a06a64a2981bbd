import test from 'ava';
import { startPlatform, waitFor, type Platform } from '@chat/devkit/testing';
import { register } from '../helpers/platform-users.js';
import { connectSocket } from '../helpers/socket-client.js';

// Access tokens that live 30 s (the auth-service's shortest), so that a
// socket outlives its token within the test.

let platform: Platform;

test.before(async () => {
  platform = await startPlatform({
    services: ['api-gateway', 'auth-service', 'chat-service'],
    serviceEnv: { 'auth-service': { ACCESS_TOKEN_TTL_SECONDS: '30' } },
  });
});
test.after.always(async () => {
  await platform?.stop();
});

test('when the access token expires, the socket gets auth:expired and is closed; one refreshed in time stays open', async (t) => {
  const alice = await register(platform);
  const expiring = await connectSocket(t, platform.gatewayUrl, alice.token);
  const refreshing = await connectSocket(t, platform.gatewayUrl, alice.token);
  const { exp, iat } = JSON.parse(Buffer.from(alice.token.split('.')[1]!, 'base64url').toString()) as { exp: number; iat: number };
  // Refresh well into the first token's life: claims are in whole seconds, so
  // a refresh within the same second would expire at the same moment.
  await waitFor(() => Date.now() >= (iat + 10) * 1000, { what: "ten seconds of the first token's life", timeoutMs: 15_000, intervalMs: 200 });

  const refreshed = await fetch(`${platform.gatewayUrl}/api/auth/refresh`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ refreshToken: alice.refreshToken }),
  });
  const { accessToken } = (await refreshed.json()) as { accessToken: string };
  t.like(await refreshing.socket.emitWithAck('auth:refresh', { token: accessToken }), { ok: true });
  const other = await register(platform);
  t.like(await refreshing.socket.emitWithAck('auth:refresh', { token: other.token }), { ok: false, error: { code: 'unauthenticated' } });

  t.deepEqual(await expiring.next('auth:expired', undefined, 45_000), {
    code: 'unauthenticated',
    message: 'The access token expired; reconnect with a fresh one',
  });
  const closedAt = Date.now();
  t.is(await expiring.closed(), 'io server disconnect');
  t.true(closedAt >= exp * 1000 && closedAt < exp * 1000 + 5_000, `closed ${closedAt - exp * 1000} ms after exp`);
  t.true(refreshing.socket.connected, 'the refreshed socket is still open');

  const fresh = await connectSocket(t, platform.gatewayUrl, accessToken);
  t.true(fresh.socket.connected, 'a reconnect with the fresh token is accepted');
});
