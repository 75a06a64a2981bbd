/**
 * The README's "dapr CLI" steps, run as written, from the repository root:
 * `npm run cli` (builds .dapr/bin/dapr and daprd, writes each app's run
 * files), `.dapr/bin/dapr run -f dapr.yaml`, `.dapr/bin/dapr list`, then a
 * user's first minute through the gateway, then `.dapr/bin/dapr stop -f
 * dapr.yaml`. The template's fixed ports (8080, 3500, ...) must be free, and
 * Redis running on 6379, as for `npm start`. Every process the run started is
 * ended by the test whatever happens.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import {
  REPO_ROOT,
  TimeoutError,
  WaitAbortedError,
  isLoopback,
  listeners,
  processAlive as alive,
  describeProcess,
  processTree,
  readRunTemplate,
  waitFor,
} from '@chat/devkit/testing';

const logDir = mkdtempSync(join(tmpdir(), 'dapr-cli-test-'));
const template = readRunTemplate();
const gateway = `http://127.0.0.1:${template.apps.find((a) => a.appID === 'api-gateway')!.appPort}`;
const templatePorts = template.apps.flatMap((a) => [a.appPort, a.daprHTTPPort, a.daprGRPCPort, a.metricsPort, Number(a.env['METRICS_PORT'])]);

function answers(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => (socket.destroy(), done(true)));
    socket.once('error', () => done(false));
  });
}

/** Runs a command from the repository root, its output in a log file; resolves with its exit code. */
function run(command: string, args: string[], logName: string, options: { detached?: boolean } = {}) {
  const logFile = join(logDir, logName);
  const log = createWriteStream(logFile);
  const child = spawn(command, args, { cwd: REPO_ROOT, env: process.env, stdio: ['ignore', 'pipe', 'pipe'], detached: options.detached ?? false });
  child.stdout.pipe(log, { end: false });
  child.stderr.pipe(log, { end: false });
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', () => resolve(null));
  });
  void exited.then(() => log.end());
  const tail = () => readFileSync(logFile, 'utf8').split('\n').slice(-40).join('\n');
  return { child, exited, logFile, tail };
}

async function output(command: string, args: string[], logName: string): Promise<{ code: number | null; text: string }> {
  const done = run(command, args, logName);
  const code = await done.exited;
  return { code, text: readFileSync(done.logFile, 'utf8') };
}

/** Ends what is left of a run: the CLI's process group, then every process seen under it. */
function endAll(cli: ChildProcess, seen: number[]) {
  try {
    process.kill(-cli.pid!, 'SIGKILL');
  } catch {
    // Already gone.
  }
  for (const pid of seen) if (alive(pid)) process.kill(pid, 'SIGKILL');
}

