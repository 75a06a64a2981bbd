/**
 * History pages through the gateway, beside a bare Koa app in the same run:
 * `--concurrency` clients each read 50-message pages of one room
 * (`GET /api/rooms/:roomId/messages?before=&limit=50`, at random places in a
 * room of `--messages` messages) back to back for `--seconds`, first against
 * a bare Koa app answering a fixed page (the baseline, its own process),
 * then against the platform. Reported for each: pages/s, latency p50/p99,
 * CPU per page summed over every process of the system under test, and the
 * ratios. `--page newest` reads the newest page instead (`?limit=50`: what
 * opening a room reads).
 *
 *   node --import tsx bench/history-page.ts [--concurrency 16] [--seconds 10] [--messages 2000] [--page anywhere|newest] [--quick] [--cpu-prof DIR]
 *
 * Writes bench/results/history-page.json (history-page-newest.json for the
 * newest page). Run it alone: nothing else on the machine.
 */
import { Agent, request } from 'node:http';
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { startPlatform } from '@chat/devkit/testing';
import {
  UNLIMITED_GATEWAY_ENV,
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
    concurrency: { type: 'string', default: '16' },
    seconds: { type: 'string', default: '10' },
    messages: { type: 'string', default: '2000' },
    page: { type: 'string', default: 'anywhere' },
    quick: { type: 'boolean', default: false },
    'cpu-prof': { type: 'string' },
  },
});
const CONCURRENCY = Number(args.concurrency);
const SECONDS = args.quick ? 3 : Number(args.seconds);
const MESSAGES = args.quick ? 500 : Number(args.messages);
const PAGE = 50;
if (args.page !== 'anywhere' && args.page !== 'newest') throw new Error(`--page is anywhere or newest, not ${args.page}`);
const NEWEST = args.page === 'newest';

interface Run {
  pages: number;
  pagesPerSecond: number;
  latencyMs: { p50: number; p99: number; max: number };
  cpuMsPerPage: number;
  cpuMsPerPageBy: Record<string, number>;
}

/** One GET on a kept-alive connection; resolves with the status once the body is read. */
function get(agent: Agent, port: number, path: string, token?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent, headers: token ? { authorization: `Bearer ${token}` } : {} }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

async function drive(port: number, roomId: string, token: string | undefined, groups: ProcessGroups): Promise<Run> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const latencies: number[] = [];
  let pages = 0;
  let elapsed = 0;
  const { cpuMs, cpuMsBy } = await cpuDuring(groups, async () => {
    const started = performance.now();
    const until = started + SECONDS * 1000;
    const client = async () => {
      while (performance.now() < until) {
        const before = PAGE + 1 + Math.floor(Math.random() * (MESSAGES - PAGE));
        const at = performance.now();
        const status = await get(agent, port, `/api/rooms/${roomId}/messages?${NEWEST ? '' : `before=${before}&`}limit=${PAGE}`, token);
        if (status !== 200) throw new Error(`history page answered ${status}`);
        latencies.push(performance.now() - at);
        pages++;
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, client));
    elapsed = (performance.now() - started) / 1000;
  });
  agent.destroy();
  return {
    pages,
    pagesPerSecond: Math.round(pages / elapsed),
    latencyMs: latencySummary(latencies),
    cpuMsPerPage: round(cpuMs / Math.max(1, pages)),
    cpuMsPerPageBy: Object.fromEntries(Object.entries(cpuMsBy).map(([label, ms]) => [label, round(ms / Math.max(1, pages))])),
  };
}

const platform = await startPlatform({
  services: ['api-gateway', 'auth-service', 'chat-service', 'profile-service'],
  env: { LOG_LEVEL: 'warn' },
  ...(args['cpu-prof'] ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${args['cpu-prof']}`] } : {}),
  serviceEnv: { 'api-gateway': UNLIMITED_GATEWAY_ENV },
});
try {
  const server = await startBaseline('_baseline-koa.ts');
  let base: Run;
  try {
    const groups = () => ({ 'koa app': [server.pid] });
    await drive(server.port, randomUUID(), undefined, groups);
    base = await drive(server.port, randomUUID(), undefined, groups);
  } finally {
    server.stop();
  }

  // A room of MESSAGES messages, sent through a socket as users send them.
  const [reader] = await registerUsers(platform.gatewayUrl, 1, 'history');
  const roomId = await createRoom(platform.gatewayUrl, reader!, [], 'history');
  const socket = await connectSocket(platform.gatewayUrl, reader!.token);
  for (let sent = 0; sent < MESSAGES; sent += 100) {
    await Promise.all(
      Array.from({ length: Math.min(100, MESSAGES - sent) }, (_, i) =>
        socket.timeout(30_000).emitWithAck('message:send', { roomId, body: `history ${sent + i} ${'x'.repeat(40)}`, clientMsgId: randomUUID() }),
      ),
    );
  }
  socket.close();

  const port = Number(new URL(platform.gatewayUrl).port);
  const groups = platformProcesses(platform);
  await drive(port, roomId, reader!.token, groups);
  const measured = await drive(port, roomId, reader!.token, groups);
  writeResult(NEWEST ? 'history-page-newest' : 'history-page', {
    scenario: `${NEWEST ? 'the newest page' : 'history pages'} of ${PAGE} through the gateway, ${CONCURRENCY} concurrent, room of ${MESSAGES}, ${SECONDS} s`,
    command: `node --import tsx bench/history-page.ts --concurrency ${CONCURRENCY} --seconds ${SECONDS} --messages ${MESSAGES} --page ${args.page}`,
    machine: machine(),
    baseline: { what: 'bare Koa app answering a fixed 50-message page', ...base },
    platform: { profile: platform.profile, ...measured },
    ratio: {
      pagesPerSecond: round(measured.pagesPerSecond / Math.max(1, base.pagesPerSecond), 3),
      cpuPerPage: round(measured.cpuMsPerPage / Math.max(0.001, base.cpuMsPerPage), 1),
    },
    at: new Date().toISOString(),
  });
} finally {
  await platform.stop();
}
