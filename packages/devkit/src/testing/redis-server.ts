/**
 * A test's own redis-server, for tests that crash the platform's store and
 * broker: the machine's shared Redis (6379) is never touched. It listens on
 * a free loopback port and keeps everything in an append-only file with
 * `appendfsync always`, so a SIGKILL loses nothing that was acknowledged and
 * a restart on the same folder brings every key, stream and consumer group
 * back. `stop()` ends it and removes its folder.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startProcess, waitFor, WaitAbortedError, type ManagedProcess } from './process.js';

export interface OwnRedis {
  /** host:port, as the components' redisHost takes it. */
  host: string;
  port: number;
  process: ManagedProcess;
  /** Runs one command (e.g. `ACL SETUSER default -xadd`); answers the reply's first line. */
  command(...args: string[]): Promise<string>;
  /** SIGKILL, as a crash. */
  kill(): Promise<void>;
  /** Starts it again on the same port and folder; resolves once it answers PING. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startRedisServer(options: { command?: string; readyTimeoutMs?: number } = {}): Promise<OwnRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'chat-redis-'));
  const port = await freePort();
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--appendonly',
    'yes',
    '--appendfsync',
    'always',
    '--save',
    '',
    '--daemonize',
    'no',
  ];
  const launch = async (): Promise<ManagedProcess> => {
    const proc = startProcess(options.command ?? 'redis-server', args, { env: process.env, cwd: dir, logFile: join(dir, 'redis.log') });
    let exited = false;
    void proc.exited.then(() => (exited = true));
    await waitFor(
      async () => {
        if (exited) throw new WaitAbortedError(`redis-server exited; see ${proc.logFile}`);
        return (await send(port, ['PING'])) === '+PONG';
      },
      { what: `redis-server on ${port} to answer PING`, timeoutMs: options.readyTimeoutMs ?? 20_000, intervalMs: 50 },
    );
    return proc;
  };
  const self: OwnRedis = {
    host: `127.0.0.1:${port}`,
    port,
    process: await launch(),
    command: (...command) => send(port, command),
    async kill() {
      await self.process.kill();
    },
    async restart() {
      await self.process.kill();
      self.process = await launch();
    },
    async stop() {
      await self.process.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return self;
}

/** One command over RESP; answers the first line of the reply (a refused or silent server throws). */
function send(port: number, command: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(1_000, () => socket.destroy(new Error('no answer')));
    socket.once('error', reject);
    const encoded = `*${command.length}\r\n${command.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('')}`;
    socket.once('connect', () => socket.write(encoded));
    socket.once('data', (data) => {
      socket.end();
      // A loading server answers -LOADING: not ready yet.
      resolve(data.toString('utf8').split('\r\n')[0]!);
    });
  });
}
