#!/usr/bin/env node
// Makes sure the platform's Go binaries exist, building each from its module
// only when it is missing or its sources changed (a hash of them is kept
// beside the binary):
// - daprd, from sidecar/ (the project's own Go module): always;
// - the dapr CLI, from sidecar/cli/ (a module requiring github.com/dapr/cli):
//   with --cli, for `npm run cli` (dapr.yaml run by the real CLI).
// A user's own daprd is used as it is when DAPRD_PATH or DAPR_RUNTIME_PATH
// points at one. Plain Node (no dependencies): it runs before `npm ci` has.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const sidecarDir = join(root, 'sidecar');
const MIN_GO = [1, 26, 4];
/** The CLI version the module proxy still serves (it refuses github.com/dapr/cli v1.13 and later). */
export const CLI_VERSION = '1.12.0';

export function daprdLocation(env = process.env) {
  if (env.DAPRD_PATH) return { path: env.DAPRD_PATH, own: false };
  if (env.DAPR_RUNTIME_PATH) return { path: join(env.DAPR_RUNTIME_PATH, '.dapr', 'bin', 'daprd'), own: false };
  return { path: join(root, '.dapr', 'bin', 'daprd'), own: true };
}

export const cliPath = join(root, '.dapr', 'bin', 'dapr');

const BUILDS = {
  daprd: { dir: sidecarDir, target: './cmd/daprd', ldflags: '-s -w', note: 'the first build downloads modules and takes several minutes' },
  dapr: {
    dir: join(sidecarDir, 'cli'),
    target: 'github.com/dapr/cli',
    ldflags: `-s -w -X main.version=${CLI_VERSION}`,
    note: 'the first build downloads modules and takes about 5 minutes on 2 cores',
  },
};

/** A hash of everything that decides a binary: its module's files and Go sources, not those of modules nested in it. */
function sourcesHash(moduleDir) {
  const hash = createHash('sha256');
  const walk = (dir) => {
    for (const name of readdirSync(dir).sort()) {
      const file = join(dir, name);
      if (statSync(file).isDirectory()) {
        if (!existsSync(join(file, 'go.mod'))) walk(file);
      } else if (/\.(go|mod|sum)$/.test(name)) hash.update(name).update(readFileSync(file));
    }
  };
  walk(moduleDir);
  return hash.digest('hex');
}

function goVersionOk() {
  const result = spawnSync('go', ['env', 'GOVERSION'], { encoding: 'utf8' });
  if (result.status !== 0) return false;
  const parts = (/go(\d+)\.(\d+)(?:\.(\d+))?/.exec(result.stdout) ?? []).slice(1).map((p) => Number(p ?? 0));
  for (let i = 0; i < 3; i++) {
    if (parts[i] > MIN_GO[i]) return true;
    if (parts[i] < MIN_GO[i]) return false;
  }
  return true;
}

function ensureBuilt(name, path, say) {
  const build = BUILDS[name];
  const stamp = `${path}.sources`;
  const wanted = sourcesHash(build.dir);
  if (existsSync(path) && existsSync(stamp) && readFileSync(stamp, 'utf8') === wanted) return path;
  if (!goVersionOk()) {
    throw new Error(
      `Building ${name} needs Go >= ${MIN_GO.join('.')} on PATH (${join('sidecar', name === 'dapr' ? 'cli' : '', 'go.mod')}).` +
        (name === 'daprd' ? ' Install Go, or point DAPRD_PATH at a daprd v1.18 binary.' : ' Install Go.'),
    );
  }
  mkdirSync(dirname(path), { recursive: true });
  say(`building ${name} from ${build.dir.slice(root.length + 1)}/ (${build.note}) ...`);
  const started = Date.now();
  const result = spawnSync('go', ['build', '-trimpath', '-ldflags', build.ldflags, '-o', path, build.target], {
    cwd: build.dir,
    stdio: 'inherit',
    env: { ...process.env, GOFLAGS: '-mod=readonly' },
  });
  if (result.status !== 0) throw new Error(`go build of ${name} failed (see above)`);
  writeFileSync(stamp, wanted);
  const size = statSync(path).size;
  say(`built ${path} in ${((Date.now() - started) / 1000).toFixed(1)} s (${(size / 1048576).toFixed(1)} MiB)`);
  return path;
}

export function ensureSidecar({ quiet = false } = {}) {
  const say = (line) => quiet || process.stdout.write(`[sidecar] ${line}\n`);
  const target = daprdLocation();
  if (!target.own) {
    if (!existsSync(target.path)) {
      throw new Error(`daprd not found at ${target.path} (from DAPRD_PATH / DAPR_RUNTIME_PATH); unset them to build the platform's own`);
    }
    say(`using ${target.path}`);
    return target.path;
  }
  return ensureBuilt('daprd', target.path, say);
}

/** The dapr CLI at .dapr/bin/dapr, built from sidecar/cli/ when missing or changed. */
export function ensureCli({ quiet = false } = {}) {
  return ensureBuilt('dapr', cliPath, (line) => quiet || process.stdout.write(`[cli] ${line}\n`));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    ensureSidecar();
    if (process.argv.includes('--cli')) ensureCli();
  } catch (error) {
    process.stderr.write(`[sidecar] ${error.message}\n`);
    process.exit(1);
  }
}
