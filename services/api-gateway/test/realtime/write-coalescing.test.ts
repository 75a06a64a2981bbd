import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo, Socket as NetSocket } from 'node:net';
import test from 'ava';
import { Server } from 'socket.io';
import { io as connect } from 'socket.io-client';
import { coalesceFlushWrites, tcpSocketOf } from '../../src/realtime/write-coalescing.js';

const BURST = 50;

/**
 * A real Socket.IO server and client over WebSocket; emits a burst of
 * messages to the client at once and counts the writes to the server's TCP
 * socket while they go out.
 */
async function burst(t: import('ava').ExecutionContext, coalesce: boolean) {
  const http = createServer();
  const io = new Server(http, { transports: ['websocket'] });
  if (coalesce) coalesceFlushWrites(io.engine);
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  const client = connect(`http://127.0.0.1:${(http.address() as AddressInfo).port}`, { transports: ['websocket'], forceNew: true });
  t.teardown(() => {
    client.close();
    void io.close();
  });
  const [socket] = (await once(io, 'connection')) as [import('socket.io').Socket];
  if (!client.connected) await new Promise((resolve) => client.once('connect', () => resolve(undefined)));

  const tcp = tcpSocketOf(socket.conn) as NetSocket | undefined;
  t.truthy(tcp, 'the TCP socket under the WebSocket transport is found');
  let writes = 0;
  const spied = tcp as unknown as { _write: (...args: unknown[]) => void; _writev: (...args: unknown[]) => void };
  const write = spied._write.bind(tcp);
  const writev = spied._writev.bind(tcp);
  spied._write = (...args) => (writes++, write(...args));
  spied._writev = (...args) => (writes++, writev(...args));

  const received: number[] = [];
  const all = new Promise<void>((resolve) =>
    client.on('message:new', (message: { seq: number }) => {
      received.push(message.seq);
      if (received.length === BURST) resolve();
    }),
  );
  for (let seq = 1; seq <= BURST; seq++) socket.emit('message:new', { seq, body: `message ${seq}` });
  await all;
  return { writes, received };
}

test('a burst of messages to a socket leaves in a couple of writes, not one per message, each message once and in order', async (t) => {
  const coalesced = await burst(t, true);
  t.deepEqual(
    coalesced.received,
    Array.from({ length: BURST }, (_, i) => i + 1),
  );
  t.true(coalesced.writes <= 3, `${coalesced.writes} writes`);

  // Without it, the same burst is a write per message: what this saves.
  const plain = await burst(t, false);
  t.is(plain.received.length, BURST);
  t.true(plain.writes >= BURST - 1, `${plain.writes} writes`);
});
