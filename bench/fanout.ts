/**
 * The message path, measured beside its baseline in the same run: one
 * sender keeps `--inflight` `message:send`s going into a room of `--members`
 * members for `--seconds`, first against a plain Socket.IO server that
 * broadcasts without storing anything (the baseline, its own process), then
 * against the platform (gateway replicas, chat-service, their sidecars,
 * Redis). Reported for each: messages/s (acknowledged), deliveries/s,
 * send-to-delivery latency p50/p99, and CPU per message summed over every
 * process of the system under test (utime+stime from /proc, which stays
 * meaningful on a busy machine); the platform's figures as ratios to the
 * baseline's.
 *
 *   node --import tsx bench/fanout.ts [--members 10] [--inflight 50] [--seconds 15] [--replicas 1] [--quick] [--cpu-prof DIR]
 *
 * Writes bench/results/fanout.json. Run it alone: nothing else on the machine.
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { io, type Socket } from 'socket.io-client';
import { REPO_ROOT, processTree, startPlatform, type Platform } from '@chat/platform/testing';

const { values: args } = parseArgs({
  options: {
    members: { type: 'string', default: '10' },
    inflight: { type: 'string', default: '50' },
    seconds: { type: 'string', default: '15' },
    replicas: { type: 'string', default: '1' },
    quick: { type: 'boolean', default: false },
    /** Write a V8 CPU profile of each app (api-gateway, chat-service) into this folder when it stops. */
    'cpu-prof': { type: 'string' },
    'baseline-server': { type: 'boolean', default: false },
  },
});

const MEMBERS = Number(args.members);
const INFLIGHT = Number(args.inflight);
const SECONDS = args.quick ? 4 : Number(args.seconds);
const REPLICAS = Number(args.replicas);
const TICKS = 100; // /proc/<pid>/stat counts in clock ticks of 1/100 s on Linux

type Client = Socket;

/** utime+stime of `pids`, in milliseconds. */
function cpuMs(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // Ended: its CPU is lost to the count, which the report would show as a drop.
    }
  }
  return (ticks * 1000) / TICKS;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

interface Run {
  messages: number;
  messagesPerSecond: number;
  deliveriesPerSecond: number;
  latencyMs: { p50: number; p99: number };
  cpuMsPerMessage: number;
  cpuMsPerDelivery: number;
  /** CPU per message of each process (group) of the system under test. */
  cpuMsPerMessageBy: Record<string, number>;
}

/** The processes of a system under test, by label. */
type ProcessGroups = () => Record<string, number[]>;

/**
 * Sends for SECONDS with INFLIGHT outstanding sends from members[0]; every
 * member (the sender too) counts its `message:new`s.
 */
