import { randomUUID } from 'node:crypto';
import { startPlatform, waitFor, type Platform } from '@chat/devkit/testing';

/**
 * Users and rooms for real-time integration tests: users are registered
 * through the gateway (real tokens); rooms are set up by calling chat-service
 * as the gateway would, through an app-less `api-gateway` sidecar
 * (`callerSidecars: ['api-gateway']`), so the socket tests do not depend on
 * the gateway's REST room routes.
 */
export interface TestUser {
  id: string;
  username: string;
  token: string;
  refreshToken: string;
}

export async function register(platform: Platform, prefix = 'rt'): Promise<TestUser> {
  const username = `${prefix}_${randomUUID().slice(0, 8)}`;
  const response = await fetch(`${platform.gatewayUrl}/api/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, email: `${username}@example.test`, password: `pw-${randomUUID()}` }),
  });
  if (response.status !== 201) throw new Error(`register answered ${response.status}: ${await response.text()}`);
  const body = (await response.json()) as { user: { id: string }; accessToken: string; refreshToken: string };
  return { id: body.user.id, username, token: body.accessToken, refreshToken: body.refreshToken };
}

/** Calls chat-service as the api-gateway, on behalf of `userId`; throws on a non-2xx answer. */
export async function asGateway<T = unknown>(platform: Platform, userId: string, method: string, path: string, body?: unknown): Promise<T> {
  const caller = platform.callerSidecars['api-gateway'];
  if (!caller) throw new Error("start the platform with callerSidecars: ['api-gateway']");
  const response = await fetch(`http://127.0.0.1:${caller.daprHttpPort}/v1.0/invoke/chat-service/method/${path}`, {
    method,
    headers: {
      'dapr-api-token': platform.runEnv.tokens('api-gateway').daprApiToken,
      'x-user-id': userId,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
  return (text && /json/.test(response.headers.get('content-type') ?? '') ? JSON.parse(text) : undefined) as T;
}

export async function createRoom(platform: Platform, owner: TestUser, members: TestUser[] = []): Promise<string> {
  const room = await asGateway<{ id: string }>(platform, owner.id, 'POST', 'rooms', {
    name: `room-${randomUUID().slice(0, 8)}`,
    visibility: 'private',
    memberIds: members.map((m) => m.id),
  });
  return room.id;
}

/**
 * The whole platform for tests that register many users from one address
 * (registration unlimited, cheap password hashing), answered once every
 * service is reachable through the gateway: sidecars are healthy a moment
 * before name resolution finds every app.
 */
export async function startPlatformForUsers(): Promise<Platform> {
  const platform = await startPlatform({ serviceEnv: { 'auth-service': { REGISTER_MAX_PER_ADDRESS: '0', SCRYPT_LOG_N: '10' } } });
  await waitFor(async () => (await fetch(`${platform.gatewayUrl}/api/health`)).status === 200, {
    what: 'every service to be reachable through the gateway',
    timeoutMs: 60_000,
  });
  return platform;
}
