/**
 * `docker compose up --build` itself, then what a user does first through the
 * gateway (register, create a room, send, read back), then `down -v`, always.
 * `npm run test:compose`; needs root on Debian the first time (it installs and
 * starts Docker, builds the compose plugin and the local images: see
 * scripts/docker.mjs). COMPOSE_TEST_IMAGES=official uses the official images
 * (a registry must be reachable) instead of the local stand-ins.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT, freePort, waitFor } from '@chat/devkit/testing';

const project = `chat-platform-test-${process.pid}`;
const work = mkdtempSync(join(tmpdir(), 'chat-platform-compose-'));
const envFile = join(work, 'tokens.env');
let composeEnv: NodeJS.ProcessEnv = process.env;
let gateway = '';
let upStarted = false;
let anyFailed = false;

/** Runs a command from the repository root, its output passed through (stdout unless `echo` is false); resolves with its exit code and stdout. */
function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env, echo = true): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (echo) process.stderr.write(chunk);
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code: code ?? 1, stdout }));
  });
}

async function must(command: string, args: string[], env?: NodeJS.ProcessEnv): Promise<string> {
  const { code, stdout } = await run(command, args, env);
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} exited ${code}`);
  return stdout;
}

const compose = (...args: string[]) => ['compose', '--project-name', project, '--env-file', envFile, ...args];

test.before(async () => {
  const started = Date.now();
  const official = process.env['COMPOSE_TEST_IMAGES'] === 'official';
  const ensured = await must('node', ['scripts/docker.mjs', 'ensure', ...(official ? [] : ['--local-images'])]);
  const images = Object.fromEntries(
    ensured
      .split('\n')
      .map((line) => /^([A-Z_]+)=(.+)$/.exec(line))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1]!, m[2]!]),
  );
  await must('node', ['scripts/compose-env.mjs', envFile]);
  const port = await freePort();
  composeEnv = { ...process.env, ...images, GATEWAY_PORT: String(port) };
  gateway = `http://127.0.0.1:${port}`;
  const ready = Date.now();
  upStarted = true;
  await must('docker', compose('up', '--build', '--detach', '--wait', '--wait-timeout', '600'), composeEnv);
  process.stderr.write(
    `[compose test] docker and images ready in ${((ready - started) / 1000).toFixed(0)} s; up --build --wait took ${((Date.now() - ready) / 1000).toFixed(0)} s\n`,
  );
});

test.afterEach.always((t) => {
  if (!t.passed) anyFailed = true;
});

test.after.always(async () => {
  if (upStarted) {
    // What the containers said, for a failed run's log.
    if (anyFailed) await run('docker', compose('logs', '--no-color', '--tail', '200'), composeEnv);
    await run('docker', compose('down', '--volumes', '--remove-orphans', '--timeout', '10'), composeEnv);
  }
  rmSync(work, { recursive: true, force: true });
  await run('node', ['scripts/docker.mjs', 'stop']);
});

