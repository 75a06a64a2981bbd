#!/usr/bin/env node
// Makes sure the web client is built (web/dist, served by the api-gateway at /),
// building it with Vite only when it is missing or its sources changed (a hash
// of them is kept in web/dist/.sources). Run by the root `postinstall` (so
// `npm ci` leaves a built client), by `npm start` and by the web tests.
// `--if-installed`: do nothing when Vite is not installed (an install without
// dev dependencies); the gateway then answers / with a 404 that says so.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const web = join(root, 'web');
const dist = join(web, 'dist');
const stamp = join(dist, '.sources');

/** Everything that decides the build: the client's sources and config, and the locked dependency versions. */
function sourcesHash() {
  const hash = createHash('sha256');
  const add = (file) => hash.update(relative(root, file)).update(readFileSync(file));
  const walk = (dir) => {
    for (const name of readdirSync(dir).sort()) {
      const file = join(dir, name);
      if (statSync(file).isDirectory()) walk(file);
      else add(file);
    }
  };
  walk(join(web, 'src'));
  for (const file of ['index.html', 'vite.config.ts', 'package.json', 'tsconfig.json']) add(join(web, file));
  add(join(root, 'package-lock.json'));
  return hash.digest('hex');
}

function viteBin() {
  try {
    const require = createRequire(join(web, 'package.json'));
    const pkg = require.resolve('vite/package.json');
    return join(dirname(pkg), JSON.parse(readFileSync(pkg, 'utf8')).bin.vite);
  } catch {
    return undefined;
  }
}

export function ensureWeb({ ifInstalled = false, quiet = false } = {}) {
  const say = (line) => quiet || process.stdout.write(`[web] ${line}\n`);
  const wanted = sourcesHash();
  if (existsSync(join(dist, 'index.html')) && existsSync(stamp) && readFileSync(stamp, 'utf8') === wanted) return false;
  const vite = viteBin();
  if (!vite) {
    if (ifInstalled) return false;
    throw new Error('Vite is not installed: run `npm ci` first');
  }
  say('building the web client (web/dist) ...');
  const build = spawnSync(process.execPath, [vite, 'build', '--logLevel', 'warn'], { cwd: web, stdio: 'inherit' });
  if (build.status !== 0) throw new Error(`the web client build failed (exit ${build.status})`);
  writeFileSync(stamp, wanted);
  say('built');
  return true;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    ensureWeb({ ifInstalled: process.argv.includes('--if-installed') });
  } catch (error) {
    process.stderr.write(`[web] ${error.message}\n`);
    process.exit(1);
  }
}
