#!/usr/bin/env node
// `npm run cli`: everything `dapr run -f dapr.yaml` needs, with the real dapr
// CLI: the npm dependencies, daprd (sidecar/) and the CLI (sidecar/cli/) in
// .dapr/bin, then each app's run files (scripts/cli-run-files.ts). Plain Node,
// no dependencies, because it runs before they are installed.
import { spawnSync } from 'node:child_process';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureNpmDependencies } from './ensure-deps.mjs';
import { cliPath, ensureCli, ensureSidecar } from './ensure-sidecar.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

if (!ensureNpmDependencies('cli')) process.exit(1);
try {
  ensureSidecar();
  ensureCli();
} catch (error) {
  process.stderr.write(`[cli] ${error.message}\n`);
  process.exit(1);
}
const files = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'scripts', 'cli-run-files.ts')], { cwd: root, stdio: 'inherit' });
if (files.status !== 0) process.exit(files.status ?? 1);
const dapr = relative(process.cwd(), cliPath) || cliPath;
process.stdout.write(`[cli] ready: ${dapr} run -f dapr.yaml   (stop: Ctrl-C, or ${dapr} stop -f dapr.yaml)\n`);
