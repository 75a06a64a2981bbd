#!/usr/bin/env node
// `npm start`: installs what is missing (npm dependencies, the sidecar), then
// hands over to the launcher (scripts/launch.ts). Plain Node, no
// dependencies, because it runs before they are installed.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureNpmDependencies } from './ensure-deps.mjs';
import { ensureSidecar } from './ensure-sidecar.mjs';
import { ensureWeb } from './ensure-web.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

if (!ensureNpmDependencies('start')) process.exit(1);

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