async function drive(members: Client[], roomId: string | undefined, groups: ProcessGroups): Promise<Run> {
  const cpuBy = () => Object.fromEntries(Object.entries(groups()).map(([label, pids]) => [label, cpuMs(pids)]));
  const [sender] = members;
  if (!sender) throw new Error('no sender');
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  let deliveries = 0;
  for (const member of members) {
    member.on('message:new', (message: { body: string }) => {
      deliveries++;
      const at = sentAt.get(message.body);
      if (at !== undefined) latencies.push(performance.now() - at);
    });
  }
  let acked = 0;
  let stop = false;
  const cpuBefore = cpuBy();
  const started = performance.now();
  const lane = async () => {
    while (!stop) {
      const body = randomUUID();
      sentAt.set(body, performance.now());
      const ack = (await sender.timeout(30_000).emitWithAck('message:send', { roomId, body, clientMsgId: randomUUID() })) as { ok: boolean; error?: unknown };
      if (!ack.ok) throw new Error(`send refused: ${JSON.stringify(ack.error)}`);
      acked++;
    }
  };
  const lanes = Array.from({ length: INFLIGHT }, lane);
  await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
  stop = true;
  await Promise.all(lanes);
  const elapsed = (performance.now() - started) / 1000;
  // Let the last deliveries arrive before CPU is read (bounded).
  const expected = acked * members.length;
  const deadline = Date.now() + 10_000;
  while (deliveries < expected && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  const cpuAfter = cpuBy();
  const cpuByLabel = Object.fromEntries(Object.entries(cpuAfter).map(([label, ms]) => [label, ms - (cpuBefore[label] ?? 0)]));
  const cpu = Object.values(cpuByLabel).reduce((a, b) => a + b, 0);
  latencies.sort((a, b) => a - b);
  for (const member of members) member.off('message:new');
  return {
    messages: acked,
    messagesPerSecond: Math.round(acked / elapsed),
    deliveriesPerSecond: Math.round(deliveries / elapsed),
    latencyMs: { p50: Math.round(percentile(latencies, 50) * 10) / 10, p99: Math.round(percentile(latencies, 99) * 10) / 10 },
    cpuMsPerMessage: Math.round((cpu / Math.max(1, acked)) * 100) / 100,
    cpuMsPerDelivery: Math.round((cpu / Math.max(1, deliveries)) * 1000) / 1000,
    cpuMsPerMessageBy: Object.fromEntries(Object.entries(cpuByLabel).map(([label, ms]) => [label, Math.round((ms / Math.max(1, acked)) * 100) / 100])),
  };
}

const connect = (url: string, token?: string): Promise<Client> =>
  new Promise((resolve, reject) => {
    const socket = io(url, { transports: ['websocket'], reconnection: false, forceNew: true, ...(token ? { auth: { token } } : {}) });
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });

async function baseline(): Promise<Run> {
  const child: ChildProcess = fork(new URL(import.meta.url).pathname, ['--baseline-server'], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
  try {
    const port = await new Promise<number>((resolve) => child.once('message', (m: { port: number }) => resolve(m.port)));
    const members = await Promise.all(Array.from({ length: MEMBERS }, () => connect(`http://127.0.0.1:${port}`)));
    const run = await drive(members, undefined, () => ({ 'socket.io server': [child.pid!] }));
    for (const m of members) m.close();
    return run;
  } finally {
    child.kill();
  }
}

async function platformRun(platform: Platform): Promise<Run> {
  const users = [];
  for (let i = 0; i < MEMBERS; i++) {
    const username = `fan_${randomUUID().slice(0, 8)}`;
    const response = await fetch(`${platform.gatewayUrl}/api/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, email: `${username}@example.test`, password: `pw-${randomUUID()}` }),
    });
    const body = (await response.json()) as { user: { id: string }; accessToken: string };
    users.push({ id: body.user.id, token: body.accessToken });
  }
  const [owner, ...rest] = users;
  const created = await fetch(`${platform.gatewayUrl}/api/rooms`, {
    method: 'POST',
    headers: { authorization: `Bearer ${owner!.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'fanout', visibility: 'private', memberIds: rest.map((u) => u.id) }),
  });
  const roomId = ((await created.json()) as { id: string }).id;
  const gateways = platform.instances.filter((i) => i.name === 'api-gateway');
  // Members spread over the replicas; the sender on the first.
  const members = await Promise.all(users.map((u, i) => connect(gateways[i % gateways.length]!.url, u.token)));
  // The store and broker the profile uses (Redis) count too.
  const redis = execFileSync('pgrep', ['-x', 'redis-server'], { encoding: 'utf8' }).trim().split('\n').map(Number).filter(Boolean);
  const groups: ProcessGroups = () => ({
    ...Object.fromEntries(platform.instances.flatMap((i) => [[i.label, processTree(i.app.child.pid!)], [`${i.label} daprd`, [i.daprd.child.pid!]]])),
    redis,
  });
  // Warm up (JIT, connections), then measure.
  await drive(members, roomId, groups);
  const run = await drive(members, roomId, groups);
  for (const m of members) m.close();
  return run;
}

/** The baseline: a plain Socket.IO server that broadcasts every send to the room, stores nothing. */
async function serveBaseline() {
  const { createServer } = await import('node:http');
  const { Server } = await import('socket.io');
  const server = createServer();
  const sio = new Server(server, { transports: ['websocket'] });
  let seq = 0;
  sio.on('connection', (socket) => {
    void socket.join('room');
    socket.on('message:send', (payload: { body: string }, ack: (r: unknown) => void) => {
      const message = { seq: ++seq, body: payload.body, createdAt: new Date().toISOString() };
      sio.to('room').emit('message:new', message);
      ack({ ok: true, message });
    });
  });
  server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as { port: number }).port }));
}

async function main() {
  const unlimited = '100000/100000';
  const platform = await startPlatform({
    gatewayReplicas: REPLICAS,
    services: ['api-gateway', 'auth-service', 'chat-service', 'profile-service'],
    env: { LOG_LEVEL: 'warn' },
    ...(args['cpu-prof'] ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${args['cpu-prof']}`] } : {}),
    serviceEnv: {
      'api-gateway': {
        REALTIME_SEND_RATE: '10000',
        REALTIME_SEND_BURST: '100000',
        REALTIME_EVENT_LIMIT: unlimited,
        REALTIME_HANDSHAKE_LIMIT: unlimited,
        RATE_LIMIT_SCALE: '100000',
      },
    },
  });
  try {
    const base = await baseline();
    const measured = await platformRun(platform);
    const report = {
      scenario: `fan-out: 1 sender, ${INFLIGHT} in flight, room of ${MEMBERS}, ${REPLICAS} gateway replica(s), ${SECONDS} s`,
      machine: { cpus: availableParallelism(), model: cpus()[0]?.model, loadavg: loadavg().map((l) => Math.round(l * 100) / 100), node: process.version },
      baseline: { what: 'plain Socket.IO broadcast, nothing stored', ...base },
      platform: { profile: platform.profile, ...measured },
      ratio: {
        messagesPerSecond: Math.round((measured.messagesPerSecond / Math.max(1, base.messagesPerSecond)) * 1000) / 1000,
        cpuPerMessage: Math.round((measured.cpuMsPerMessage / Math.max(0.001, base.cpuMsPerMessage)) * 10) / 10,
      },
      at: new Date().toISOString(),
    };
    mkdirSync(join(REPO_ROOT, 'bench', 'results'), { recursive: true });
    writeFileSync(join(REPO_ROOT, 'bench', 'results', 'fanout.json'), `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } finally {
    await platform.stop();
  }
}

if (args['baseline-server']) await serveBaseline();
else await main();