async function call(method: string, path: string, options: { token?: string; body?: unknown } = {}) {
  const response = await fetch(`${gateway}${path}`, {
    method,
    headers: {
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

test.serial(
  'through the gateway of `docker compose up`, a new user registers, sends a message to a room and reads it back, and stores an avatar; the web client and the API docs page are served',
  async (t) => {
    t.like(await call('GET', '/api/health'), {
      status: 200,
      body: { status: 'ok', services: { 'api-gateway': 'ok', 'auth-service': 'ok', 'profile-service': 'ok', 'chat-service': 'ok' } },
    });

    // The web client, built into the image, served by the gateway at /.
    const page = await fetch(`${gateway}/`);
    t.is(page.status, 200);
    t.regex(page.headers.get('content-type') ?? '', /^text\/html/);
    t.regex(await page.text(), /<script type="module" [^>]*src="\/assets\//);
    // The API docs page: Swagger UI's files come from the image's production dependencies (swagger-ui-dist).
    t.is((await fetch(`${gateway}/api/docs`)).status, 200);
    for (const file of ['swagger-ui-bundle.js', 'swagger-ui.css', 'start-swagger-ui.js']) t.is((await fetch(`${gateway}/api/docs/${file}`)).status, 200, file);

    const username = `compose_${process.pid}`;
    const registered = await call('POST', '/api/auth/register', {
      body: { username, email: `${username}@example.test`, password: `pw-${process.pid}-compose-test` },
    });
    t.is(registered.status, 201);
    const token: string = registered.body.accessToken;

    const room = await call('POST', '/api/rooms', { token, body: { name: 'compose', visibility: 'private' } });
    t.is(room.status, 201);
    const sent = await call('POST', `/api/rooms/${room.body.id}/messages`, { token, body: { body: 'hello from compose' } });
    t.like(sent, { status: 201, body: { seq: 1, body: 'hello from compose' } });

    t.like(await call('GET', `/api/rooms/${room.body.id}/messages`, { token }), {
      status: 200,
      body: { messages: [{ seq: 1, authorId: registered.body.user.id, body: 'hello from compose' }] },
    });
    // The profile is made by profile-service from the user.registered event:
    // pub/sub between containers through Redis works too.
    const profile = await waitFor(
      async () => {
        const answer = await call('GET', '/api/profiles/me', { token });
        return answer.status === 404 ? undefined : answer;
      },
      { what: 'the profile made from user.registered', timeoutMs: 30_000, intervalMs: 200 },
    );
    t.like(profile, { status: 200, body: { userId: registered.body.user.id, username } });

    // An avatar goes through profile-service's sidecar into the shared `run`
    // volume (the avatars binding), which `init` handed to the sidecars' user.
    const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');
    const uploaded = await fetch(`${gateway}/api/profiles/me/avatar`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'image/png' },
      body: png,
    });
    t.is(uploaded.status, 200);
    const avatar = await fetch(`${gateway}/api/profiles/${registered.body.user.id}/avatar`, { headers: { authorization: `Bearer ${token}` } });
    t.is(avatar.status, 200);
    t.deepEqual(Buffer.from(await avatar.arrayBuffer()), png);
  },
);

test.serial('on the project network, every metrics port Prometheus scrapes answers, with every metric the dashboard shows', async (t) => {
  const read = (path: string) => readFileSync(join(REPO_ROOT, path), 'utf8');
  const prometheus = parse(read('deploy/compose/observability/prometheus.yml')) as { scrape_configs: Array<{ static_configs: Array<{ targets: string[] }> }> };
  const targets = prometheus.scrape_configs.flatMap((c) => c.static_configs.flatMap((s) => s.targets));
  // From inside the gateway's container, as a scraper on the network would.
  const script = `Promise.all(${JSON.stringify(targets)}.map((target) => fetch('http://' + target + '/metrics').then((r) => r.text()))).then((texts) => process.stdout.write(JSON.stringify(texts)))`;
  const { code, stdout } = await run('docker', compose('exec', '-T', 'api-gateway', 'node', '-e', script), composeEnv, false);
  t.is(code, 0);
  const texts = JSON.parse(stdout.slice(stdout.indexOf('['))) as string[];
  t.is(texts.length, targets.length);
  const exposed = new Set(texts.flatMap((text) => [...text.matchAll(/^(?:# TYPE )?([a-z_][a-z0-9_]*)/gm)].map((m) => m[1]!)));
  const dashboard = JSON.parse(read('deploy/compose/observability/grafana/dashboards/chat-platform.json')) as {
    panels: Array<{ targets: Array<{ expr: string }> }>;
  };
  const shown = dashboard.panels.flatMap((p) => p.targets.flatMap((target) => [...target.expr.matchAll(/\b[a-z][a-z0-9_]*\b/g)].map((m) => m[0])));
  const metricsShown = [...new Set(shown.filter((word) => /_(total|seconds|bucket|count)$|^(dapr|nodejs|realtime)_/.test(word)))];
  for (const name of metricsShown) t.true(exposed.has(name) || exposed.has(name.replace(/_bucket$/, '')), `${name} is scraped from no target`);
});

test.serial('deploy/compose/observability.yml is a valid Compose file over docker-compose.yml (its images are not run here)', async (t) => {
  const overlay = ['compose', '--project-name', project, '--env-file', envFile, '-f', 'docker-compose.yml', '-f', 'deploy/compose/observability.yml'];
  const { code, stdout } = await run('docker', [...overlay, 'config', '--services'], composeEnv, false);
  t.is(code, 0);
  for (const service of ['otel-collector', 'jaeger', 'prometheus', 'grafana', 'api-gateway', 'chat-service-dapr'])
    t.true(stdout.split('\n').includes(service), service);
});
