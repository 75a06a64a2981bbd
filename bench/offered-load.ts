/**
 * Latency against offered load: senders in one room of `--members` members,
 * spread over two gateway replicas, send at a fixed total rate (an open loop:
 * each send leaves at its scheduled time whatever the answers do) for
 * `--seconds` at each rate of `--rates`. The latency of a delivery is from
 * the send's scheduled time to its arrival at a member, so queueing counts
 * (no coordinated omission). The same schedule runs against a plain
 * Socket.IO server first (the baseline). Reported per rate: p50/p99/max,
 * the share of deliveries that arrived, CPU per message summed over every
 * process of the platform, and the time their threads spent waiting for a
 * core per message (runnable, not running: what two shared cores add to
 * latency beyond the CPU itself). Draws bench/results/latency-vs-load.svg.
 *
 *   node --import tsx bench/offered-load.ts [--rates 50,100,200,400] [--seconds 8] [--members 10] [--replicas 2] [--quick]
 *
 *   [--cpu-prof DIR]
 *
 * Writes bench/results/offered-load.json. Run it alone: nothing else on the machine.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Socket } from 'socket.io-client';
import { startPlatform } from '@chat/devkit/testing';
import {
  RESULTS_DIR,
  UNLIMITED_GATEWAY_ENV,
  connectSocket,
  cpuDuring,
  createRoom,
  chatStats,
  latencySummary,
  machine,
  platformProcesses,
  registerUsers,
  round,
  startBaseline,
  writeResult,
  type ChatCounters,
  type ProcessGroups,
} from './_lib.js';
import { lineChart } from './_chart.js';

const { values: args } = parseArgs({
  options: {
    rates: { type: 'string', default: '50,100,200,400,800' },
    seconds: { type: 'string', default: '8' },
    members: { type: 'string', default: '10' },
    replicas: { type: 'string', default: '2' },
    quick: { type: 'boolean', default: false },
    /** Write a V8 CPU profile of each app into this folder when it stops. */
    'cpu-prof': { type: 'string' },
  },
});
const RATES = (args.quick ? '100,200,400' : args.rates).split(',').map(Number);
const SECONDS = args.quick ? 3 : Number(args.seconds);
const MEMBERS = Number(args.members);
const REPLICAS = Number(args.replicas);

interface Point {
  offeredPerSecond: number;
  sent: number;
  deliveredShare: number;
  latencyMs: { p50: number; p99: number; max: number };
  cpuMsPerMessage: number;
  cpuMsPerMessageBy: Record<string, number>;
  /** Time the system's threads waited for a core (runnable, not running), per message: see runQueueWaitMs. */
  runQueueWaitMsPerMessage: number;
  /** The platform's commits at this rate (chat-service's counters). */
  commits?: { messagesPerCommit: number; conflictsPerCommit: number; relayHeadWritesPerCommit: number };
}

