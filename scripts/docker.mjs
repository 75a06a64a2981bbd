#!/usr/bin/env node
// Docker for the Compose test (npm run test:compose) on a machine that may
// have no Docker engine, no compose plugin and no reachable registry, as CI
// here. Each step does nothing when what it makes is already there:
//
//   node scripts/docker.mjs ensure [--local-images]
//     - the engine: Debian's docker.io installed (as root, when dockerd is
//       missing) and dockerd started in the background when none answers;
//     - Compose v2 (>= 2.28.1): built from deploy/docker/compose-cli (a Go
//       module pinned by go.sum) into ~/.docker/cli-plugins when missing;
//     - with --local-images: images standing in for the official ones
//       (node, redis, daprd) made on this machine from a debootstrapped
//       Debian, and the build arguments that select them printed as
//       NAME=value lines.
//   node scripts/docker.mjs stop
//     - stops the dockerd that `ensure` started (none other).
//
// Plain Node, no dependencies (it may run before `npm ci`).
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, cpSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureSidecar } from './ensure-sidecar.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const localDir = join(root, 'deploy', 'docker', 'local');
const composeCliDir = join(root, 'deploy', 'docker', 'compose-cli');
const MIN_COMPOSE = [2, 28, 1];
const PID_FILE = join(tmpdir(), 'chat-platform-dockerd.pid');
const RECIPE_LABEL = 'chat-platform.recipe';
/** Local images, named apart from the official ones they stand in for. */
export const LOCAL_IMAGES = {
  debian: 'chat-platform-local/debian:bookworm',
  node: 'chat-platform-local/node:20',
  redis: 'chat-platform-local/redis:7',
  daprd: 'chat-platform-local/daprd:1.18.1',
};

const say = (line) => process.stderr.write(`[docker] ${line}\n`);
const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...options });
  if (result.error) throw new Error(`${command}: ${result.error.message}`);
  return result;
}

function must(command, args, options = {}) {
  const result = run(command, args, { stdio: ['ignore', 'inherit', 'inherit'], ...options });
  if (result.status !== 0) throw new Error(`${command} ${args.slice(0, 3).join(' ')} ... failed (exit ${result.status})`);
  return result;
}

const onPath = (name) => run('sh', ['-c', `command -v ${name}`]).status === 0;
const daemonAnswers = () => onPath('docker') && run('docker', ['info', '--format', '{{.ServerVersion}}']).status === 0;

function aptInstall(packages) {
  if (process.getuid?.() !== 0 || !onPath('apt-get')) {
    throw new Error(`${packages.join(', ')} missing: install them (Debian: apt-get install ${packages.join(' ')})`);
  }
  say(`installing ${packages.join(', ')} (apt-get) ...`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (run('apt-get', ['install', '-y', '--no-install-recommends', ...packages], { env, stdio: 'ignore' }).status !== 0) {
    must('apt-get', ['update'], { env });
    must('apt-get', ['install', '-y', '--no-install-recommends', ...packages], { env });
  }
}

/** The engine answering on its socket; starts dockerd (and records its pid) when none does. */
export async function ensureEngine() {
  if (daemonAnswers()) return;
  if (!onPath('dockerd')) aptInstall(['docker.io']);
  if (daemonAnswers()) return;
  const log = join(tmpdir(), 'chat-platform-dockerd.log');
  say(`starting dockerd (log: ${log}) ...`);
  const out = openSync(log, 'a');
  const daemon = spawn('dockerd', [], { detached: true, stdio: ['ignore', out, out] });
  closeSync(out);
  daemon.unref();
  writeFileSync(PID_FILE, String(daemon.pid));
  const deadline = Date.now() + 60_000;
  while (!daemonAnswers()) {
    if (daemon.exitCode !== null || Date.now() > deadline) throw new Error(`dockerd did not come up; see ${log}`);
    await sleep(250);
  }
}

/** Stops the dockerd that ensureEngine started, if it is still running; leaves any other alone. */
export async function stopEngine() {
  if (!existsSync(PID_FILE)) return;
  const pid = Number(readFileSync(PID_FILE, 'utf8'));
  rmSync(PID_FILE, { force: true });
  const alive = () => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('dockerd');
    } catch {
      return false;
    }
  };
  if (!alive()) return;
  say(`stopping dockerd (pid ${pid}) ...`);
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 30_000;
  while (alive() && Date.now() < deadline) await sleep(200);
  if (alive()) process.kill(pid, 'SIGKILL');
}

