// Installs the npm dependencies (npm ci) when they are missing or older than
// package-lock.json. Plain Node, no dependencies: it runs before they exist.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Returns false when `npm ci` failed (its output is on the terminal). */
export function ensureNpmDependencies(label) {
  const installed = join(root, 'node_modules', '.package-lock.json');
  const lock = join(root, 'package-lock.json');
  if (existsSync(installed) && statSync(installed).mtimeMs >= statSync(lock).mtimeMs) return true;
  process.stdout.write(`[${label}] installing npm dependencies (npm ci) ...\n`);
  return spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' }).status === 0;
}

// `node scripts/ensure-deps.mjs <label>`: npm test's pretest, so that it too works on a fresh clone.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exit(ensureNpmDependencies(process.argv[2] ?? 'deps') ? 0 : 1);
}
