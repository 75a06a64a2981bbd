/**
 * The gateway's Socket.IO edge attacked for its memory and its connections,
 * with real tokens, real sidecars and chat-service, from bare TCP (a client
 * that stops reading, connections that never join the namespace): each
 * attacker is cut off, the figure the gateway logs for what it held stays
 * within its bound, and a client that behaves still connects and is answered.
 */
import { readFileSync } from 'node:fs';
import test, { type ExecutionContext } from 'ava';
import { startPlatform, waitFor, type Platform } from '@chat/devkit/testing';
import { register, type TestUser } from '../helpers/platform-users.js';
import { httpGet, rawSocket, upgrade, type RawConnection } from '../helpers/raw-socket-io.js';
import { connectSocket } from '../helpers/socket-client.js';

const MAX_QUEUED_BYTES = 256 * 1024;
const MAX_CONNECTIONS_PER_ADDRESS = 30;

let platform: Platform;

test.before(async () => {
  platform = await startPlatform({
    serviceEnv: {
      'api-gateway': {
        REALTIME_MAX_QUEUED_BYTES: String(MAX_QUEUED_BYTES),
        REALTIME_MAX_CONNECTIONS_PER_ADDRESS: String(MAX_CONNECTIONS_PER_ADDRESS),
      },
    },
  });
  await waitFor(async () => (await fetch(`${platform.gatewayUrl}/api/health`)).status === 200, {
    what: 'every service to be reachable through the gateway',
    timeoutMs: 60_000,
  });
});
test.after.always(() => platform?.stop());

async function api<T>(method: string, path: string, token: string, body?: unknown): Promise<T> {
  const response = await fetch(`${platform.gatewayUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(15_000),
  });
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
}

const createRoom = async (owner: TestUser) => (await api<{ id: string }>('POST', '/api/rooms', owner.token, { name: 'abuse', visibility: 'private' })).id;

/** The gateway's log lines with message `msg`, parsed. */
function gatewayLog(msg: string): Array<Record<string, unknown>> {
  return readFileSync(platform.instance('api-gateway').app.logFile, 'utf8')
    .split('\n')
    .filter((line) => line.includes(`"msg":"${msg}"`))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** The gateway is healthy, and `user` connects and is answered. */
async function stillServes(t: ExecutionContext, user: TestUser, roomId: string): Promise<void> {
  t.is((await fetch(`${platform.gatewayUrl}/api/health`)).status, 200);
  const client = await connectSocket(t, platform.gatewayUrl, user.token);
  t.like(await client.socket.timeout(10_000).emitWithAck('sync', { roomId, afterSeq: 0, limit: 1 }), { ok: true });
  client.close();
}

const event = (id: number, name: string, ...args: unknown[]) => `42${id}${JSON.stringify([name, ...args])}`;
const acksOf = (conn: RawConnection) => conn.received.filter((text) => /^43\d/.test(text)).length;

test.serial(
  'a client that stops reading and floods tiny acked events, all refused, with a pong now and then, is cut off; the gateway held little for it',
  async (t) => {
    const alice = await register(platform, 'flood');
    const roomId = await createRoom(alice);
    const conn = await rawSocket(t, platform.gatewayUrl, alice.token);
    conn.stopReading();
    conn.send(...Array.from({ length: 20_000 }, (_, i) => (i % 100 === 99 ? '3' : event(i, 'x'))));
    await conn.closedByServer();
    t.true(acksOf(conn) < 20_000);
    const cut = await waitForLog('socket closed: too many refused events', (line) => line['userId'] === alice.id);
    t.true((cut['queuedBytes'] as number) <= MAX_QUEUED_BYTES, `queued ${String(cut['queuedBytes'])}`);
    await stillServes(t, alice, roomId);
  },
);

test.serial('a client that stops reading while asking for big sync pages is cut off once what it has not read passes the bound', async (t) => {
  const alice = await register(platform, 'sleeper');
  const roomId = await createRoom(alice);
  // 100 messages of 4,000 characters: each page of them is about 420 KB.
  for (let i = 0; i < 100; i++) await api('POST', `/api/rooms/${roomId}/messages`, alice.token, { body: `${i} ${'x'.repeat(3_990)}` });
  const conn = await rawSocket(t, platform.gatewayUrl, alice.token);
  conn.stopReading();
  // The sync burst: 100 pages, about 40 MB, far more than the kernel's socket buffers take.
  conn.send(...Array.from({ length: 100 }, (_, i) => event(i, 'sync', { roomId, afterSeq: 0, limit: 100 })));
  await conn.closedByServer();
  t.true(acksOf(conn) < 100, `${acksOf(conn)} pages were sent before the cut`);
  const cut = await waitForLog('connection closed: its client does not read what it is sent', (line) => line['queuedBytes'] !== undefined);
  const queued = cut['queuedBytes'] as number;
  // Past the bound by at most the page that passed it.
  t.true(queued > MAX_QUEUED_BYTES && queued <= MAX_QUEUED_BYTES + 500_000, `queued ${queued}`);
  await stillServes(t, alice, roomId);
});

test.serial('one address opening bare connections past its cap is refused, WebSocket or polling, with a clean answer; closing some frees room', async (t) => {
  const alice = await register(platform, 'bare');
  const roomId = await createRoom(alice);
  const url = platform.gatewayUrl;
  const open: RawConnection[] = [];
  for (let i = 0; i < MAX_CONNECTIONS_PER_ADDRESS; i++) {
    const opened = await upgrade(t, url);
    if (!('conn' in opened)) return t.fail(`connection ${i} answered ${opened.status}`);
    open.push(opened.conn);
  }
  const refused = await upgrade(t, url);
  t.is(refused.status, 400);
  t.regex('body' in refused ? refused.body : '', /^Too many open connections from this address/);
  const poll = await httpGet(url, '/socket.io/?EIO=4&transport=polling');
  t.is(poll.status, 403);
  t.like(JSON.parse(poll.body), { code: 4 });
  const client = await connectSocket(t, url, alice.token).then(
    () => 'connected',
    (error: Error) => error.message,
  );
  t.is(client, 'websocket error');

  // Closing five frees five places (once the gateway has seen them close): a bare connection and a real client get in.
  for (const conn of open.splice(0, 5)) conn.close();
  const freed = async () => {
    const opened = await upgrade(t, url);
    if ('conn' in opened) open.push(opened.conn);
    return 'conn' in opened;
  };
  await waitFor(freed, { what: 'a place to be freed', timeoutMs: 10_000 });
  await stillServes(t, alice, roomId);
  for (const conn of open) conn.close();
});

/** Waits for a gateway log line with message `msg` that `match` accepts (the log is written as it happens). */
function waitForLog(msg: string, match: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
  return waitFor(() => gatewayLog(msg).find(match), { what: `the gateway to log "${msg}"`, timeoutMs: 10_000 });
}
