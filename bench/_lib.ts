/**
 * What the benchmarks share: CPU time of processes from /proc, percentiles,
 * users, rooms and sockets on a running platform, the processes of a
 * platform by label, and where results go. Files starting with `_` are not
 * benchmarks (bench/run.ts skips them).
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { io, type Socket } from 'socket.io-client';
import { APP_IDS } from '@chat/platform';
import { REPO_ROOT, endsWithThisProcess, processTree, type Platform } from '@chat/devkit/testing';

export const RESULTS_DIR = join(REPO_ROOT, 'bench', 'results');

/** /proc/<pid>/stat counts in clock ticks of 1/100 s on Linux. */
const TICKS_PER_SECOND = 100;

/** utime+stime of `pids`, in milliseconds; a process that ended counts 0 from then on. */
export function cpuMs(pids: number[]): number {
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
  return (ticks * 1000) / TICKS_PER_SECOND;
}

/** The processes of a system under test, by label (read again at each sample: pids may change). */
export type ProcessGroups = () => Record<string, number[]>;

/**
 * Time the threads of `pids` spent runnable but waiting for a core, in
 * milliseconds (field 2 of /proc/<pid>/task/<tid>/schedstat). On two shared
 * cores it is what a latency pays beyond the CPU it uses; threads that ended
 * are lost to the count.
 */
export function runQueueWaitMs(pids: number[]): number {
  let ns = 0;
  for (const pid of pids) {
    try {
      for (const tid of readdirSync(`/proc/${pid}/task`)) {
        ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[1]);
      }
    } catch {
      // Ended, or a thread ended between the listing and the read.
    }
  }
  return ns / 1e6;
}

/** Measures the CPU each group spends while `work` runs, and the time all of them waited for a core. */
export async function cpuDuring<T>(
  groups: ProcessGroups,
  work: () => Promise<T>,
): Promise<{ result: T; cpuMsBy: Record<string, number>; cpuMs: number; runQueueWaitMs: number }> {
  // One look at the process groups per sample (finding each app's tree walks /proc).
  const sample = () => {
    const pidsBy = groups();
    return {
      cpu: Object.fromEntries(Object.entries(pidsBy).map(([label, pids]) => [label, cpuMs(pids)])),
      waited: runQueueWaitMs(Object.values(pidsBy).flat()),
    };
  };
  const before = sample();
  const result = await work();
  const after = sample();
  const cpuMsBy = Object.fromEntries(Object.entries(after.cpu).map(([label, ms]) => [label, ms - (before.cpu[label] ?? 0)]));
  return { result, cpuMsBy, cpuMs: Object.values(cpuMsBy).reduce((a, b) => a + b, 0), runQueueWaitMs: after.waited - before.waited };
}

/** Every process of a platform (each app's tree and each daprd), and the Redis server the default profile uses. */
export function platformProcesses(platform: Platform): ProcessGroups {
  const redis = execFileSync('pgrep', ['-x', 'redis-server'], { encoding: 'utf8' }).trim().split('\n').map(Number).filter(Boolean);
  return () => ({
    ...Object.fromEntries(
      platform.instances.flatMap((i) => [
        [i.label, processTree(i.app.child.pid!)],
        [`${i.label} daprd`, [i.daprd.child.pid!]],
      ]),
    ),
    redis,
  });
}

export const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
export const round = (value: number, digits = 2): number => Math.round(value * 10 ** digits) / 10 ** digits;

/** p50, p99 and max of unsorted samples, in ms to 0.1. */
export function latencySummary(samples: number[]): { p50: number; p99: number; max: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: round(percentile(sorted, 50), 1), p99: round(percentile(sorted, 99), 1), max: round(sorted.at(-1) ?? 0, 1) };
}

export function machine() {
  return {
    cpus: availableParallelism(),
    model: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    loadavg: loadavg().map((l) => round(l)),
    node: process.version,
  };
}

/** Writes `bench/results/<name>.json` and prints it. */
export function writeResult(name: string, report: unknown): void {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const text = `${JSON.stringify(report, null, 2)}\n`;
  writeFileSync(join(RESULTS_DIR, `${name}.json`), text);
  process.stdout.write(text);
}

