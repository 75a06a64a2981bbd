import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname } from 'node:path';

/**
 * Ports this process has handed out: the OS may hand a port out again once
 * it is closed, and an instance's app and its daprd picked the same one
 * (daprd: "the 'dapr-http-port' argument value ... conflicts with 'app-port'").
 */
const handedOut = new Set<number>();

/** A free TCP port on loopback, as the OS hands it out, never one this process handed out before. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.unref();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const { port: taken } = server.address() as { port: number };
        server.close(() => resolve(taken));
      });
    });
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
}

export class TimeoutError extends Error {
  override name = 'TimeoutError';
}

/** Thrown by a `waitFor` check to stop waiting at once (the awaited thing can no longer happen). */
export class WaitAbortedError extends Error {
  override name = 'WaitAbortedError';
}

/**
 * Polls `check` until it returns a truthy value, and returns that value.
 * Throws a TimeoutError naming `what` when the deadline passes.
 */
export async function waitFor<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  options: { timeoutMs?: number; intervalMs?: number; what: string },
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      if (error instanceof WaitAbortedError) throw error;
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new TimeoutError(`Timed out waiting for ${options.what}${lastError ? `: ${(lastError as Error).message}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 50));
  }
}

const OUTPUT_TAIL_CHARS = 64 * 1024;

/** Children that end with this process, and how: killed outright, or sent the signal that ends it (a child that stops what it started itself). */
const running = new Map<ChildProcess, 'kill' | 'pass-signal'>();

/**
 * Ends `child` when this process ends, however it ends: `kill` (SIGKILL) for
 * an app, a sidecar, a server; `pass-signal` for a child that stops what it
 * started itself (a benchmark run by the suite), which gets the same signal.
 */
export function endsWithThisProcess(child: ChildProcess, how: 'kill' | 'pass-signal' = 'kill'): void {
  running.set(child, how);
  child.once('exit', () => running.delete(child));
  child.once('error', () => running.delete(child));
}

/** SIGKILL to each child that is killed outright, `passed` to each that stops what it started itself. */
function endChildren(passed: NodeJS.Signals): void {
  for (const [child, how] of running) child.kill(how === 'kill' ? 'SIGKILL' : passed);
}

// A test process that dies still takes its children with it.
process.once('exit', () => endChildren('SIGTERM'));
// So does one ended by a signal (`timeout`, `kill`, a closed terminal), which
// ends Node without 'exit': without this a dozen apps and sidecars outlive
// the benchmark or test that started them, and spoil every later figure on
// two cores. The signal is raised again once they are gone, so the process
// still ends as it would have (listener removed: the default action).
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    endChildren(signal);
    process.kill(process.pid, signal);
  });
}

export interface ManagedProcess {
  readonly child: ChildProcess;
  readonly logFile: string;
  /** Resolves with the exit code once the process has ended. */
  readonly exited: Promise<number | null>;
  /** The end of what the process wrote (stdout and stderr, at most the last 64 KiB), complete once `exited` resolved and its pipes closed. */
  outputTail(): Promise<string>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it is gone. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL at once (a crash). */
  kill(): Promise<void>;
}

export function startProcess(command: string, args: string[], options: { env: NodeJS.ProcessEnv; cwd: string; logFile: string }): ManagedProcess {
  mkdirSync(dirname(options.logFile), { recursive: true });
  const log = createWriteStream(options.logFile, { flags: 'a' });
  const child = spawn(command, args, { env: options.env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  endsWithThisProcess(child);
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  // Kept in memory too, so that a caller can tell why the process ended
  // without reading back a log file that earlier runs appended to.
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARS);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', () => resolve(null));
  });
  void exited.then(() => log.end());
  const alive = () => child.exitCode === null && child.signalCode === null;
  return {
    child,
    logFile: options.logFile,
    exited,
    async outputTail() {
      await exited;
      // 'close' follows 'exit' once the pipes are drained; a grandchild that
      // holds them open must not keep the caller waiting.
      await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 1_000).unref())]);
      return tail;
    },
    async stop(graceMs = 5_000) {
      if (!alive()) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
    async kill() {
      if (alive()) child.kill('SIGKILL');
      await exited;
    },
  };
}
