/**
 * Message sends through real sidecars: two chat-service replicas (each with
 * its own daprd) against the Redis profile, called as the gateway calls them
 * (an app-less `api-gateway` sidecar; name resolution spreads the calls over
 * both replicas). Measures sends per second into one hot room and into 100
 * rooms, latency, and the room-head ETag conflict rate, once with the
 * default batching (SEND_BATCH_MAX=100) and once with one message per head
 * write (SEND_BATCH_MAX=1). Every run checks that each room's seqs are
 * exactly 1..n.
 *
 *   node --import tsx bench/chat-sends.ts [--messages 2000] [--senders 16] [--rooms 100]
 *
 * Prints a JSON report and a markdown table; writes bench/results/chat-sends.json.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { APP_IDS, USER_ID_HEADER } from '@chat/platform';
import { REPO_ROOT, startPlatform, waitFor } from '@chat/devkit/testing';

const { values: args } = parseArgs({
  options: {
    messages: { type: 'string', default: '2000' },
    senders: { type: 'string', default: '16' },
    rooms: { type: 'string', default: '100' },
  },
});
const MESSAGES = Number(args.messages);
const SENDERS = Number(args.senders);
const ROOMS = Number(args.rooms);

interface Stats {
  commits: number;
  conflicts: number;
  messages: number;
  repeats: number;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

async function run(batchMax: number) {
  const platform = await startPlatform({
    services: [APP_IDS.chat],
    chatReplicas: 2,
    callerSidecars: [APP_IDS.gateway],
    serviceEnv: { 'chat-service': { SEND_BATCH_MAX: String(batchMax), LOG_LEVEL: 'warn' } },
  });
  try {
    const caller = platform.callerSidecars[APP_IDS.gateway]!.daprHttpPort;
    const token = platform.runEnv.tokens(APP_IDS.gateway).daprApiToken;
    const call = async (userId: string, method: string, path: string, body?: unknown) => {
      const response = await fetch(`http://127.0.0.1:${caller}/v1.0/invoke/${APP_IDS.chat}/method/${path}`, {
        method,
        headers: { 'dapr-api-token': token, [USER_ID_HEADER]: userId, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: response.status, body: (await response.json()) as any };
    };
    await waitFor(
      async () => (await fetch(`http://127.0.0.1:${caller}/v1.0/invoke/${APP_IDS.chat}/method/healthz`, { headers: { 'dapr-api-token': token } })).ok,
      {
        what: 'chat-service reachable',
        timeoutMs: 60_000,
      },
    );
    const stats = async (): Promise<Stats> => {
      const all = await Promise.all(
        platform.instances
          .filter((i) => i.name === APP_IDS.chat)
          .map(async (i) => {
            const response = await fetch(`${i.url}/stats`, {
              headers: { 'dapr-api-token': platform.runEnv.tokens(APP_IDS.chat).appApiToken },
            });
            return ((await response.json()) as { sequencer: Stats }).sequencer;
          }),
      );
      return all.reduce((a, b) => ({
        commits: a.commits + b.commits,
        conflicts: a.conflicts + b.conflicts,
        messages: a.messages + b.messages,
        repeats: a.repeats + b.repeats,
      }));
    };

    const users = Array.from({ length: SENDERS }, () => randomUUID());
    const newRoom = async () => {
      const created = await call(users[0]!, 'POST', 'rooms', { name: 'bench', visibility: 'private', memberIds: users.slice(1) });
      if (created.status !== 201) throw new Error(`create answered ${created.status}: ${JSON.stringify(created.body)}`);
      return created.body.id as string;
    };

    /** SENDERS concurrent clients send MESSAGES messages in all, each to `pick()`'s room. */
    async function phase(rooms: string[], pick: (n: number) => string) {
      const before = await stats();
      const latencies: number[] = [];
      const failures = new Map<number, number>();
      let next = 0;
      const started = performance.now();
      await Promise.all(
        users.map(async (userId) => {
          for (;;) {
            const n = next++;
            if (n >= MESSAGES) return;
            const t0 = performance.now();
            const reply = await call(userId, 'POST', `rooms/${pick(n)}/messages`, { body: `bench message ${n}`, clientMsgId: `b-${n}` });
            latencies.push(performance.now() - t0);
            if (reply.status !== 201) failures.set(reply.status, (failures.get(reply.status) ?? 0) + 1);
          }
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      const after = await stats();
      // Every room's history must be exactly 1..lastSeq.
      for (const roomId of rooms) {
        const seqs: number[] = [];
        for (let after = 0; ;) {
          const page = await call(users[0]!, 'GET', `rooms/${roomId}/messages?after=${after}&limit=100`);
          seqs.push(...(page.body.messages as Array<{ seq: number }>).map((m) => m.seq));
          after = seqs.at(-1) ?? after;
          if (!page.body.hasMore) break;
        }
        if (seqs.some((seq, i) => seq !== i + 1)) throw new Error(`room ${roomId}: seqs are not 1..${seqs.length}`);
      }
      const sorted = [...latencies].sort((a, b) => a - b);
      const commits = after.commits - before.commits;
      const conflicts = after.conflicts - before.conflicts;
      return {
        rooms: rooms.length,
        messages: MESSAGES,
        senders: SENDERS,
        failed: Object.fromEntries(failures),
        sendsPerSecond: round(MESSAGES / seconds, 0),
        latencyMs: { p50: round(percentile(sorted, 50)), p95: round(percentile(sorted, 95)), max: round(sorted.at(-1) ?? Number.NaN) },
        headWrites: commits + conflicts,
        commits,
        conflicts,
        /** Head writes that lost the ETag race and were retried, over all head writes. */
        conflictRate: round(conflicts / Math.max(1, commits + conflicts), 3),
        messagesPerCommit: round((after.messages - before.messages) / Math.max(1, commits), 2),
      };
    }

    const hot = await newRoom();
    const hotRoom = await phase([hot], () => hot);
    const many: string[] = [];
    for (let i = 0; i < ROOMS; i++) many.push(await newRoom());
    const manyRooms = await phase(many, (n) => many[n % many.length]!);
    return { batchMax, hotRoom, manyRooms };
  } finally {
    await platform.stop();
  }
}

const runs = [await run(100), await run(1)];
const report = {
  machine: { cores: availableParallelism(), loadavg1: round(loadavg()[0] ?? 0, 2) },
  replicas: 2,
  runs,
};
process.stdout.write(`${JSON.stringify(report, null, 2)}\n\n`);
const row = (label: string, batchMax: number, r: Awaited<ReturnType<typeof run>>['hotRoom']) =>
  `| ${label} | ${batchMax} | ${r.sendsPerSecond} | ${r.latencyMs.p50} | ${r.latencyMs.p95} | ${r.headWrites} | ${r.conflicts} (${round(r.conflictRate * 100, 1)} %) | ${r.messagesPerCommit} |`;
process.stdout.write(
  [
    `| ${MESSAGES} sends, ${SENDERS} senders, 2 replicas | SEND_BATCH_MAX | sends/s | p50 ms | p95 ms | head writes | ETag conflicts (retried) | messages per commit |`,
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...runs.flatMap((r) => [row('one hot room', r.batchMax, r.hotRoom), row(`${ROOMS} rooms`, r.batchMax, r.manyRooms)]),
  ].join('\n') + '\n',
);
mkdirSync(join(REPO_ROOT, 'bench', 'results'), { recursive: true });
writeFileSync(join(REPO_ROOT, 'bench', 'results', 'chat-sends.json'), `${JSON.stringify(report, null, 2)}\n`);
