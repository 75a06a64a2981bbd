import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ExecutionContext } from 'ava';
import { createLogger } from '@chat/platform';
import { memoryAvatarStorage, memoryProfileEvents, memoryProfileStore } from '../../src/adapters/memory/index.js';
import { createProfileService } from '../../src/domain/profiles.js';
import { createApp } from '../../src/http/app.js';

/** Tiny but real images (1x1 pixel), and the start of other formats. */
export const IMAGES = {
  png: Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64'),
  jpeg: Buffer.from(
    '/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP//////////////////////////////////////////////////////////////////////////////////////wgALCAABAAEBAREA/8QAFBABAAAAAAAAAAAAAAAAAAAAAP/aAAgBAQABPxA=',
    'base64',
  ),
  webp: Buffer.from('UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==', 'base64'),
  svg: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="1" height="1"/></svg>'),
  html: Buffer.from('<!doctype html><html><body><script>alert(1)</script></body></html>'),
  gif: Buffer.from('R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==', 'base64'),
};

/** A PNG of exactly `size` bytes: a real signature and IHDR, then padding. */
export function pngOfSize(size: number): Buffer {
  const out = Buffer.alloc(size, 0x20);
  IMAGES.png.copy(out, 0, 0, Math.min(IMAGES.png.length, size));
  return out;
}

export const silentLogger = () => createLogger({ name: 'profile-service-test', level: 'silent' });

export const BASE_URL = 'https://chat.example.test';

/** The use cases over in-memory ports, with a controllable clock. */
export function memoryService(options: { now?: () => Date } = {}) {
  const store = memoryProfileStore();
  const events = memoryProfileEvents();
  const avatars = memoryAvatarStorage();
  let clock = Date.parse('2026-01-01T00:00:00.000Z');
  const now = options.now ?? (() => new Date((clock += 1_000)));
  const service = createProfileService({ store, events, avatars, publicBaseUrl: BASE_URL, logger: silentLogger(), now });
  return { service, store, events, avatars };
}

/** The Koa app in-process on a free port (no sidecar, no app token); closed at teardown. */
export async function withApp(t: ExecutionContext) {
  const deps = memoryService();
  const app = createApp({ logger: silentLogger(), profiles: deps.service });
  const server: Server = createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  /** Calls the app as the gateway's sidecar would, on behalf of `userId`. */
  const call = (path: string, init: RequestInit & { userId?: string; caller?: string } = {}) => {
    const { userId, caller = 'api-gateway', headers, ...rest } = init;
    return fetch(url + path, {
      ...rest,
      headers: {
        'dapr-caller-app-id': caller,
        ...(userId ? { 'x-user-id': userId } : {}),
        ...(headers as Record<string, string> | undefined),
      },
    });
  };
  return { ...deps, url, call };
}

export const registered = (userId: string, username: string, extra: Record<string, unknown> = {}) => ({
  userId,
  username,
  email: `${username}@example.test`,
  displayName: null,
  createdAt: '2026-01-01T00:00:00.000Z',
  ...extra,
});
