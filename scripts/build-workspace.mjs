#!/usr/bin/env node
// `npm run build` in one workspace: compiles src/ to dist/ with its
// tsconfig.build.json (a fresh dist/, so nothing deleted from src/ lingers),
// then copies the files tsc does not emit (the gateway's docs page start
// script, read at run time next to the module that reads it).
import { spawnSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { extname } from 'node:path';

const workspace = process.cwd();
rmSync('dist', { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const compiled = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
if (compiled.status !== 0) {
  process.stderr.write(`[build] tsc failed in ${workspace}\n`);
  process.exit(compiled.status ?? 1);
}
cpSync('src', 'dist', {
  recursive: true,
  filter: (source) => !['.ts', '.tsx', '.mts', '.cts'].includes(extname(source)),
});
