/**
 * History pages through real sidecars: the time of a 50-message page in a
 * room of 1,000 messages and in a room of 100,000, which must be within 20%
 * of each other (a page is one bulk read of its own blocks, whatever the
 * room holds). chat-service with its daprd on the Redis profile, called as the
 * gateway calls it (an app-less `api-gateway` sidecar).
 *
 * The rooms are made through the API; their messages are then written
 * straight into the chat-service's message blocks through its sidecar, in
 * transactions of about 1,000 messages (services/chat-service/src/domain/message-blocks.ts),
 * and the room head is moved to the last seq. Seeded keys are deleted at the end.
 *
 *   node --import tsx bench/chat-history.ts [--rounds 200] [--big 100000]
 *
 * Prints a JSON report and a markdown table; writes bench/results/chat-history.json.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { APP_IDS, COMPONENTS, createSidecar, USER_ID_HEADER } from '@chat/platform';
import { REPO_ROOT, startPlatform, waitFor } from '@chat/devkit/testing';
import { keys } from '@chat/chat-service/domain/keys';
import { BLOCK_SIZE, blockKeys, type MessageBlock } from '@chat/chat-service/domain/message-blocks';
import type { Message, RoomHead } from '@chat/chat-service/domain/model';

const { values: args } = parseArgs({
  options: { rounds: { type: 'string', default: '200' }, small: { type: 'string', default: '1000' }, big: { type: 'string', default: '100000' } },
});
const ROUNDS = Number(args.rounds);
const SIZES = [Number(args.small), Number(args.big)] as const;
/** Seeded messages per transaction: whole blocks. */
const CHUNK = 32 * BLOCK_SIZE;

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
const summary = (samples: number[]) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    p50: round(percentile(sorted, 50)),
    p95: round(percentile(sorted, 95)),
    mean: round(samples.reduce((a, b) => a + b, 0) / samples.length),
  };
};

