import test from 'ava';
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { Readable } from 'node:stream';

const fixture = fileURLToPath(new URL('./fixtures/shutdown-app.ts', import.meta.url));

/** The fixture started in `mode`, its standard output piped here; resolves once it logged that it listens. */
async function startService(mode: string): Promise<{ child: ChildProcessByStdio<null, Readable, null>; output: string[] }> {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
  const output: string[] = [];
  let partial = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop()!;
    output.push(...parts);
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', () => output.some((line) => line.includes('"listening"')) && resolve());
    child.once('exit', (code) => reject(new Error(`the fixture exited (${code}) before listening`)));
  });
  return { child, output };
}

/** Resolves with the exit code, or with 'still running' after `ms`. */
async function exitWithin(child: ChildProcessByStdio<null, Readable, null>, ms: number): Promise<number | string | null> {
  if (child.exitCode !== null) return child.exitCode;
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<string>((resolve) => (timer = setTimeout(() => resolve('still running'), ms)));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  try {
    return await Promise.race([exited, gaveUp]);
  } finally {
    clearTimeout(timer);
  }
}

// `dapr stop` signals the CLI and every app at once, and the CLI, which
// reads the apps' output, exits at once: each app logs its shutdown into a
// pipe nobody reads any more. That once kept an app running for good.
for (const mode of ['closers', 'grace', 'at-once']) {
  test(`when its output has no reader any more and it logs up to its exit (${mode}), a service still exits on SIGINT`, async (t) => {
    const { child } = await startService(mode);
    t.teardown(() => child.kill('SIGKILL'));
    child.stdout.destroy();
    await once(child.stdout, 'close');
    child.kill('SIGINT');
    const code = await exitWithin(child, 15_000);
    t.not(code, 'still running');
  });
}

test('when its output is read, every line logged up to its exit arrives', async (t) => {
  const { child, output } = await startService('at-once');
  t.teardown(() => child.kill('SIGKILL'));
  const ended = once(child.stdout, 'end');
  child.kill('SIGINT');
  t.is(await exitWithin(child, 15_000), 0);
  await ended;
  t.is(output.filter((line) => line.includes('"closing"')).length, 200);
  t.true(output.some((line) => line.includes('"shutting down"')));
});