function versionAtLeast(found, wanted) {
  for (let i = 0; i < wanted.length; i++) {
    if ((found[i] ?? 0) !== wanted[i]) return (found[i] ?? 0) > wanted[i];
  }
  return true;
}

/** A short hash of the files' names and contents (not their folders: a recipe is the same in any checkout). */
function hashFiles(files, extra = '') {
  const hash = createHash('sha256').update(extra);
  for (const file of files) hash.update(basename(file)).update(readFileSync(file));
  return hash.digest('hex').slice(0, 16);
}

/** `docker compose` >= 2.28.1; builds the pinned one from deploy/docker/compose-cli when it is missing or older. */
export function ensureCompose() {
  const version = run('docker', ['compose', 'version', '--short']);
  const found = (/(\d+)\.(\d+)\.(\d+)/.exec(version.stdout ?? '') ?? []).slice(1).map(Number);
  const plugin = join(homedir(), '.docker', 'cli-plugins', 'docker-compose');
  const stamp = `${plugin}.sources`;
  const wanted = hashFiles([join(composeCliDir, 'go.mod'), join(composeCliDir, 'go.sum')]);
  const ours = existsSync(stamp) && readFileSync(stamp, 'utf8') === wanted;
  if (version.status === 0 && found.length === 3 && versionAtLeast(found, MIN_COMPOSE) && (ours || !existsSync(stamp))) return;
  if (!onPath('go')) throw new Error('docker compose >= 2.28.1 is missing and Go is not on PATH to build it (deploy/docker/compose-cli)');
  const pinned = /github\.com\/docker\/compose\/v2 (v[\d.]+)/.exec(readFileSync(join(composeCliDir, 'go.mod'), 'utf8'))?.[1];
  say(`building docker compose ${pinned} from deploy/docker/compose-cli (several minutes the first time) ...`);
  const started = Date.now();
  mkdirSync(dirname(plugin), { recursive: true });
  must(
    'go',
    ['build', '-trimpath', '-ldflags', `-s -w -X github.com/docker/compose/v2/internal.Version=${pinned}`, '-o', plugin, 'github.com/docker/compose/v2/cmd'],
    {
      cwd: composeCliDir,
      env: { ...process.env, GOFLAGS: '-mod=readonly' },
    },
  );
  writeFileSync(stamp, wanted);
  say(`built ${plugin} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

const imageLabel = (image) => {
  const result = run('docker', ['image', 'inspect', '--format', `{{index .Config.Labels "${RECIPE_LABEL}"}}`, image]);
  return result.status === 0 ? result.stdout.trim() : undefined;
};

/** The first Debian mirror this machine's apt uses (deb822 or one-line sources). */
function debianMirror() {
  const files = [
    '/etc/apt/sources.list',
    ...(existsSync('/etc/apt/sources.list.d') ? readdirSync('/etc/apt/sources.list.d').map((f) => join('/etc/apt/sources.list.d', f)) : []),
  ];
  for (const file of files.filter((f) => /\.(list|sources)$/.test(f) && existsSync(f))) {
    const text = readFileSync(file, 'utf8');
    const uri = /^URIs:\s*(\S+\/debian)\s*$/m.exec(text)?.[1] ?? /^deb\s+(?:\[[^\]]*\]\s+)?(\S+\/debian)\s+\S+/m.exec(text)?.[1];
    if (uri) return uri;
  }
  throw new Error('no Debian mirror found in /etc/apt/sources.list*');
}

/** A minimal Debian bookworm, debootstrapped and imported, with this machine's CA bundle (HTTPS goes through its proxy). */
function ensureDebianBase() {
  const caBundle = '/etc/ssl/certs/ca-certificates.crt';
  const mirror = debianMirror();
  // Bump the version when the steps below change.
  const recipe = hashFiles(existsSync(caBundle) ? [caBundle] : [], `debian-base-1|${mirror}`);
  if (imageLabel(LOCAL_IMAGES.debian) === recipe) return;
  if (!onPath('debootstrap')) aptInstall(['debootstrap']);
  const work = mkdtempSync(join(tmpdir(), 'chat-platform-rootfs-'));
  const rootfs = join(work, 'rootfs');
  try {
    say(`debootstrap bookworm (minbase) from ${mirror} ...`);
    const started = Date.now();
    must('debootstrap', ['--variant=minbase', 'bookworm', rootfs, mirror], { stdio: ['ignore', 'ignore', 'inherit'] });
    for (const dir of ['var/cache/apt/archives', 'var/lib/apt/lists', 'usr/share/doc', 'usr/share/man', 'usr/share/locale']) {
      rmSync(join(rootfs, dir), { recursive: true, force: true });
      mkdirSync(join(rootfs, dir), { recursive: true });
    }
    mkdirSync(join(rootfs, 'var/cache/apt/archives/partial'), { recursive: true });
    mkdirSync(join(rootfs, 'var/lib/apt/lists/partial'), { recursive: true });
    if (existsSync(caBundle)) {
      mkdirSync(join(rootfs, 'etc/ssl/certs'), { recursive: true });
      cpSync(caBundle, join(rootfs, 'etc/ssl/certs/ca-certificates.crt'));
    }
    const tar = run(
      'sh',
      ['-c', `tar -C "${rootfs}" -c . | docker import --change 'CMD ["bash"]' --change 'LABEL ${RECIPE_LABEL}=${recipe}' - ${LOCAL_IMAGES.debian}`],
      {
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
    if (tar.status !== 0) throw new Error('docker import of the Debian rootfs failed');
    say(`${LOCAL_IMAGES.debian} made in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Builds `image` from deploy/docker/local/<name>.Dockerfile over `files` (copied into a scratch context) unless its recipe label matches. */
function ensureLocalImage(name, image, files, extraRecipe = '') {
  const dockerfile = join(localDir, `${name}.Dockerfile`);
  const base = imageLabel(LOCAL_IMAGES.debian);
  const recipe = hashFiles([dockerfile], `${base}|${extraRecipe}`);
  if (imageLabel(image) === recipe) return;
  const context = mkdtempSync(join(tmpdir(), `chat-platform-${name}-`));
  try {
    for (const [target, source] of Object.entries(files)) cpSync(source, join(context, target), { recursive: true, dereference: true });
    say(`building ${image} ...`);
    const started = Date.now();
    must(
      'docker',
      ['build', '--quiet', '--build-arg', `BASE_IMAGE=${LOCAL_IMAGES.debian}`, '--label', `${RECIPE_LABEL}=${recipe}`, '-t', image, '-f', dockerfile, context],
      {
        stdio: ['ignore', 'ignore', 'inherit'],
        env: { ...process.env, DOCKER_BUILDKIT: '0' },
      },
    );
    say(`${image} built in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
}

/** The stand-ins for node, redis and daprd; returns the build arguments that select them. */
export function ensureLocalImages() {
  ensureDebianBase();
  const npmDir = join(run('npm', ['root', '-g']).stdout.trim(), 'npm');
  const npmVersion = JSON.parse(readFileSync(join(npmDir, 'package.json'), 'utf8')).version;
  ensureLocalImage('node', LOCAL_IMAGES.node, { node: process.execPath, npm: npmDir }, `${process.version}|${npmVersion}`);
  ensureLocalImage('redis', LOCAL_IMAGES.redis, {});
  const daprd = ensureSidecar({ quiet: true });
  ensureLocalImage('daprd', LOCAL_IMAGES.daprd, { daprd }, hashFiles([daprd]));
  return { NODE_IMAGE: LOCAL_IMAGES.node, REDIS_IMAGE: LOCAL_IMAGES.redis, DAPRD_IMAGE: LOCAL_IMAGES.daprd };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [command, ...flags] = process.argv.slice(2);
  try {
    if (command === 'ensure') {
      await ensureEngine();
      ensureCompose();
      if (flags.includes('--local-images')) {
        for (const [name, value] of Object.entries(ensureLocalImages())) process.stdout.write(`${name}=${value}\n`);
      }
    } else if (command === 'stop') {
      await stopEngine();
    } else {
      throw new Error('usage: node scripts/docker.mjs ensure [--local-images] | stop');
    }
  } catch (error) {
    say(error.message);
    process.exit(1);
  }
}