export interface BenchUser {
  id: string;
  token: string;
}

/** Registers `count` users through the gateway, a few at a time. */
export async function registerUsers(gatewayUrl: string, count: number, prefix = 'bench'): Promise<BenchUser[]> {
  const users: BenchUser[] = [];
  for (let i = 0; i < count; i += 8) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(8, count - i) }, async () => {
        const username = `${prefix}_${randomUUID().slice(0, 8)}`;
        const response = await fetch(`${gatewayUrl}/api/auth/register`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username, email: `${username}@example.test`, password: `pw-${randomUUID()}` }),
        });
        if (response.status !== 201) throw new Error(`register answered ${response.status}: ${await response.text()}`);
        const body = (await response.json()) as { user: { id: string }; accessToken: string };
        return { id: body.user.id, token: body.accessToken };
      }),
    );
    users.push(...batch);
  }
  return users;
}

/** A private room of `owner` with `members`; answers its id. */
export async function createRoom(gatewayUrl: string, owner: BenchUser, members: BenchUser[], name = 'bench'): Promise<string> {
  const response = await fetch(`${gatewayUrl}/api/rooms`, {
    method: 'POST',
    headers: { authorization: `Bearer ${owner.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name, visibility: 'private', memberIds: members.map((u) => u.id) }),
  });
  if (response.status !== 201) throw new Error(`create room answered ${response.status}: ${await response.text()}`);
  return ((await response.json()) as { id: string }).id;
}

export const connectSocket = (url: string, token?: string): Promise<Socket> =>
  new Promise((resolve, reject) => {
    const socket = io(url, { transports: ['websocket'], reconnection: false, forceNew: true, ...(token ? { auth: { token } } : {}) });
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });

/** Settings that take the platform's per-user and per-address limits out of the measurement. */
export const UNLIMITED_GATEWAY_ENV: Record<string, string> = {
  REALTIME_SEND_RATE: '10000',
  REALTIME_SEND_BURST: '100000',
  REALTIME_EVENT_LIMIT: '100000/100000',
  REALTIME_HANDSHAKE_LIMIT: '100000/100000',
  REALTIME_TRANSPORT_LIMIT: '100000/100000',
  REALTIME_MAX_CONNECTIONS_PER_ADDRESS: '100000',
  RATE_LIMIT_SCALE: '100000',
};

/** Starts a baseline server (a file of bench/ run as its own process) that reports its port over IPC. */
export async function startBaseline(file: string, args: string[] = []): Promise<{ port: number; pid: number; stop: () => void }> {
  const child: ChildProcess = fork(join(REPO_ROOT, 'bench', file), args, { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
  endsWithThisProcess(child);
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m: { port: number }) => resolve(m.port));
    child.once('exit', (code) => reject(new Error(`${file} exited with ${code} before listening`)));
  });
  return { port, pid: child.pid!, stop: () => child.kill() };
}

/** chat-service's own counters (`GET /stats`, asked of each replica directly as its sidecar would). */
export async function chatStats(platform: Platform): Promise<ChatCounters> {
  const token = platform.runEnv.tokens(APP_IDS.chat).appApiToken;
  const totals = { commits: 0, messages: 0, conflicts: 0, relayHeadWrites: 0 };
  for (const instance of platform.instances.filter((i) => i.name === APP_IDS.chat)) {
    const response = await fetch(`${instance.url}/stats`, { headers: { 'dapr-api-token': token } });
    const { sequencer, outbox } = (await response.json()) as { sequencer: ChatCounters; outbox: { markerWrites: number } };
    totals.commits += sequencer.commits;
    totals.messages += sequencer.messages;
    totals.conflicts += sequencer.conflicts;
    totals.relayHeadWrites += outbox.markerWrites;
  }
  return totals;
}

/** Summed over chat-service replicas: commits (head writes of sends), messages, lost head races, and the outbox relay's own head writes. */
export interface ChatCounters {
  commits: number;
  messages: number;
  conflicts: number;
  relayHeadWrites: number;
}
