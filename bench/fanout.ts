/**
 * The message path, measured beside its baseline in the same run: one
 * sender keeps `--inflight` `message:send`s going into a room of `--members`
 * members for `--seconds`, first against a plain Socket.IO server that
 * broadcasts without storing anything (the baseline, its own process), then
 * against the platform (gateway replicas, chat-service, their sidecars,
 * Redis). Reported for each: messages/s (acknowledged), deliveries/s,
 * send-to-delivery latency p50/p99, and CPU per message and per delivery
 * summed over every process of the system under test (utime+stime from
 * /proc, which stays meaningful on a busy machine); the platform's figures
 * as ratios to the baseline's.
 *
 *   node --import tsx bench/fanout.ts [--members 10] [--inflight 50] [--seconds 15] [--replicas 1] [--quick] [--cpu-prof DIR]
 *
 * Writes bench/results/fanout-<members>-<replicas>.json. Run it alone: nothing else on the machine.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { Socket } from 'socket.io-client';
import { startPlatform, type Platform } from '@chat/devkit/testing';
import {
  UNLIMITED_GATEWAY_ENV,
  chatStats,
  connectSocket,
  cpuDuring,
  createRoom,
  latencySummary,
  machine,
  platformProcesses,
  registerUsers,
  round,
  startBaseline,
  writeResult,
  type ProcessGroups,
} from './_lib.js';

const { values: args } = parseArgs({
  options: {
    members: { type: 'string', default: '10' },
    inflight: { type: 'string', default: '50' },
    seconds: { type: 'string', default: '15' },
    replicas: { type: 'string', default: '1' },
    quick: { type: 'boolean', default: false },
    /** Write a V8 CPU profile of each app (api-gateway, chat-service) into this folder when it stops. */
    'cpu-prof': { type: 'string' },
  },
});

const MEMBERS = Number(args.members);
const INFLIGHT = Number(args.inflight);
const SECONDS = args.quick ? 4 : Number(args.seconds);
const REPLICAS = Number(args.replicas);

interface Run {
  messages: number;
  messagesPerSecond: number;
  deliveriesPerSecond: number;
  latencyMs: { p50: number; p99: number; max: number };
  cpuMsPerMessage: number;
  cpuMsPerDelivery: number;
  /** CPU per message of each process (group) of the system under test. */
  cpuMsPerMessageBy: Record<string, number>;
}

/**
 * Sends for SECONDS with INFLIGHT outstanding sends from members[0]; every
 * member (the sender too) counts its `message:new`s.
 */
async function drive(members: Socket[], roomId: string | undefined, groups: ProcessGroups): Promise<Run> {
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
  let elapsed = 0;
  const { cpuMs, cpuMsBy } = await cpuDuring(groups, async () => {
    let stop = false;
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
    elapsed = (performance.now() - started) / 1000;
    // Let the last deliveries arrive before CPU is read (bounded).
    const expected = acked * members.length;
    const deadline = Date.now() + 10_000;
    while (deliveries < expected && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  });
  for (const member of members) member.off('message:new');
  return {
    messages: acked,
    messagesPerSecond: Math.round(acked / elapsed),
    deliveriesPerSecond: Math.round(deliveries / elapsed),
    latencyMs: latencySummary(latencies),
    cpuMsPerMessage: round(cpuMs / Math.max(1, acked)),
    cpuMsPerDelivery: round(cpuMs / Math.max(1, deliveries), 3),
    cpuMsPerMessageBy: Object.fromEntries(Object.entries(cpuMsBy).map(([label, ms]) => [label, round(ms / Math.max(1, acked))])),
  };
}

async function baseline(): Promise<Run> {
  const server = await startBaseline('_baseline-socketio.ts');
  try {
    const members = await Promise.all(Array.from({ length: MEMBERS }, () => connectSocket(`http://127.0.0.1:${server.port}`)));
    const groups = () => ({ 'socket.io server': [server.pid] });
    // Warmed up as the platform is (platformRun): a cold baseline would flatter the ratio.
    await drive(members, undefined, groups);
    const run = await drive(members, undefined, groups);
    for (const m of members) m.close();
    return run;
  } finally {
    server.stop();
  }
}

async function platformRun(platform: Platform): Promise<Run & { messagesPerCommit: number }> {
  const users = await registerUsers(platform.gatewayUrl, MEMBERS, 'fan');
  const [owner, ...rest] = users;
  const roomId = await createRoom(platform.gatewayUrl, owner!, rest, 'fanout');
  const gateways = platform.instances.filter((i) => i.name === 'api-gateway');
  // Members spread over the replicas; the sender on the first.
  const members = await Promise.all(users.map((u, i) => connectSocket(gateways[i % gateways.length]!.url, u.token)));
  const groups = platformProcesses(platform);
  // Warm up (JIT, connections), then measure.
  await drive(members, roomId, groups);
  const before = await chatStats(platform);
  const run = await drive(members, roomId, groups);
  const after = await chatStats(platform);
  for (const m of members) m.close();
  // How many messages each head write committed: what batching achieved.
  return { ...run, messagesPerCommit: round((after.messages - before.messages) / Math.max(1, after.commits - before.commits), 1) };
}

const platform = await startPlatform({
  gatewayReplicas: REPLICAS,
  services: ['api-gateway', 'auth-service', 'chat-service', 'profile-service'],
  env: { LOG_LEVEL: 'warn' },
  ...(args['cpu-prof'] ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${args['cpu-prof']}`] } : {}),
  serviceEnv: { 'api-gateway': UNLIMITED_GATEWAY_ENV },
});
try {
  const base = await baseline();
  const measured = await platformRun(platform);
  writeResult(`fanout-${MEMBERS}-${REPLICAS}`, {
    scenario: `fan-out: 1 sender, ${INFLIGHT} in flight, room of ${MEMBERS}, ${REPLICAS} gateway replica(s), ${SECONDS} s`,
    command: `node --import tsx bench/fanout.ts --members ${MEMBERS} --inflight ${INFLIGHT} --replicas ${REPLICAS} --seconds ${SECONDS}`,
    machine: machine(),
    baseline: { what: 'plain Socket.IO broadcast, nothing stored', ...base },
    platform: { profile: platform.profile, replicas: REPLICAS, ...measured },
    ratio: {
      messagesPerSecond: round(measured.messagesPerSecond / Math.max(1, base.messagesPerSecond), 3),
      cpuPerMessage: round(measured.cpuMsPerMessage / Math.max(0.001, base.cpuMsPerMessage), 1),
    },
    at: new Date().toISOString(),
  });
} finally {
  await platform.stop();
}
