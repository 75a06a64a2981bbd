/**
 * The fan-out baseline: a plain Socket.IO server that broadcasts every
 * `message:send` to everyone connected and acknowledges it, storing
 * nothing. Run as its own process by the benchmarks (bench/_lib.ts
 * startBaseline); reports its port over IPC.
 */
import { createServer } from 'node:http';
import { Server } from 'socket.io';

const server = createServer();
const sio = new Server(server, { transports: ['websocket'] });
let seq = 0;
sio.on('connection', (socket) => {
  void socket.join('room');
  socket.on('message:send', (payload: { body: string; clientMsgId?: string }, ack: (r: unknown) => void) => {
    const message = { seq: ++seq, body: payload.body, clientMsgId: payload.clientMsgId, createdAt: new Date().toISOString() };
    sio.to('room').emit('message:new', message);
    ack({ ok: true, message });
  });
});
server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as { port: number }).port }));