const platform = await startPlatform({ services: [APP_IDS.chat], callerSidecars: [APP_IDS.gateway], serviceEnv: { 'chat-service': { LOG_LEVEL: 'warn' } } });
const seeded: string[] = [];
const chatSidecar = createSidecar({
  httpPort: platform.instance(APP_IDS.chat).daprHttpPort,
  apiToken: platform.runEnv.tokens(APP_IDS.chat).daprApiToken,
  timeoutMs: 60_000,
});
try {
  const caller = platform.callerSidecars[APP_IDS.gateway]!.daprHttpPort;
  const token = platform.runEnv.tokens(APP_IDS.gateway).daprApiToken;
  const user = randomUUID();
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`http://127.0.0.1:${caller}/v1.0/invoke/${APP_IDS.chat}/method/${path}`, {
      method,
      headers: { 'dapr-api-token': token, [USER_ID_HEADER]: user, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}`);
    return (await response.json()) as any;
  };
  await waitFor(
    async () => (await fetch(`http://127.0.0.1:${caller}/v1.0/invoke/${APP_IDS.chat}/method/healthz`, { headers: { 'dapr-api-token': token } })).ok,
    {
      what: 'chat-service reachable',
      timeoutMs: 60_000,
    },
  );

  /** A room of `size` messages: made through the API, filled through the state store. */
  async function seed(size: number): Promise<{ roomId: string; seedSeconds: number }> {
    const roomId = (await call('POST', 'rooms', { name: `history ${size}`, visibility: 'private' })).id as string;
    const started = performance.now();
    const base = Date.now() - size * 1000;
    const message = (seq: number): Message => ({
      id: randomUUID(),
      roomId,
      seq,
      authorId: user,
      body: `message ${seq} of a long history, with a few more words to be of a realistic size`,
      createdAt: new Date(base + seq * 1000).toISOString(),
    });
    for (let from = 1; from <= size; from += CHUNK) {
      const ops = [];
      for (let start = from; start < Math.min(from + CHUNK, size + 1); start += BLOCK_SIZE) {
        const block: MessageBlock = { messages: [] };
        for (let seq = start; seq < Math.min(start + BLOCK_SIZE, size + 1); seq++) block.messages.push(message(seq));
        const key = blockKeys(roomId, [start])[0]!;
        ops.push({ operation: 'upsert' as const, key, value: block });
        seeded.push(key);
      }
      await chatSidecar.state.transaction(COMPONENTS.stateStore, ops);
    }
    const head = (await chatSidecar.state.getBulk<RoomHead>(COMPONENTS.stateStore, [keys.head(roomId)])).get(keys.head(roomId))!;
    const at = new Date(base + size * 1000).toISOString();
    await chatSidecar.state.save(
      COMPONENTS.stateStore,
      keys.head(roomId),
      { ...head.value, lastSeq: size, lastMessageAt: at, updatedAt: at },
      { etag: head.etag },
    );
    return { roomId, seedSeconds: round((performance.now() - started) / 1000) };
  }

  const rooms = [await seed(SIZES[0]), await seed(SIZES[1])];
  const kinds = {
    newest: () => '?limit=50',
    before: (size: number) => `?before=${Math.floor(size / 2)}&limit=50`,
    after: (size: number) => `?after=${Math.floor(size / 2)}&limit=50`,
  };
  const samples = rooms.map(() => ({ newest: [] as number[], before: [] as number[], after: [] as number[] }));
  // Warm up, then interleave the two rooms so that both see the same load.
  for (let i = 0; i < 20; i++) for (const [r, room] of rooms.entries()) await call('GET', `rooms/${room.roomId}/messages${kinds.before(SIZES[r]!)}`);
  for (let i = 0; i < ROUNDS; i++) {
    for (const kind of ['newest', 'before', 'after'] as const) {
      for (const [r, room] of rooms.entries()) {
        const started = performance.now();
        const page = await call('GET', `rooms/${room.roomId}/messages${kinds[kind](SIZES[r]!)}`);
        samples[r]![kind].push(performance.now() - started);
        if (page.messages.length !== 50) throw new Error(`a ${kind} page had ${page.messages.length} messages`);
      }
    }
  }
  const results = rooms.map((room, r) => ({
    messages: SIZES[r]!,
    seedSeconds: room.seedSeconds,
    pageMs: { newest: summary(samples[r]!.newest), before: summary(samples[r]!.before), after: summary(samples[r]!.after) },
  }));
  const ratio = (kind: keyof typeof kinds) => round(results[1]!.pageMs[kind].p50 / results[0]!.pageMs[kind].p50, 2);
  const report = {
    machine: { cores: availableParallelism(), loadavg1: round(loadavg()[0] ?? 0, 2) },
    rounds: ROUNDS,
    rooms: results,
    bigOverSmallP50: { newest: ratio('newest'), before: ratio('before'), after: ratio('after') },
    within20Percent: (['newest', 'before', 'after'] as const).every((k) => Math.abs(ratio(k) - 1) <= 0.2),
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n\n`);
  const cell = (s: { p50: number; p95: number }) => `${s.p50} / ${s.p95}`;
  process.stdout.write(
    [
      `| 50-message page, ${ROUNDS} rounds (p50 / p95 ms) | newest page | \`before=\` middle | \`after=\` middle | seeding |`,
      '| --- | --- | --- | --- | --- |',
      ...results.map(
        (r) =>
          `| room of ${r.messages.toLocaleString('en')} | ${cell(r.pageMs.newest)} | ${cell(r.pageMs.before)} | ${cell(r.pageMs.after)} | ${r.seedSeconds} s |`,
      ),
      `| p50 ratio, big / small | ${report.bigOverSmallP50.newest} | ${report.bigOverSmallP50.before} | ${report.bigOverSmallP50.after} | |`,
    ].join('\n') + '\n',
  );
  mkdirSync(join(REPO_ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(join(REPO_ROOT, 'bench', 'results', 'chat-history.json'), `${JSON.stringify(report, null, 2)}\n`);
} finally {
  // Leave the shared Redis as it was: the seeded message keys go.
  for (let i = 0; i < seeded.length; i += CHUNK) {
    await chatSidecar.state
      .transaction(
        COMPONENTS.stateStore,
        seeded.slice(i, i + CHUNK).map((key) => ({ operation: 'delete' as const, key })),
      )
      .catch(() => undefined);
  }
  await platform.stop();
}