/** Sends at `rate` for SECONDS from the members in turn; every member records each arrival. */
async function offer(
  members: Socket[],
  roomId: string | undefined,
  rate: number,
  groups: ProcessGroups,
  counters?: () => Promise<ChatCounters>,
): Promise<Point> {
  const scheduledAt = new Map<string, number>();
  const latencies: number[] = [];
  let refused = 0;
  for (const member of members) {
    member.on('message:new', (message: { body: string }) => {
      const at = scheduledAt.get(message.body);
      if (at !== undefined) latencies.push(performance.now() - at);
    });
  }
  const total = Math.round(rate * SECONDS);
  const before = await counters?.();
  const acks: Array<Promise<void>> = [];
  const { cpuMs, cpuMsBy, runQueueWaitMs } = await cpuDuring(groups, async () => {
    const start = performance.now() + 20;
    for (let n = 0; n < total; n++) {
      const due = start + (n * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
      const body = randomUUID();
      scheduledAt.set(body, due);
      const sender = members[n % members.length]!;
      acks.push(
        sender
          .timeout(30_000)
          .emitWithAck('message:send', { roomId, body, clientMsgId: body })
          .then(
            (ack: { ok: boolean }) => void (ack.ok || refused++),
            () => void refused++,
          ),
      );
    }
    await Promise.all(acks);
    const expected = (total - refused) * members.length;
    const deadline = Date.now() + 10_000;
    while (latencies.length < expected && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  });
  const after = await counters?.();
  for (const member of members) member.off('message:new');
  if (refused > 0) process.stderr.write(`${refused} sends refused at ${rate}/s\n`);
  return {
    offeredPerSecond: rate,
    sent: total,
    deliveredShare: round(latencies.length / Math.max(1, total * members.length), 4),
    latencyMs: latencySummary(latencies),
    cpuMsPerMessage: round(cpuMs / Math.max(1, total)),
    cpuMsPerMessageBy: Object.fromEntries(Object.entries(cpuMsBy).map(([label, ms]) => [label, round(ms / Math.max(1, total))])),
    runQueueWaitMsPerMessage: round(runQueueWaitMs / Math.max(1, total)),
    ...(before && after ? { commits: perCommit(before, after) } : {}),
  };
}

function perCommit(before: ChatCounters, after: ChatCounters): NonNullable<Point['commits']> {
  const commits = Math.max(1, after.commits - before.commits);
  return {
    messagesPerCommit: round((after.messages - before.messages) / commits, 2),
    conflictsPerCommit: round((after.conflicts - before.conflicts) / commits, 2),
    relayHeadWritesPerCommit: round((after.relayHeadWrites - before.relayHeadWrites) / commits, 2),
  };
}

async function sweep(members: Socket[], roomId: string | undefined, groups: ProcessGroups, counters?: () => Promise<ChatCounters>): Promise<Point[]> {
  // Warm up (JIT, connections) at the lowest rate, then measure each rate.
  await offer(members, roomId, RATES[0]!, groups);
  const points: Point[] = [];
  for (const rate of RATES) {
    const point = await offer(members, roomId, rate, groups, counters);
    process.stderr.write(
      `${rate}/s: p50 ${point.latencyMs.p50} ms, p99 ${point.latencyMs.p99} ms, ${point.cpuMsPerMessage} ms CPU/msg, ${point.runQueueWaitMsPerMessage} ms waiting for a core/msg\n`,
    );
    points.push(point);
  }
  return points;
}

const platform = await startPlatform({
  gatewayReplicas: REPLICAS,
  services: ['api-gateway', 'auth-service', 'chat-service', 'profile-service'],
  env: { LOG_LEVEL: 'warn' },
  ...(args['cpu-prof'] ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${args['cpu-prof']}`] } : {}),
  serviceEnv: { 'api-gateway': UNLIMITED_GATEWAY_ENV },
});
try {
  const server = await startBaseline('_baseline-socketio.ts');
  let baseline: Point[];
  try {
    const members = await Promise.all(Array.from({ length: MEMBERS }, () => connectSocket(`http://127.0.0.1:${server.port}`)));
    baseline = await sweep(members, undefined, () => ({ 'socket.io server': [server.pid] }));
    for (const m of members) m.close();
  } finally {
    server.stop();
  }

  const users = await registerUsers(platform.gatewayUrl, MEMBERS, 'load');
  const roomId = await createRoom(platform.gatewayUrl, users[0]!, users.slice(1), 'offered-load');
  const gateways = platform.instances.filter((i) => i.name === 'api-gateway');
  const members = await Promise.all(users.map((u, i) => connectSocket(gateways[i % gateways.length]!.url, u.token)));
  const points = await sweep(members, roomId, platformProcesses(platform), () => chatStats(platform));
  for (const m of members) m.close();

  mkdirSync(RESULTS_DIR, { recursive: true }); // a fresh clone has no results yet
  writeFileSync(
    join(RESULTS_DIR, 'latency-vs-load.svg'),
    lineChart({
      title: `Send-to-delivery p99 against offered load: one room of ${MEMBERS}, ${REPLICAS} gateway replicas`,
      xLabel: 'offered messages/s',
      yLabel: 'p99 latency, ms (log)',
      series: [
        { name: 'platform p99', points: points.map((p) => [p.offeredPerSecond, p.latencyMs.p99]) },
        { name: 'platform p50', points: points.map((p) => [p.offeredPerSecond, p.latencyMs.p50]) },
        { name: 'plain Socket.IO p99', points: baseline.map((p) => [p.offeredPerSecond, p.latencyMs.p99]) },
      ],
      target: { y: 25, label: 'target p99 25 ms' },
    }),
  );
  writeResult('offered-load', {
    scenario: `offered load into one room of ${MEMBERS}, members on ${REPLICAS} gateway replicas, ${SECONDS} s per rate`,
    command: `node --import tsx bench/offered-load.ts --rates ${RATES.join(',')} --seconds ${SECONDS} --members ${MEMBERS} --replicas ${REPLICAS}`,
    machine: machine(),
    baseline: { what: 'plain Socket.IO broadcast, nothing stored', points: baseline },
    platform: { profile: platform.profile, replicas: REPLICAS, points },
    chart: 'bench/results/latency-vs-load.svg',
    at: new Date().toISOString(),
  });
} finally {
  await platform.stop();
}
