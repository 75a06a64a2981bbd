import { randomUUID } from 'node:crypto';
import test from 'ava';
import { waitFor } from '@chat/devkit/testing';
import { clientAddressResolver, parseTrustedProxies } from '../../src/http/client-address.js';
import { connectSocket } from '../helpers/socket-client.js';
import { fakeToken, startRig } from '../helpers/realtime-rig.js';
import { httpGet, upgrade, type RawConnection } from '../helpers/raw-socket-io.js';

// Engine.IO connections per client address, checked before any Socket.IO
// packet (a review found 3,000 bare WebSockets from one address all accepted
// and held): bare WebSocket upgrades and polling handshakes past the cap and
// the rate, through a trusted proxy, handshakes that fail, connections that
// never join the namespace. The excess is refused cleanly; a client that
// behaves still connects.

const user = () => `u-${randomUUID().slice(0, 8)}`;

const pollingHandshake = (url: string, headers: Record<string, string> = {}) => httpGet(url, '/socket.io/?EIO=4&transport=polling', headers);

test('when one address opens engine.io connections past its cap, WebSocket or polling, the excess is refused cleanly; closing some frees room', async (t) => {
  const rig = await startRig(t, { settings: { maxConnectionsPerAddress: 5 } });
  const url = rig.urls[0]!;
  const open: RawConnection[] = [];
  for (let i = 0; i < 3; i++) {
    const opened = await upgrade(t, url);
    if (!('conn' in opened)) return t.fail(`upgrade ${i} answered ${opened.status}`);
    open.push(opened.conn);
  }
  // Polling sessions count as well.
  for (let i = 0; i < 2; i++) t.is((await pollingHandshake(url)).status, 200);
  const refusedUpgrade = await upgrade(t, url);
  t.is(refusedUpgrade.status, 400);
  t.regex('body' in refusedUpgrade ? refusedUpgrade.body : '', /Too many open connections from this address \(at most 5\)/);
  const refusedPoll = await pollingHandshake(url);
  t.is(refusedPoll.status, 403);
  t.like(JSON.parse(refusedPoll.body), { code: 4, message: 'Too many open connections from this address (at most 5); close one first' });
  t.is((await connectSocketError(t, url)).message, 'websocket error');

  // Closing two frees two places: a real client connects, and so does one more bare connection.
  open.pop()!.close();
  open.pop()!.close();
  await waitFor(
    () =>
      connectSocket(t, url, fakeToken(user())).then(
        () => true,
        () => false,
      ),
    { what: 'a place to be freed', timeoutMs: 5_000 },
  );
  t.is((await upgrade(t, url)).status, 101);
  t.is((await upgrade(t, url)).status, 400);
});

test('when handshakes come through a trusted proxy, each address behind it has its own cap (an IPv6 /64 is one address), and X-Forwarded-For from anyone else counts for nothing', async (t) => {
  const settings = { maxConnectionsPerAddress: 2 };
  const behindProxy = await startRig(t, { settings, clientAddress: clientAddressResolver(parseTrustedProxies('127.0.0.1')) });
  const direct = await startRig(t, { settings, clientAddress: clientAddressResolver(undefined) });
  const from = (address: string) => ({ 'x-forwarded-for': address });
  const statuses = async (url: string, address: string, count: number) => {
    const out: number[] = [];
    for (let i = 0; i < count; i++) out.push((await upgrade(t, url, { headers: from(address) })).status);
    return out;
  };
  t.deepEqual(await statuses(behindProxy.urls[0]!, '198.51.100.1', 3), [101, 101, 400]);
  t.deepEqual(await statuses(behindProxy.urls[0]!, '198.51.100.2', 2), [101, 101]);
  t.deepEqual(await statuses(behindProxy.urls[0]!, '2001:db8::1', 1), [101]);
  t.deepEqual(await statuses(behindProxy.urls[0]!, '2001:db8::ffff', 2), [101, 400]);
  t.deepEqual(await statuses(behindProxy.urls[0]!, '2001:db8:0:1::1', 1), [101]);
  // Without trusted proxies the peer is the client, whatever the header claims.
  t.deepEqual(await statuses(direct.urls[0]!, '198.51.100.1', 1), [101]);
  t.deepEqual(await statuses(direct.urls[0]!, '198.51.100.2', 2), [101, 400]);
});

test('when one address opens engine.io connections faster than its rate, the excess is refused even with nothing open', async (t) => {
  const rig = await startRig(t, { settings: { transportLimit: { ratePerSecond: 0.01, burst: 3 } } });
  const url = rig.urls[0]!;
  for (let i = 0; i < 3; i++) {
    const opened = await upgrade(t, url);
    t.is(opened.status, 101);
    if ('conn' in opened) opened.conn.close();
  }
  const refused = await upgrade(t, url);
  t.is(refused.status, 400);
  t.regex('body' in refused ? refused.body : '', /^Too many connection attempts from this address; retry in \d+ ms$/);
  t.is((await pollingHandshake(url)).status, 403);
});

test('handshakes that fail after they were admitted (a WebSocket version ws refuses, an old Engine.IO protocol) give their place back', async (t) => {
  const rig = await startRig(t, { settings: { maxConnectionsPerAddress: 2 } });
  const url = rig.urls[0]!;
  for (let i = 0; i < 10; i++) {
    t.is((await upgrade(t, url, { version: '7' })).status, 400);
    t.is((await httpGet(url, '/socket.io/?EIO=3&transport=polling')).status, 400);
  }
  t.is((await upgrade(t, url)).status, 101);
  await connectSocket(t, url, fakeToken(user()));
  t.is((await upgrade(t, url)).status, 400);
});

test('a connection that never joins the namespace is closed after the connect timeout; a connected socket is not', async (t) => {
  const rig = await startRig(t, { settings: { connectTimeoutMs: 1_000 } });
  const client = await connectSocket(t, rig.urls[0]!, fakeToken(user()));
  const opened = await upgrade(t, rig.urls[0]!);
  if (!('conn' in opened)) return t.fail(`upgrade answered ${opened.status}`);
  await opened.conn.closedByServer(10_000);
  // Connected before the bare one and answering still.
  t.like(await client.socket.timeout(5_000).emitWithAck('sync', { roomId: randomUUID(), afterSeq: 0 }), { ok: false, error: { code: 'not_found' } });
  t.true(client.socket.connected);
});

/** Connects a Socket.IO client expecting the transport itself to be refused: its connect_error. */
async function connectSocketError(t: Parameters<typeof upgrade>[0], url: string): Promise<Error> {
  return connectSocket(t, url, fakeToken(user())).then(
    () => new Error('connected'),
    (error: Error) => error,
  );
}
