/**
 * Runs the platform from dapr.yaml the way `dapr run -f dapr.yaml` does: each
 * app, then its daprd, with the profile's components. It keeps the same
 * template and the same daprd command line as the real CLI (README, "The dapr
 * CLI"), and adds what the CLI lacks: other profiles, starting the profile's
 * store if it is installed but not running, several gateway replicas, and a
 * health summary. Ctrl-C stops everything it started.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import {
  REPO_ROOT,
  SIDECAR_ENV,
  daprdPath,
  SIDECAR_START_ATTEMPTS,
  prepareProfile,
  prepareRunEnv,
  readRunTemplate,
  sidecarArgs,
  sidecarReadiness,
  instancePorts,
  portBindable,
  startInstances,
  templateSidecarSpec,
} from '@chat/devkit/runtime';
import { PROFILE_NEEDS, reachable } from './profiles.js';

const started = Date.now();
/** An app's metrics port is its sidecar's metrics port plus this (9100 for the gateway's 9090). */
const APP_METRICS_OFFSET = 10;
const profile = process.env['PROFILE'] || 'redis';
const replicas = Number.parseInt(process.env['GATEWAY_REPLICAS'] || '1', 10);
if (!Number.isInteger(replicas) || replicas < 1 || replicas > 9) fail('GATEWAY_REPLICAS must be a number from 1 to 9');

const template = readRunTemplate();
const apps = startInstances(template, replicas);

const children: Array<{ label: string; child: ChildProcess }> = [];
/** Children stopped to be started again (a sidecar that came up without a component). */
const replaced = new Set<ChildProcess>();
let stopping = false;

function fail(message: string): never {
  process.stderr.write(`[start] ${message}\n`);
  process.exit(1);
}

const say = (line: string) => process.stdout.write(`[start] ${line}\n`);

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (stopping) throw new Error('stopping');
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Starts a process whose output lines are shown prefixed with its label. */
function run(label: string, command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): ChildProcess {
  // Its own process group, so a stop reaches what it starts too (npm runs the app as a child).
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  for (const stream of [child.stdout, child.stderr]) {
    if (stream) createInterface({ input: stream }).on('line', (line) => process.stdout.write(`[${label}] ${line}\n`));
  }
  child.on('exit', (code, signal) => {
    if (!stopping && !replaced.has(child)) process.stdout.write(`[start] ${label} exited (${signal ?? code}); the others keep running\n`);
  });
  children.push({ label, child });
  return child;
}

let stopped: Promise<void> | undefined;
/** Stops everything once; a second signal waits for the same stop instead of exiting mid-way. */
function stopAll(): Promise<void> {
  stopped ??= stopEverything();
  return stopped;
}

async function stopEverything(): Promise<void> {
  stopping = true;
  say('stopping ...');
  // Sidecars first (they stop delivering to their apps), then apps, then stores we started.
  const isSidecar = (label: string) => label.endsWith(':daprd');
  const isStore = (label: string) => label.startsWith('store:');
  const waves = [
    children.filter((c) => isSidecar(c.label)),
    children.filter((c) => !isSidecar(c.label) && !isStore(c.label)),
    children.filter((c) => isStore(c.label)),
  ];
  for (const wave of waves) await Promise.all(wave.map(({ child }) => stopChild(child)));
}

/** SIGTERM to the child's process group, SIGKILL after 5 s; resolves once it has exited. */
function stopChild(child: ChildProcess): Promise<void> {
  return new Promise<void>((done) => {
    if (child.exitCode !== null || child.signalCode !== null) return done();
    const signalGroup = (signal: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, signal);
      } catch {
        child.kill(signal);
      }
    };
    const force = setTimeout(() => signalGroup('SIGKILL'), 5_000);
    child.once('exit', () => (clearTimeout(force), done()));
    signalGroup('SIGTERM');
  });
}

// Whoever started us may be gone (a closed terminal, an npm that exited on
// SIGTERM): a write to its pipe must not kill the launcher before it has
// stopped what it started.
process.stdout.on('error', () => undefined);
process.stderr.on('error', () => undefined);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => void stopAll().then(() => process.exit(0)));
}

