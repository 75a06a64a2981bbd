/**
 * Integration harness for chat-service: the platform's real sidecars against
 * the Redis profile (the whole platform by default, so that tests go through
 * the gateway with real tokens), plus a stand-in for a gateway replica: a
 * small app with its own daprd (app-id api-gateway) that subscribes to every
 * chat topic on `fanout` and `events` and records what arrives. Its sidecar
 * also calls the chat-service's internal routes the way the gateway does
 * (`dapr-caller-app-id: api-gateway`, the user in `x-user-id`).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { APP_IDS, COMPONENTS, EVENT_TOPICS, FANOUT_TOPICS, USER_ID_HEADER } from '@chat/platform';
import {
  daprdPath,
  freePort,
  SIDECAR_ENV,
  SIDECAR_START_ATTEMPTS,
  sidecarArgs,
  sidecarReadiness,
  startPlatform,
  startProcess,
  waitFor,
  type ManagedProcess,
  type Platform,
  type PlatformOptions,
} from '@chat/devkit/testing';
import { domainTopic } from '../../src/adapters/dapr/publisher.js';
import type { ChatTopic } from '../../src/domain/ports.js';

export interface RecordedEvent {
  pubsub: string;
  topic: string;
  /** The published payload (the FanoutEnvelope, or the domain envelope on `events`). */
  data: { roomId: string; occurredAt: string; data: unknown; actorId?: string };
}

export interface Reply<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export interface TestUser {
  id: string;
  username: string;
  token: string;
}