async function api(method: string, path: string, token?: string, body?: unknown) {
  const response = await fetch(`${gateway}/api/${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, any>) : {} };
}

test('dapr run -f dapr.yaml as the README says: a message goes through the gateway, listeners stay on loopback, dapr stop -f leaves nothing running', async (t) => {
  // A cold build of the CLI and daprd takes about 10 minutes on 2 cores.
  t.timeout(25 * 60_000);
  t.log(`logs: ${logDir}`);
  if (!(await answers(6379))) throw new Error('Redis is not answering on 127.0.0.1:6379; dapr.yaml uses the redis profile');
  // Another run of the platform (npm start, another test of this file) may still be stopping.
  await waitFor(async () => !(await Promise.all(templatePorts.map(answers))).some(Boolean), {
    what: `the template's ports to be free (${templatePorts.join(', ')}); is the platform running already?`,
    timeoutMs: 60_000,
    intervalMs: 500,
  });

  const prepare = run('npm', ['run', 'cli'], 'npm-run-cli.log');
  const prepared = Date.now();
  t.is(await prepare.exited, 0, `npm run cli failed:\n${prepare.tail()}`);
  t.log(`npm run cli: ${((Date.now() - prepared) / 1000).toFixed(1)} s`);

  // Its own process group, as in a terminal: `dapr stop -f` signals the CLI's group.
  const started = Date.now();
  const daprRun = run('.dapr/bin/dapr', ['run', '-f', 'dapr.yaml'], 'dapr-run.log', { detached: true });
  let seen: number[] = [];
  t.teardown(() => endAll(daprRun.child, seen));
  let runExited = false;
  void daprRun.exited.then(() => (runExited = true));

  await waitFor(
    async () => {
      if (runExited) throw new WaitAbortedError(`dapr run exited:\n${daprRun.tail()}`);
      return (await fetch(`${gateway}/api/health`, { signal: AbortSignal.timeout(2_000) })).status === 200;
    },
    { what: `GET /api/health to answer 200 (log: ${daprRun.logFile})`, timeoutMs: 180_000, intervalMs: 500 },
  );
  t.log(`dapr run: healthy in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  seen = processTree(daprRun.child.pid!);
  const open = listeners(seen);
  const pidsOf = (command: string) => new Set(open.filter((l) => l.command === command).map((l) => l.pid));
  t.is(pidsOf('daprd').size, template.apps.length, 'a daprd per app listens');
  t.true(pidsOf('node').size >= template.apps.length, 'every app listens');
  const wide = open.filter((l) => !isLoopback(l.address));
  t.deepEqual(wide, [], `listening beyond loopback:\n${wide.map((l) => `${l.command}[${l.pid}] ${l.protocol} ${l.address}:${l.port}`).join('\n')}`);

  // What `dapr list` shows comes from each sidecar's metadata, which the CLI
  // writes app by app once each app has started: the last app can answer
  // /api/health a moment before its row names the template and its process.
  // So the list is read until every app's row is complete (or the wait ends).
  type ListRow = { appId: string; cliPid: number; appPid: number; runTemplatePath: string };
  let rows: ListRow[] = [];
  let listing = 0;
  await waitFor(
    async () => {
      const listed = await output('.dapr/bin/dapr', ['list', '-o', 'json'], `dapr-list-${++listing}.log`);
      if (listed.code !== 0) throw new WaitAbortedError(`dapr list failed:\n${listed.text}`);
      // (Other sidecars on the machine are listed too, without these.)
      rows = (JSON.parse(listed.text) as ListRow[]).filter((r) => r.runTemplatePath === join(REPO_ROOT, 'dapr.yaml'));
      return rows.length === template.apps.length && rows.every((r) => r.appPid > 0);
    },
    { what: 'dapr list to show every app of the template with its process', timeoutMs: 60_000, intervalMs: 500 },
  ).catch((error: unknown) => {
    // Out of time: the assertion below says which rows are missing.
    if (!(error instanceof TimeoutError)) throw error;
  });
  t.deepEqual(rows.map((r) => r.appId).sort(), template.apps.map((a) => a.appID).sort(), 'dapr list: every app of the template');
  for (const row of rows) {
    t.is(row.cliPid, daprRun.child.pid!, `dapr list: ${row.appId} names the CLI`);
    t.true(seen.includes(row.appPid), `dapr list: ${row.appId} names its app's process`);
  }

  const username = `cli_${randomUUID().slice(0, 8)}`;
  const registered = await api('POST', 'auth/register', undefined, { username, email: `${username}@example.test`, password: `pw-${randomUUID()}` });
  t.is(registered.status, 201, JSON.stringify(registered.body));
  const token = registered.body['accessToken'] as string;
  const room = await api('POST', 'rooms', token, { name: `cli-${username}`, visibility: 'private' });
  t.is(room.status, 201, JSON.stringify(room.body));
  const sent = await api('POST', `rooms/${room.body['id']}/messages`, token, { body: 'hello from dapr run', clientMsgId: 'cli-1' });
  t.is(sent.status, 201, JSON.stringify(sent.body));
  const read = await api('GET', `rooms/${room.body['id']}/messages?after=0&limit=10`, token);
  t.deepEqual(
    (read.body['messages'] as Array<{ body: string }>).map((m) => m.body),
    ['hello from dapr run'],
  );

  // Each app's metrics beside its sidecar's, on the ports the template names.
  for (const app of template.apps) {
    const scraped = await (await fetch(`http://127.0.0.1:${app.env['METRICS_PORT']}/metrics`)).text();
    t.regex(scraped, new RegExp(`^process_cpu_user_seconds_total\\{app="${app.appID}"\\}`, 'm'), `${app.appID}: its own metrics`);
    t.regex(await (await fetch(`http://127.0.0.1:${app.metricsPort}/metrics`)).text(), /^dapr_/m, `${app.appID}: its sidecar's metrics`);
  }

  const stopped = Date.now();
  const stop = await output('.dapr/bin/dapr', ['stop', '-f', 'dapr.yaml'], 'dapr-stop.log');
  t.is(stop.code, 0, stop.text);
  await waitFor(() => runExited, { what: `dapr run to exit after dapr stop (log: ${daprRun.logFile})`, timeoutMs: 60_000, intervalMs: 200 });
  await waitFor(() => !seen.some(alive), { what: 'every process of the run to end', timeoutMs: 30_000, intervalMs: 200 }).catch(() => undefined);
  t.log(`dapr stop: everything ended in ${((Date.now() - stopped) / 1000).toFixed(1)} s`);
  t.deepEqual(seen.filter(alive).map(describeProcess), [], 'nothing of the run is left running');
  t.deepEqual(
    (await Promise.all(templatePorts.map(async (port) => ((await answers(port)) ? port : 0)))).filter(Boolean),
    [],
    'no port of the template answers',
  );
});
