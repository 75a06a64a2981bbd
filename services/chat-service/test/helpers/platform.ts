/**
 * Integration harness for chat-service: the platform's real sidecars (chat
 * replicas against the Redis profile), plus a stand-in for the gateway: a
 * small app with its own daprd (app-id api-gateway) that subscribes to every
 * chat topic on `fanout` and `events` and records what arrives, and whose
 * sidecar the tests call chat-service through (so `dapr-caller-app-id` is
 * api-gateway, as in production).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { APP_IDS, COMPONENTS, FANOUT_TOPICS, USER_ID_HEADER } from '@chat/platform';
import {
  daprdPath,
  freePort,
  sidecarArgs,
  startPlatform,
  startProcess,
  waitFor,
  type ManagedProcess,
  type Platform,
  type PlatformOptions,
} from '@chat/platform/testing';
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

export interface ChatHarness {
  platform: Platform;
  events: RecordedEvent[];
  /** Calls chat-service through the gateway stand-in's sidecar as `userId`. */
  call<T = any>(userId: string | undefined, method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Reply<T>>;
  /** Resolves with the first recorded event matching `match` (waiting for it if needed). */
  event(match: (e: RecordedEvent) => boolean, what: string, timeoutMs?: number): Promise<RecordedEvent>;
  /** The daprd HTTP port of the gateway stand-in. */
  callerPort: number;
  stop(): Promise<void>;
}

const REALTIME_TOPICS: string[] = Object.values(FANOUT_TOPICS).filter((t) => t !== 'typing' && t !== 'presence');
const DOMAIN_TOPICS = [...REALTIME_TOPICS, 'room.created', 'room.member_role_changed'].map((t) => domainTopic(t as ChatTopic));

export async function startChatHarness(options: PlatformOptions = {}): Promise<ChatHarness> {
  const platform = await startPlatform({ services: [APP_IDS.chat], ...options });
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
        env: { ...process.env, ...platform.runEnv.env, POD_NAME: label },
        cwd: platform.runEnv.runDir,
        logFile: join(platform.runEnv.runDir, 'logs', `${label}.daprd.log`),
      },
    );
    const sidecar = daprd;
    await waitFor(
      async () => {
        const response = await fetch(`http://127.0.0.1:${httpPort}/v1.0/healthz`, { signal: AbortSignal.timeout(1_000) });
        return response.status === 204;
      },
      { what: `the gateway stand-in's sidecar (log: ${sidecar.logFile})`, timeoutMs: 60_000, intervalMs: 100 },
    );
    const token = platform.runEnv.env['DAPR_API_TOKEN']!;

    const harness: ChatHarness = {
      platform,
      events,
      callerPort: httpPort,
      async call(userId, method, path, body, headers = {}) {
        const response = await fetch(`http://127.0.0.1:${httpPort}/v1.0/invoke/${APP_IDS.chat}/method/${path.replace(/^\//, '')}`, {
          method,
          headers: {
            'dapr-api-token': token,
            ...(userId ? { [USER_ID_HEADER]: userId } : {}),
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
            ...headers,
          },
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