export interface ChatHarness {
  platform: Platform;
  events: RecordedEvent[];
  /** Registers a user through the gateway (a real access token). */
  user(): Promise<TestUser>;
  /** Calls the gateway's `/api/<path>` as `user` (no user: no token). */
  call<T = any>(user: TestUser | undefined, method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Reply<T>>;
  /** Calls chat-service's `<path>` directly, as the gateway does, on behalf of `userId`. */
  internal<T = any>(userId: string | undefined, method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Reply<T>>;
  /** Resolves with the first recorded event matching `match` (waiting for it if needed). */
  event(match: (e: RecordedEvent) => boolean, what: string, timeoutMs?: number): Promise<RecordedEvent>;
  /** The daprd HTTP port of the gateway stand-in. */
  callerPort: number;
  stop(): Promise<void>;
}

const REALTIME_TOPICS: string[] = Object.values(FANOUT_TOPICS).filter((t) => t !== 'typing' && t !== 'presence');
const DOMAIN_TOPICS = EVENT_TOPICS.filter((t) => t.startsWith(domainTopic('' as ChatTopic)));

export async function startChatHarness(options: PlatformOptions = {}): Promise<ChatHarness> {
  // Many users register from this one address, and cheap hashes keep it quick.
  const platform = await startPlatform({
    ...options,
    serviceEnv: {
      ...options.serviceEnv,
      'auth-service': { REGISTER_MAX_PER_ADDRESS: '0', SCRYPT_LOG_N: '10', ...options.serviceEnv?.['auth-service'] },
    },
  });
  const events: RecordedEvent[] = [];
  const waiters = new Set<{ match: (e: RecordedEvent) => boolean; resolve: (e: RecordedEvent) => void }>();
  let server: Server | undefined;
  let daprd: ManagedProcess | undefined;
  try {
    const subscriptions = [
      ...REALTIME_TOPICS.map((topic) => ({ pubsubname: COMPONENTS.fanout, topic })),
      ...DOMAIN_TOPICS.map((topic) => ({ pubsubname: COMPONENTS.events, topic })),
    ].map((s) => ({ ...s, route: `/deliver/${s.pubsubname}/${s.topic}` }));
    server = createServer((req, res) => {
      if (req.method === 'GET' && req.url === '/dapr/subscribe') {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(subscriptions));
        return;
      }
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const match = /^\/deliver\/([^/]+)\/(.+)$/.exec(req.url ?? '');
        if (match) {
          const cloudEvent = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { data: RecordedEvent['data'] };
          const recorded: RecordedEvent = { pubsub: match[1]!, topic: match[2]!, data: cloudEvent.data };
          events.push(recorded);
          for (const waiter of waiters) {
            if (waiter.match(recorded)) {
              waiters.delete(waiter);
              waiter.resolve(recorded);
            }
          }
        }
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ status: 'SUCCESS' }));
      });
    });
    const appPort = await freePort();
    await new Promise<void>((resolve) => server!.listen(appPort, '127.0.0.1', resolve));
    const [httpPort, grpcPort, metricsPort] = await Promise.all([freePort(), freePort(), freePort()]);
    const label = `gateway-stand-in-${randomUUID().slice(0, 8)}`;
    // Started again if it came up without a component (see failedComponentInits).
    for (let attempt = 1; ; attempt++) {
      daprd = startProcess(
        daprdPath(),
        sidecarArgs({
          appId: APP_IDS.gateway,
          appPort,
          httpPort,
          grpcPort,
          metricsPort,
          resourcesPath: platform.runEnv.resourcesPath,
          configPath: platform.runEnv.configPath,
        }),
        {
          env: { ...process.env, ...platform.runEnv.appEnv(APP_IDS.gateway), ...SIDECAR_ENV, POD_NAME: label },
          cwd: platform.runEnv.runDir,
          logFile: join(platform.runEnv.runDir, 'logs', `${label}.daprd.log`),
        },
      );
      const sidecar: ManagedProcess = daprd;
      const failed = await waitFor(() => sidecarReadiness({ httpPort, metricsPort }), {
        what: `the gateway stand-in's sidecar (log: ${sidecar.logFile})`,
        timeoutMs: 60_000,
        intervalMs: 100,
      });
      if (failed.length === 0) break;
      await sidecar.stop();
      if (attempt >= SIDECAR_START_ATTEMPTS)
        throw new Error(`the gateway stand-in's sidecar went on without ${failed.join(', ')}, ${attempt} times; see ${sidecar.logFile}`);
    }
    const token = platform.runEnv.tokens(APP_IDS.gateway).daprApiToken;
    // Sidecars answer their health check a moment before name resolution
    // finds every app: wait until calls through Dapr reach them.
    await waitFor(
      async () => {
        if (platform.gatewayUrl) return (await fetch(`${platform.gatewayUrl}/api/health`, { signal: AbortSignal.timeout(3_000) })).status === 200;
        const response = await fetch(`http://127.0.0.1:${httpPort}/v1.0/invoke/${APP_IDS.chat}/method/healthz`, {
          headers: { 'dapr-api-token': token },
          signal: AbortSignal.timeout(3_000),
        });
        return response.status === 200;
      },
      { what: 'every service to be reachable through Dapr', timeoutMs: 60_000, intervalMs: 200 },
    );

    const request = async (url: string, method: string, headers: Record<string, string>, body: unknown): Promise<Reply> => {
      const response = await fetch(url, {
        method,
        headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        body: body === undefined ? null : typeof body === 'string' ? body : JSON.stringify(body),
        signal: AbortSignal.timeout(15_000),
      });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // not JSON: keep the text
      }
      return { status: response.status, body: parsed as any, headers: response.headers };
    };

    const harness: ChatHarness = {
      platform,
      events,
      callerPort: httpPort,
      async user() {
        const username = `chat_${randomUUID().slice(0, 12).replace('-', '')}`;
        const reply = await request(
          `${platform.gatewayUrl}/api/auth/register`,
          'POST',
          {},
          {
            username,
            email: `${username}@example.test`,
            password: `pw-${randomUUID()}`,
          },
        );
        if (reply.status !== 201) throw new Error(`register answered ${reply.status}: ${JSON.stringify(reply.body)}`);
        return { id: reply.body.user.id, username, token: reply.body.accessToken };
      },
      call(user, method, path, body, headers = {}) {
        return request(
          `${platform.gatewayUrl}/api/${path.replace(/^\//, '')}`,
          method,
          { ...(user ? { authorization: `Bearer ${user.token}` } : {}), ...headers },
          body,
        );
      },
      internal(userId, method, path, body, headers = {}) {
        return request(
          `http://127.0.0.1:${httpPort}/v1.0/invoke/${APP_IDS.chat}/method/${path.replace(/^\//, '')}`,
          method,
          { 'dapr-api-token': token, ...(userId ? { [USER_ID_HEADER]: userId } : {}), ...headers },
          body,
        );
      },
      event(match, what, timeoutMs = 10_000) {
        const found = events.find(match);
        if (found) return Promise.resolve(found);
        return new Promise((resolve, reject) => {
          const waiter = {
            match,
            resolve: (e: RecordedEvent) => {
              clearTimeout(timer);
              resolve(e);
            },
          };
          const timer = setTimeout(() => {
            waiters.delete(waiter);
            reject(new Error(`Timed out waiting for ${what}`));
          }, timeoutMs);
          waiters.add(waiter);
        });
      },
      async stop() {
        await daprd?.stop();
        await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
        await platform.stop();
      },
    };
    return harness;
  } catch (error) {
    await daprd?.stop();
    server?.close();
    await platform.stop();
    throw error;
  }
}

/**
 * Events of one topic on one pub/sub whose envelope names `roomId`; on
 * `events` the topic is the domain one (`chat.` + topic).
 */
export const inRoom = (pubsub: 'fanout' | 'events', topic: string, roomId: string) => (e: RecordedEvent) =>
  e.pubsub === pubsub && e.topic === (pubsub === 'events' ? domainTopic(topic as ChatTopic) : topic) && e.data.roomId === roomId;