async function main() {
  const needs = PROFILE_NEEDS[profile];
  if (!needs) fail(`Unknown PROFILE "${profile}". Profiles: ${Object.keys(PROFILE_NEEDS).join(', ')}`);

  for (const dep of needs) {
    if (await reachable(dep.port)) continue;
    const [command, ...args] = dep.start ?? [];
    if (!command) fail(`${dep.name} is not answering on 127.0.0.1:${dep.port}: ${dep.hint}`);
    say(`${dep.name} is not running; starting ${command} ...`);
    const child = run(`store:${command}`, command, args, { cwd: REPO_ROOT, env: process.env });
    const spawnFailed = new Promise<boolean>((done) => child.once('error', () => done(false)));
    const ok = await Promise.race([
      spawnFailed,
      waitUntil(`${dep.name} on ${dep.port}`, () => reachable(dep.port), 15_000).then(
        () => true,
        () => false,
      ),
    ]);
    if (!ok) fail(`${dep.name} is not answering on 127.0.0.1:${dep.port} and could not be started: ${dep.hint}`);
  }

  const busy: string[] = [];
  for (const app of apps) {
    for (const port of instancePorts(app)) {
      if (!(await portBindable(port))) busy.push(`${port} (${app.label})`);
    }
  }
  if (busy.length > 0) fail(`ports already in use: ${busy.join(', ')}. Is the platform already running?`);

  const runEnv = prepareRunEnv({ runDir: join(REPO_ROOT, '.dapr', 'run', profile), profile, given: process.env });
  // What the profile's servers need before a sidecar starts (JetStream streams, the MySQL table).
  for (const action of (await prepareProfile(runEnv.resourcesPath, runEnv.env)).actions) say(action);
  const daprd = daprdPath();
  const baseEnv = { ...process.env, ...runEnv.env };

  await Promise.all(
    apps.map(async (app) => {
      const cwd = resolve(REPO_ROOT, app.appDirPath);
      const [command, ...args] = app.command;
      run(app.label, command!, args, {
        cwd,
        env: {
          ...baseEnv,
          ...runEnv.appEnv(app.appID),
          APP_ID: app.appID,
          APP_PORT: String(app.appPort),
          APP_PROTOCOL: 'http',
          DAPR_HTTP_PORT: String(app.daprHTTPPort),
          DAPR_GRPC_PORT: String(app.daprGRPCPort),
          INSTANCE_LABEL: app.label,
          // The app's own Prometheus /metrics, beside its sidecar's (README, Ports).
          METRICS_PORT: String(app.metricsPort + APP_METRICS_OFFSET),
        },
      });
      await waitUntil(`${app.label} on ${app.appPort}`, async () => (await fetch(`http://127.0.0.1:${app.appPort}/healthz`)).ok);
      // A sidecar that comes up without a component (name resolution's
      // database locked by the sidecars starting beside it: see
      // failedComponentInits) is started again.
      for (let attempt = 1; ; attempt++) {
        const sidecar = run(
          `${app.label}:daprd`,
          daprd,
          sidecarArgs({ ...templateSidecarSpec(template, app, runEnv), internalGrpcPort: app.internalGrpcPort }),
          {
            cwd,
            env: { ...baseEnv, ...runEnv.appEnv(app.appID), ...SIDECAR_ENV, POD_NAME: app.label },
          },
        );
        let failed: string[] | undefined;
        await waitUntil(
          `the sidecar of ${app.label}`,
          async () => (failed = await sidecarReadiness({ httpPort: app.daprHTTPPort, metricsPort: app.metricsPort })) !== undefined,
        );
        if (!failed || failed.length === 0) break;
        const what = `the sidecar of ${app.label} went on without ${failed.join(', ')}`;
        if (attempt >= SIDECAR_START_ATTEMPTS) throw new Error(`${what}, ${attempt} times`);
        say(`${what}; starting it again`);
        replaced.add(sidecar);
        await stopChild(sidecar);
      }
    }),
  );

  const gateways = apps.filter((a) => a.appID === 'api-gateway');
  // Every service ready behind the gateway: on a cold, busy 2-core machine that took more than 30 s (CI).
  let health = '';
  await waitUntil(
    'GET /api/health to answer 200',
    async () => {
      const response = await fetch(`http://127.0.0.1:${gateways[0]!.appPort}/api/health`);
      health = await response.text();
      return response.ok;
    },
    120_000,
  ).catch((error: unknown) => {
    throw new Error(`${(error as Error).message}; it last answered ${health}`);
  });
  say(`profile ${profile}: ${apps.length} apps and ${apps.length} sidecars healthy in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  for (const gateway of gateways) say(`gateway: http://127.0.0.1:${gateway.appPort}  (health: /api/health, docs: /api/docs)`);
  say('Ctrl-C stops everything.');
}

main().catch(async (error: Error) => {
  if (stopping) return;
  process.stderr.write(`[start] ${error.message}\n`);
  await stopAll();
  process.exit(1);
});
