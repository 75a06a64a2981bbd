import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { waitFor } from '../../src/testing/process.js';

const FIXTURE = fileURLToPath(new URL('fixtures/holds-a-child.ts', import.meta.url));

/** Running, as opposed to gone or a zombie nobody has reaped yet. */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Starts the fixture, which starts one child through startProcess; resolves with both and the fixture's end. */
async function holdingAChild(t: { teardown: (fn: () => void) => void }, then?: 'exit' | 'nested') {
  const logDir = mkdtempSync(join(tmpdir(), 'process-test-'));
  const holder = spawn(process.execPath, ['--import', 'tsx', FIXTURE, logDir, ...(then ? [then] : [])], {
    stdio: ['ignore', 'pipe', 'inherit'],
    // Its own process group: the teardown can end whatever of it is left, however deep.
    detached: true,
  });
  t.teardown(() => {
    try {
      process.kill(-holder.pid!, 'SIGKILL');
    } catch {
      // already gone: what the test wants
    }
    rmSync(logDir, { recursive: true, force: true });
  });
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    holder.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let out = '';
  holder.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  const heldPid = await waitFor(() => /^\d+\n/.test(out) && Number(out.trim()), { what: 'the fixture to print its child pid' });
  return { holder, heldPid, ended };
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  test(`a process ended by ${signal} takes what it started with it, and still ends by that signal`, async (t) => {
    const { holder, heldPid, ended } = await holdingAChild(t);
    t.true(running(heldPid));
    holder.kill(signal);
    t.deepEqual(await ended, { code: null, signal });
    await waitFor(() => !running(heldPid), { what: `the child ${heldPid} to be gone` });
    t.pass();
  });
}

test('a process that ends by itself takes what it started with it, and keeps its exit code', async (t) => {
  const { heldPid, ended } = await holdingAChild(t, 'exit');
  t.deepEqual(await ended, { code: 3, signal: null });
  await waitFor(() => !running(heldPid), { what: `the child ${heldPid} to be gone` });
  t.pass();
});

test('a process ended by a signal passes it to a child that stops what it started itself, and nothing outlives them', async (t) => {
  const { holder, heldPid, ended } = await holdingAChild(t, 'nested');
  t.true(running(heldPid));
  holder.kill('SIGTERM');
  t.deepEqual(await ended, { code: null, signal: 'SIGTERM' });
  await waitFor(() => !running(heldPid), { what: `the grandchild ${heldPid} to be gone` });
  t.pass();
});
