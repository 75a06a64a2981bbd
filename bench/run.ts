/**
 * `npm run bench`: the benchmark suite, each scenario beside its baseline in
 * the same run (plain Socket.IO for fan-out and offered load, a bare Koa app
 * for history pages, raw scrypt for logins), one after another, each its
 * own process starting what it needs. Writes bench/results/latest.json
 * (every figure, its baseline, the ratio, the targets, the machine) and
 * bench/results/latency-vs-load.svg.
 *
 *   npm run bench                  the whole suite (about 6 minutes on 2 cores)
 *   npm run bench -- --quick       a first look (about a minute and a half)
 *   npm run bench -- chat-sends    only the benchmark files whose name contains one of the words
 *
 * Run it alone: nothing else on the machine while it runs.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { endsWithThisProcess } from '@chat/devkit/testing';
import { RESULTS_DIR, machine } from './_lib.js';

const here = dirname(fileURLToPath(import.meta.url));
const quick = process.argv.includes('--quick');
const words = process.argv.slice(2).filter((a) => !a.startsWith('--'));

/** Runs one benchmark file; a signal that ends the suite is passed on, and the benchmark stops what it started. */
async function runFile(file: string, args: string[]): Promise<boolean> {
  process.stdout.write(`\n=== ${file} ${args.join(' ')}\n`);
  const child = spawn(process.execPath, ['--import', 'tsx', join(here, file), ...args], { stdio: 'inherit' });
  endsWithThisProcess(child, 'pass-signal');
  const code = await new Promise<number | null>((resolve) => {
    child.once('exit', resolve);
    child.once('error', () => resolve(null));
  });
  return code === 0;
}

if (words.length > 0) {
  const files = readdirSync(here)
    .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.startsWith('_'))
    .filter((f) => words.some((w) => f.includes(w)))
    .sort();
  if (files.length === 0) {
    process.stderr.write(`no benchmark matches ${words.join(', ')}\n`);
    process.exit(1);
  }
  let failed = 0;
  for (const file of files) if (!(await runFile(file, quick ? ['--quick'] : []))) failed++;
  process.exit(failed > 0 ? 1 : 0);
}

interface Scenario {
  name: string;
  file: string;
  args: string[];
  /** The result file it writes, under bench/results. */
  result: string;
  quick: boolean;
}

const SUITE: Scenario[] = [
  { name: 'fan-out, room of 10, 1 gateway', file: 'fanout.ts', args: ['--members', '10', '--replicas', '1'], result: 'fanout-10-1', quick: true },
  { name: 'fan-out, room of 10, 2 gateways', file: 'fanout.ts', args: ['--members', '10', '--replicas', '2'], result: 'fanout-10-2', quick: false },
  { name: 'fan-out, room of 100, 1 gateway', file: 'fanout.ts', args: ['--members', '100', '--replicas', '1'], result: 'fanout-100-1', quick: false },
  { name: 'offered load, 2 gateways', file: 'offered-load.ts', args: [], result: 'offered-load', quick: true },
  { name: 'history pages, 16 concurrent', file: 'history-page.ts', args: [], result: 'history-page', quick: true },
  { name: 'login storm', file: 'auth-login-storm.ts', args: [], result: 'auth-login-storm', quick: false },
];

const started = Date.now();
const outcomes: Record<string, unknown> = {};
for (const scenario of SUITE.filter((s) => !quick || s.quick)) {
  const ok = await runFile(scenario.file, [...scenario.args, ...(quick ? ['--quick'] : [])]);
  outcomes[scenario.result] = ok ? JSON.parse(readFileSync(join(RESULTS_DIR, `${scenario.result}.json`), 'utf8')) : { failed: true };
}

/** The parts of the scenarios' results that the targets read. */
interface FanoutResult {
  ratio: { messagesPerSecond: number };
  platform: { cpuMsPerMessage: number };
}
interface LoadResult {
  platform: { points: Array<{ offeredPerSecond: number; latencyMs: { p99: number } }> };
}
interface HistoryResult {
  platform: { pagesPerSecond: number; cpuMsPerPage: number; latencyMs: { p99: number } };
}
const failed = (outcome: unknown) => (outcome as { failed?: boolean } | undefined)?.failed === true;
function resultOf<T>(name: string): T | undefined {
  const outcome = outcomes[name];
  return outcome === undefined || failed(outcome) ? undefined : (outcome as T);
}
const fan = resultOf<FanoutResult>('fanout-10-1');
const history = resultOf<HistoryResult>('history-page');
const at200 = resultOf<LoadResult>('offered-load')?.platform.points.find((p) => p.offeredPerSecond === 200);
const target = (what: string, measured: number | undefined, goal: string, met: (v: number) => boolean) => ({
  what,
  measured: measured ?? null,
  goal,
  met: measured === undefined ? null : met(measured),
});

const report = {
  command: `npm run bench${quick ? ' -- --quick' : ''}`,
  quick,
  commit: (() => {
    try {
      return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    } catch {
      return 'unknown';
    }
  })(),
  machine: machine(),
  seconds: Math.round((Date.now() - started) / 1000),
  targets: [
    target('fan-out messages/s, room of 10, as a share of plain Socket.IO', fan?.ratio.messagesPerSecond, '≥ 0.25', (v) => v >= 0.25),
    target('CPU per message into a room of 10, all platform processes (ms)', fan?.platform.cpuMsPerMessage, '≤ 1', (v) => v <= 1),
    target('p99 send to delivery at an offered 200 messages/s, 2 gateways (ms)', at200?.latencyMs.p99, '< 25', (v) => v < 25),
    target('history pages/s at 16 concurrent', history?.platform.pagesPerSecond, '≥ 500', (v) => v >= 500),
    target('history page p99 (ms)', history?.platform.latencyMs.p99, '< 50', (v) => v < 50),
    target('CPU per history page, all platform processes (ms)', history?.platform.cpuMsPerPage, '≤ 3', (v) => v <= 3),
  ],
  scenarios: Object.fromEntries(SUITE.filter((s) => outcomes[s.result] !== undefined).map((s) => [s.name, outcomes[s.result]])),
  chart: 'bench/results/latency-vs-load.svg',
  at: new Date().toISOString(),
};
writeFileSync(join(RESULTS_DIR, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
process.stdout.write('\n=== targets\n');
for (const t of report.targets) process.stdout.write(`${t.met === null ? '?' : t.met ? 'met ' : 'MISS'}  ${t.what}: ${t.measured} (goal ${t.goal})\n`);
process.stdout.write(`\nwrote bench/results/latest.json and bench/results/latency-vs-load.svg in ${report.seconds} s\n`);
process.exit(Object.values(outcomes).some(failed) ? 1 : 0);
