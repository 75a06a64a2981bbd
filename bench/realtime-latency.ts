/**
 * Real-time delivery latency: the time from a client emitting `message:send`
 * to each member receiving `message:new`, with two gateway replicas, each
 * with its own sidecar, the real chat-service, and fan-out through the
 * profile's `fanout` component. Members are split between the replicas, so
 * the report has same-replica and cross-replica deliveries, and checks that
 * every member received every message exactly once, in seq order.
 *
 *   node --import tsx bench/realtime-latency.ts [--senders 4] [--members 8] [--messages 50] [--rate 5]
 *
 * Each sender sends `--messages` messages at `--rate` per second (under the
 * per-user limit of 10/s), all senders at once. Prints a JSON report and a
 * markdown table, and writes the JSON to bench/results/realtime-latency.json.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents } from '@chat/platform';
import { REPO_ROOT, startPlatform, waitFor, type Platform } from '@chat/devkit/testing';

const { values: args } = parseArgs({
  options: {
    senders: { type: 'string', default: '4' },
    members: { type: 'string', default: '8' },
    messages: { type: 'string', default: '50' },
    rate: { type: 'string', default: '5' },
  },
});
const SENDERS = Number(args.senders);
const MEMBERS = Math.max(Number(args.members), SENDERS);
const MESSAGES = Number(args.messages);
const RATE = Number(args.rate);

type Client = Socket<ServerToClientEvents, ClientToServerEvents>;

async function register(platform: Platform): Promise<{ id: string; token: string }> {
  const username = `bench_${randomUUID().slice(0, 8)}`;
  const response = await fetch(`${platform.gatewayUrl}/api/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, email: `${username}@example.test`, password: `pw-${randomUUID()}` }),
  });
  if (response.status !== 201) throw new Error(`register answered ${response.status}`);
  const body = (await response.json()) as { user: { id: string }; accessToken: string };
  return { id: body.user.id, token: body.accessToken };
}

async function createRoom(platform: Platform, ownerId: string, memberIds: string[]): Promise<string> {
  const caller = platform.callerSidecars['api-gateway']!;
  const response = await fetch(`http://127.0.0.1:${caller.daprHttpPort}/v1.0/invoke/chat-service/method/rooms`, {
    method: 'POST',
    headers: { 'dapr-api-token': platform.runEnv.tokens('api-gateway').daprApiToken, 'x-user-id': ownerId, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'bench', visibility: 'private', memberIds }),
  });
  if (response.status !== 201) throw new Error(`create room answered ${response.status}`);
  return ((await response.json()) as { id: string }).id;
}

function connect(url: string, token: string): Promise<Client> {
  const socket: Client = io(url, { path: '/socket.io', transports: ['websocket'], auth: { token }, reconnection: false, forceNew: true });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
const summary = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 10) / 10;
  return {
    count: sorted.length,
    p50: round(percentile(sorted, 50)),
    p95: round(percentile(sorted, 95)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted.at(-1) ?? Number.NaN),
  };
};

const platform = await startPlatform({
  gatewayReplicas: 2,
  callerSidecars: ['api-gateway'],
  serviceEnv: { 'auth-service': { REGISTER_MAX_PER_ADDRESS: '0' } },
});
const sockets: Client[] = [];
try {
  const urls = [platform.instance('api-gateway').url, platform.instance('api-gateway#2').url];
  const users = await Promise.all(Array.from({ length: MEMBERS }, () => register(platform)));
  const roomId = await createRoom(
    platform,
    users[0]!.id,
    users.slice(1).map((u) => u.id),
  );
  const replicaOf = (i: number) => i % 2;
  const clients = await Promise.all(users.map((u, i) => connect(urls[replicaOf(i)]!, u.token)));
  sockets.push(...clients);

  /** clientMsgId -> emit time and the sender's replica. */
  const sent = new Map<string, { at: number; replica: number }>();
  const sameReplica: number[] = [];
  const crossReplica: number[] = [];
  const acks: number[] = [];
  const received = clients.map(() => [] as number[]);
  clients.forEach((client, i) => {
    client.on('message:new', (message) => {
      const now = performance.now();
      received[i]!.push(message.seq);
      const origin = message.clientMsgId ? sent.get(message.clientMsgId) : undefined;
      if (!origin) return;
      (origin.replica === replicaOf(i) ? sameReplica : crossReplica).push(now - origin.at);
    });
  });

  const started = performance.now();
  const failures: string[] = [];
  await Promise.all(
    clients.slice(0, SENDERS).map(async (client, s) => {
      for (let n = 0; n < MESSAGES; n++) {
        // Paced at RATE per second from the sender's start, not after each ack.
        const due = started + (n * 1000) / RATE;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        const clientMsgId = randomUUID();
        const at = performance.now();
        sent.set(clientMsgId, { at, replica: replicaOf(s) });
        const ack = await client.emitWithAck('message:send', { roomId, body: `bench ${s}/${n}`, clientMsgId });
        acks.push(performance.now() - at);
        if (!ack.ok) failures.push(ack.error.code);
      }
    }),
  );
  const total = SENDERS * MESSAGES - failures.length;
  await waitFor(() => received.every((r) => r.length >= total), { what: 'every member to receive every message', timeoutMs: 30_000 });
  const seconds = (performance.now() - started) / 1000;
  const inOrder = received.every((r) => r.length === total && r.every((seq, i) => seq === i + 1));

  const report = {
    bench: 'realtime-latency',
    when: new Date().toISOString(),
    machine: { cpus: availableParallelism(), loadavg1: loadavg()[0] },
    profile: platform.profile,
    gatewayReplicas: 2,
    senders: SENDERS,
    members: MEMBERS,
    messagesPerSender: MESSAGES,
    ratePerSender: RATE,
    seconds: Math.round(seconds * 10) / 10,
    failedSends: failures.length,
    everyMemberGotEveryMessageInSeqOrder: inOrder,
    ackMs: summary(acks),
    deliveryMs: {
      sameReplica: summary(sameReplica),
      crossReplica: summary(crossReplica),
    },
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n\n`);
  process.stdout.write('| path | count | p50 ms | p95 ms | p99 ms | max ms |\n| --- | --- | --- | --- | --- | --- |\n');
  for (const [name, s] of [
    ['ack (send → ack)', report.ackMs],
    ['delivery, same replica', report.deliveryMs.sameReplica],
    ['delivery, other replica', report.deliveryMs.crossReplica],
  ] as const) {
    process.stdout.write(`| ${name} | ${s.count} | ${s.p50} | ${s.p95} | ${s.p99} | ${s.max} |\n`);
  }
  const dir = join(REPO_ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'realtime-latency.json'), `${JSON.stringify(report, null, 2)}\n`);
  if (!inOrder || failures.length > 0) process.exitCode = 1;
} finally {
  for (const socket of sockets) socket.close();
  await platform.stop();
}
