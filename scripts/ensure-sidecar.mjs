#!/usr/bin/env node
// Makes sure a daprd for this platform exists, building it from sidecar/ (the
// project's own Go module) only when it is missing or its sources changed.
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

export function daprdLocation(env = process.env) {
  if (env.DAPRD_PATH) return { path: env.DAPRD_PATH, own: false };
  if (env.DAPR_RUNTIME_PATH) return { path: join(env.DAPR_RUNTIME_PATH, '.dapr', 'bin', 'daprd'), own: false };
  return { path: join(root, '.dapr', 'bin', 'daprd'), own: true };
}

/** A hash of everything that decides the binary: module files and Go sources. */
function sourcesHash() {
  const hash = createHash('sha256');
  const walk = (dir) => {
    for (const name of readdirSync(dir).sort()) {
      const file = join(dir, name);
      if (statSync(file).isDirectory()) walk(file);
      else if (/\.(go|mod|sum)$/.test(name)) hash.update(name).update(readFileSync(file));
    }
  };
  walk(sidecarDir);
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
  const stamp = `${target.path}.sources`;
  const wanted = sourcesHash();
  if (existsSync(target.path) && existsSync(stamp) && readFileSync(stamp, 'utf8') === wanted) {
    return target.path;
  }
  if (!goVersionOk()) {
    throw new Error(
      `Building daprd needs Go >= ${MIN_GO.join('.')} on PATH (sidecar/go.mod). Install Go, or point DAPRD_PATH at a daprd v1.18 binary.`,
    );
  }
  mkdirSync(dirname(target.path), { recursive: true });
  say('building daprd from sidecar/ (the first build downloads modules and takes several minutes) ...');
  const started = Date.now();
  const build = spawnSync('go', ['build', '-trimpath', '-ldflags', '-s -w', '-o', target.path, './cmd/daprd'], {
    cwd: sidecarDir,
    stdio: 'inherit',
    env: { ...process.env, GOFLAGS: '-mod=readonly' },
  });
  if (build.status !== 0) throw new Error('go build of the sidecar failed (see above)');
  writeFileSync(stamp, wanted);
  const size = statSync(target.path).size;
  say(`built ${target.path} in ${((Date.now() - started) / 1000).toFixed(1)} s (${(size / 1048576).toFixed(1)} MiB)`);
  return target.path;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    ensureSidecar();
  } catch (error) {
    process.stderr.write(`[sidecar] ${error.message}\n`);
    process.exit(1);
  }
}
