/**
 * Batch profile reads: `GET /api/profiles?ids=` with 100 ids through the
 * api-gateway and real sidecars, against reading the same 100 profiles one
 * `GET /api/profiles/:id` at a time. Counts what daprd does for each (its own
 * `dapr_component_state_count` metric, by operation) and times both.
 *
 *   node --import tsx bench/profiles-batch.ts [--rounds 50]
 *
 * Expected: one `bulk_get` and no `get` per batch read; 100 `get`s for the
 * 100 single reads. On Redis, daprd answers a bulk get with one HGETALL per
 * key, run concurrently (components-contrib has no native Redis bulk get), so
 * the gain is one sidecar round trip instead of 100, not one Redis command.
 *
 * Prints a JSON report and a markdown table, and writes the JSON to
 * bench/results/profiles-batch.json.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT, startPlatform, waitFor } from '@chat/devkit/testing';
import { daprCounter, publishEvent } from '@chat/profile-service/testing/platform';

const { values: args } = parseArgs({ options: { rounds: { type: 'string', default: '50' } } });
const ROUNDS = Number(args.rounds);

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
const summary = (samples: number[]) => {
  const sorted = [...samples].sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 10) / 10;
  return { p50: round(percentile(sorted, 50)), p95: round(percentile(sorted, 95)), max: round(sorted.at(-1) ?? Number.NaN) };
};

const platform = await startPlatform({ services: ['api-gateway', 'auth-service', 'profile-service'] });
try {
  const name = `bench${randomUUID().slice(0, 8)}`;
  const registered = await fetch(`${platform.gatewayUrl}/api/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: name, email: `${name}@example.test`, password: 'bench password, long enough' }),
  });
  const { user, accessToken } = (await registered.json()) as { user: { id: string }; accessToken: string };
  const auth = { authorization: `Bearer ${accessToken}` };
  const ids = [user.id, ...Array.from({ length: 99 }, () => randomUUID())];
  const gatewaySidecar = platform.instance('api-gateway').daprHttpPort;
  await Promise.all(
    ids
      .slice(1)
      .map((id, i) =>
        publishEvent(
          platform,
          gatewaySidecar,
          'user.registered',
          { userId: id, username: `b${i}-${id.slice(0, 8)}`, email: `${id}@example.test`, displayName: `Bench ${i}`, createdAt: new Date().toISOString() },
          randomUUID(),
        ),
      ),
  );
  const batchUrl = `${platform.gatewayUrl}/api/profiles?ids=${ids.join(',')}`;
  await waitFor(async () => ((await (await fetch(batchUrl, { headers: auth })).json()) as { profiles: unknown[] }).profiles.length === 100, {
    what: '100 stored profiles',
    timeoutMs: 30_000,
    intervalMs: 100,
  });

  const sidecar = platform.instance('profile-service');
  const count = (operation: string) => daprCounter(sidecar, 'dapr_component_state_count', { app_id: 'profile-service', component: 'statestore', operation });
  const counters = async () => ({ bulk_get: await count('bulk_get'), get: await count('get') });
  // daprd records metrics asynchronously: wait until the counters stop moving.
  const settled = async () => {
    let last = await counters();
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const now = await counters();
      if (now.bulk_get === last.bulk_get && now.get === last.get) return now;
      last = now;
    }
  };

  const batchMs: number[] = [];
  const before = await settled();
  for (let i = 0; i < ROUNDS; i++) {
    const started = performance.now();
    const response = await fetch(batchUrl, { headers: auth });
    const body = (await response.json()) as { profiles: unknown[] };
    batchMs.push(performance.now() - started);
    if (body.profiles.length !== 100) throw new Error(`a batch answered ${body.profiles.length} profiles`);
  }
  const afterBatch = await settled();

  const singleMs: number[] = [];
  for (let i = 0; i < Math.max(1, Math.floor(ROUNDS / 10)); i++) {
    const started = performance.now();
    for (const id of ids) {
      const response = await fetch(`${platform.gatewayUrl}/api/profiles/${id}`, { headers: auth });
      if (response.status !== 200) throw new Error(`a single read answered ${response.status}`);
      await response.arrayBuffer();
    }
    singleMs.push(performance.now() - started);
  }
  const afterSingle = await settled();
  const singleRounds = singleMs.length;

  const report = {
    machine: { cores: availableParallelism(), loadavg1: Math.round((loadavg()[0] ?? 0) * 100) / 100 },
    profile: platform.profile,
    batch: {
      rounds: ROUNDS,
      ms: summary(batchMs),
      daprdPerRead: { bulk_get: (afterBatch.bulk_get - before.bulk_get) / ROUNDS, get: (afterBatch.get - before.get) / ROUNDS },
    },
    hundredSingleReads: {
      rounds: singleRounds,
      ms: summary(singleMs),
      daprdPerRound: { bulk_get: (afterSingle.bulk_get - afterBatch.bulk_get) / singleRounds, get: (afterSingle.get - afterBatch.get) / singleRounds },
    },
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n\n`);
  process.stdout.write(
    [
      '| 100 profiles | p50 ms | p95 ms | daprd bulk_get | daprd get |',
      '| --- | --- | --- | --- | --- |',
      `| one \`?ids=\` read (${ROUNDS} rounds) | ${report.batch.ms.p50} | ${report.batch.ms.p95} | ${report.batch.daprdPerRead.bulk_get} | ${report.batch.daprdPerRead.get} |`,
      `| 100 \`/:id\` reads (${singleRounds} rounds) | ${report.hundredSingleReads.ms.p50} | ${report.hundredSingleReads.ms.p95} | ${report.hundredSingleReads.daprdPerRound.bulk_get} | ${report.hundredSingleReads.daprdPerRound.get} |`,
    ].join('\n') + '\n',
  );
  mkdirSync(join(REPO_ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(join(REPO_ROOT, 'bench', 'results', 'profiles-batch.json'), `${JSON.stringify(report, null, 2)}\n`);
} finally {
  await platform.stop();
}
