#!/usr/bin/env node
// `npm start`: installs what is missing (npm dependencies, the sidecar), then
// hands over to the launcher (scripts/launch.ts). Plain Node, no
// dependencies, because it runs before they are installed.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureSidecar } from './ensure-sidecar.mjs';
import { ensureWeb } from './ensure-web.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const installed = join(root, 'node_modules', '.package-lock.json');
const lock = join(root, 'package-lock.json');

if (!existsSync(installed) || statSync(installed).mtimeMs < statSync(lock).mtimeMs) {
  process.stdout.write('[start] installing npm dependencies (npm ci) ...\n');
  const ci = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (ci.status !== 0) process.exit(ci.status ?? 1);
}

try {
  ensureSidecar();
  // The browser client that the gateway serves at / (built by `npm ci` already, unless web/ changed since).
  ensureWeb();
} catch (error) {
  process.stderr.write(`[start] ${error.message}\n`);
  process.exit(1);
}

const launcher = spawn(process.execPath, ['--import', 'tsx', join(root, 'scripts', 'launch.ts'), ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
});
// The launcher handles Ctrl-C itself (it gets the same SIGINT from the terminal).
process.stdout.on('error', () => undefined);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => launcher.kill(signal));
launcher.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
