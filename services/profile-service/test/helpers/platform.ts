/**
 * Helpers for the integration tests: calls through a real sidecar, the
 * sidecars' own metrics, the app's log lines, and a tap that subscribes to
 * topics through a sidecar of its own (a real consumer of the broker).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  daprdPath,
  freePort,
  SIDECAR_ENV,
  sidecarArgs,
  startProcess,
  waitFor,
  type ManagedProcess,
  type Platform,
  type RunningService,
} from '@chat/devkit/testing';

/** The DAPR_API_TOKEN of `appId`'s sidecars (each app-id has its own). */
export const token = (platform: Platform, appId = 'api-gateway'): string => platform.runEnv.tokens(appId).daprApiToken;

/** Publishes on the `events` component through the sidecar on `port`, as a CloudEvent with our own id. */
export async function publishEvent(platform: Platform, port: number, topic: string, data: unknown, id: string): Promise<void> {
  const response = await fetch(`http://127.0.0.1:${port}/v1.0/publish/events/${topic}`, {
    method: 'POST',
    headers: { 'dapr-api-token': token(platform), 'content-type': 'application/cloudevents+json' },
    body: JSON.stringify({ specversion: '1.0', id, source: 'profile-service-test', type: 'com.example.test', datacontenttype: 'application/json', data }),
  });
  if (response.status !== 204) throw new Error(`publishing ${topic} answered ${response.status}: ${await response.text()}`);
}

/** The counters a sidecar exports on its metrics port (Prometheus text), summed over the series that match `labels`. */
export async function daprCounter(instance: RunningService, name: string, labels: Record<string, string>): Promise<number> {
  const args = instance.daprd.child.spawnargs;
  const port = args[args.indexOf('--metrics-port') + 1];
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const [series, value] = [line.slice(0, line.lastIndexOf(' ')), line.slice(line.lastIndexOf(' ') + 1)];
    if (Object.entries(labels).every(([k, v]) => series.includes(`${k}="${v}"`))) total += Number(value);
  }
  return total;
}

/** The app's pino log lines so far, parsed. */
export function appLog(instance: RunningService): Array<Record<string, unknown>> {
  return readFileSync(instance.app.logFile, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

export interface EventTap {
  events: Array<{ id: string; topic: string; source: string; data: unknown }>;
  /** Resolves with the first event (seen or still to come) that matches. */
  next(match: (event: EventTap['events'][number]) => boolean, what: string): Promise<EventTap['events'][number]>;
  stop(): Promise<void>;
}

/**
 * A subscriber of `topics` on `events` with a real sidecar of its own, under
 * `appId` (its consumer group). Use an app-id that is not running in the
 * platform, or the two would share the group's deliveries.
 */
export async function startEventTap(platform: Platform, appId: string, topics: string[]): Promise<EventTap> {
  const events: EventTap['events'] = [];
  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/dapr/subscribe') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(topics.map((topic) => ({ pubsubname: 'events', topic, route: '/tap' }))));
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.url === '/tap') events.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as EventTap['events'][number]);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ status: 'SUCCESS' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const appPort = (server.address() as AddressInfo).port;
  const [httpPort, grpcPort, metricsPort] = await Promise.all([freePort(), freePort(), freePort()]);
  const daprd: ManagedProcess = startProcess(
    daprdPath(),
    sidecarArgs({ appId, appPort, httpPort, grpcPort, metricsPort, resourcesPath: platform.runEnv.resourcesPath, configPath: platform.runEnv.configPath }),
    {
      env: { ...process.env, ...platform.runEnv.appEnv(appId), ...SIDECAR_ENV, POD_NAME: `${appId}-tap` },
      cwd: platform.runEnv.runDir,
      logFile: join(platform.runEnv.runDir, 'logs', `${appId}-tap.daprd.log`),
    },
  );
  const stop = async () => {
    await daprd.stop();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  let exited = false;
  void daprd.exited.then(() => (exited = true));
  try {
    await waitFor(
      async () => {
        if (exited) throw new Error(`the tap's daprd exited; see ${daprd.logFile}`);
        return (await fetch(`http://127.0.0.1:${httpPort}/v1.0/healthz`, { signal: AbortSignal.timeout(1_000) })).status === 204;
      },
      { what: `the event tap's sidecar (log: ${daprd.logFile})`, timeoutMs: 60_000, intervalMs: 100 },
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    events,
    next: (match, what) => waitFor(() => events.find(match), { what, timeoutMs: 10_000, intervalMs: 20 }),
    stop,
  };
}
