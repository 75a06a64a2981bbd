#!/usr/bin/env node
// Runs integration test files once per component profile (PROFILE=<name>,
// which the harness's startPlatform reads), one file at a time, and prints a
// table of file x profile with the outcome and the time taken.
//
//   node scripts/test-profiles.mjs                      every integration file on postgres, sqlite, mysql
//   node scripts/test-profiles.mjs --set conformance    the profile-conformance set (CI)
//   node scripts/test-profiles.mjs --profiles sqlite services/api-gateway/test/integration/health.test.ts
//
// npm scripts: `npm run test:profiles`, `npm run test:profiles:conformance`.
// Plain Node, no dependencies. Exits non-zero when any run failed.
import { spawn } from 'node:child_process';
import { readdirSync, existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * What differs between profiles is the stores and brokers behind the same
 * component names, so the conformance set is the tests that exercise them,
 * one file per component kind (docs/profiles.md has the times):
 * - the state-store contract directly (ETags, first-write, transactions,
 *   TTL, bulk get; one sidecar);
 * - `events`: user.registered delivered to profile-service, late, twice,
 *   malformed (profile-service.test.ts);
 * - `fanout`: messages, typing and presence to two gateway replicas, every
 *   component on the way (realtime.test.ts);
 * - the chat-service's own use of the state store: two replicas racing for
 *   one room's head and message blocks, each store's conflict answers
 *   (concurrency.test.ts).
 */
const CONFORMANCE = [
  'packages/platform/test/integration/state-store.test.ts',
  'services/profile-service/test/integration/profile-service.test.ts',
  'services/api-gateway/test/integration/realtime.test.ts',
  'services/chat-service/test/integration/concurrency.test.ts',
];

const DEFAULT_PROFILES = ['postgres', 'sqlite', 'mysql'];

function integrationFiles() {
  const found = [];
  for (const base of ['packages', 'services']) {
    for (const pkg of readdirSync(join(root, base))) {
      const dir = join(root, base, pkg, 'test', 'integration');
      if (!existsSync(dir)) continue;
      for (const file of readdirSync(dir, { recursive: true })) {
        if (String(file).endsWith('.test.ts')) found.push(relative(root, join(dir, String(file))));
      }
    }
  }
  return found.sort();
}

const args = process.argv.slice(2);
let profiles = (process.env['PROFILES'] || DEFAULT_PROFILES.join(',')).split(',').filter(Boolean);
let set = 'all';
const files = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--profiles') profiles = (args[++i] ?? '').split(',').filter(Boolean);
  else if (args[i] === '--set') set = args[++i] ?? 'all';
  else files.push(args[i]);
}
if (files.length === 0) {
  if (set === 'conformance') {
    const missing = CONFORMANCE.filter((f) => !existsSync(join(root, f)));
    for (const f of missing) process.stdout.write(`[profiles] not found, skipped: ${f}\n`);
    files.push(...CONFORMANCE.filter((f) => existsSync(join(root, f))));
  } else if (set === 'all') {
    files.push(...integrationFiles());
  } else {
    process.stderr.write(`--set must be "all" or "conformance", not "${set}"\n`);
    process.exit(2);
  }
}
for (const profile of profiles) {
  if (!existsSync(join(root, 'components', profile))) {
    process.stderr.write(`No component profile "${profile}" (components/${profile})\n`);
    process.exit(2);
  }
}

function runOne(profile, file) {
  return new Promise((done) => {
    const started = Date.now();
    const child = spawn('npx', ['ava', '--config', 'ava.integration.config.js', file], {
      cwd: root,
      env: { ...process.env, PROFILE: profile },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    for (const stream of [child.stdout, child.stderr]) {
      stream.on('data', (chunk) => {
        output += chunk;
        process.stdout.write(chunk.toString().replace(/^(?=.)/gm, `[${profile}] `));
      });
    }
    child.on('exit', (code) => {
      // ava prints one line per test: ✔ passed (also "[expected fail]"), ✘ failed.
      const passed = String((output.match(/^\s*✔/gm) ?? []).length);
      const failed = String((output.match(/^\s*✘ \[fail\]/gm) ?? []).length);
      done({ profile, file, ok: code === 0, passed, failed, seconds: (Date.now() - started) / 1000 });
    });
  });
}

const results = [];
for (const profile of profiles) {
  for (const file of files) {
    process.stdout.write(`\n[profiles] PROFILE=${profile} ${file}\n`);
    results.push(await runOne(profile, file));
  }
}

const width = Math.max(...results.map((r) => r.file.length), 4);
process.stdout.write(`\n${'profile'.padEnd(9)} ${'file'.padEnd(width)} result  tests (pass/fail)  seconds\n`);
for (const r of results) {
  process.stdout.write(
    `${r.profile.padEnd(9)} ${r.file.padEnd(width)} ${(r.ok ? 'pass' : 'FAIL').padEnd(7)} ${`${r.passed}/${r.failed}`.padEnd(18)} ${r.seconds.toFixed(1)}\n`,
  );
}
const failedRuns = results.filter((r) => !r.ok).length;
const total = results.reduce((s, r) => s + r.seconds, 0);
process.stdout.write(`profiles: ${results.length - failedRuns} passed, ${failedRuns} failed (file runs; ${total.toFixed(0)} s)\n`);
process.exit(failedRuns === 0 ? 0 : 1);
