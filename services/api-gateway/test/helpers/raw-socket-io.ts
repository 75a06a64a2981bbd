import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';

/**
 * Engine.IO over a bare TCP socket, for attacks a real client cannot make:
 * connections that never send the Socket.IO CONNECT, and a client that stops
 * reading (`stopReading`) while it keeps writing. WebSocket frames are built
 * and parsed here (RFC 6455: client frames masked, server frames not), so
 * nothing between the test and the TCP socket reads on its own.
 */
export interface RawConnection {
  tcp: Socket;
  /** Writes Engine.IO packets (`"42[...]"`, `"3"`, ...), each as one masked text frame, in one write. */
  send(...packets: string[]): void;
  /** Resolves with the first text frame received (already or later) that `match` accepts; rejects once the connection is closed. */
  next(match: (text: string) => boolean): Promise<string>;
  /** Text frames received so far. */
  received: string[];
  /** Stops reading from the TCP socket: what the server sends piles up in its buffers. */
  stopReading(): void;
  /** Reads again, and resolves once the server has closed the connection (rejects if it stays open `timeoutMs`). */
  closedByServer(timeoutMs?: number): Promise<void>;
  close(): void;
}

export type Upgrade = { status: 101; conn: RawConnection } | { status: number; body: string };

interface Teardown {
  teardown: (fn: () => void | Promise<void>) => void;
}

/** One masked client frame (text, or close with opcode 8). */
export function clientFrame(text: string, opcode = 1): Buffer {
  const payload = Buffer.from(text);
  const length = payload.length;
  const head = length < 126 ? Buffer.from([0x80 | opcode, 0x80 | length]) : Buffer.alloc(4);
  if (length >= 126) {
    if (length > 0xffff) throw new Error('frame too long for this helper');
    head[0] = 0x80 | opcode;
    head[1] = 0x80 | 126;
    head.writeUInt16BE(length, 2);
  }
  const mask = randomBytes(4);
  for (let i = 0; i < length; i++) payload[i] = payload[i]! ^ mask[i % 4]!;
  return Buffer.concat([head, mask, payload]);
}

/** Splits complete server frames off `buffer`: their texts (text frames only) and what is left. */
function parseFrames(buffer: Buffer): { texts: string[]; closed: boolean; rest: Buffer } {
  const texts: string[] = [];
  let closed = false;
  let at = 0;
  for (;;) {
    if (buffer.length - at < 2) break;
    const opcode = buffer[at]! & 0x0f;
    let length = buffer[at + 1]! & 0x7f;
    let offset = at + 2;
    if (length === 126) {
      if (buffer.length - offset < 2) break;
      length = buffer.readUInt16BE(offset);
      offset += 2;
    } else if (length === 127) {
      if (buffer.length - offset < 8) break;
      length = Number(buffer.readBigUInt64BE(offset));
      offset += 8;
    }
    if (buffer.length - offset < length) break;
    if (opcode === 1) texts.push(buffer.toString('utf8', offset, offset + length));
    if (opcode === 8) closed = true;
    at = offset + length;
  }
  return { texts, closed, rest: buffer.subarray(at) };
}

/**
 * Opens a TCP connection and asks for an Engine.IO WebSocket (`path` defaults
 * to a handshake without a session). Resolves with the open connection on
 * `101`, else with the status and body the server answered. Closed by the
 * test's teardown.
 */
export async function upgrade(t: Teardown, url: string, options: { path?: string; headers?: Record<string, string>; version?: string } = {}): Promise<Upgrade> {
  const { hostname, port } = new URL(url);
  const tcp = connect({ host: hostname, port: Number(port) });
  tcp.on('error', () => undefined); // a reset after the server cut us off is what some tests wait for
  t.teardown(() => void tcp.destroy());
  await once(tcp, 'connect');
  const headers = {
    Host: `${hostname}:${port}`,
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
    'Sec-WebSocket-Version': options.version ?? '13',
    ...options.headers,
  };
  const path = options.path ?? '/socket.io/?EIO=4&transport=websocket';
  tcp.write(
    `GET ${path} HTTP/1.1\r\n${Object.entries(headers)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('')}\r\n`,
  );

  let buffer = Buffer.alloc(0);
  const head = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      const end = buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      tcp.off('data', onData);
      tcp.off('close', onClose);
      const text = buffer.toString('latin1', 0, end);
      buffer = buffer.subarray(end + 4);
      resolve(text);
    };
    const onClose = () => reject(new Error(`connection closed before an answer: ${buffer.toString('latin1')}`));
    tcp.on('data', onData);
    tcp.once('close', onClose);
  });
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);
  if (status !== 101) {
    // The body follows the head, up to the server closing the connection.
    tcp.on('data', (chunk: Buffer) => void (buffer = Buffer.concat([buffer, chunk])));
    if (!tcp.destroyed) await once(tcp, 'close');
    return { status, body: buffer.toString('utf8') };
  }

  const received: string[] = [];
  const waiters = new Set<{ take: (text: string) => void; closed: () => void }>();
  let serverClosed = false;
  const closeWaiters = new Set<() => void>();
  const ended = () => {
    serverClosed = true;
    for (const waiter of closeWaiters) waiter();
    for (const waiter of [...waiters]) waiter.closed();
  };
  const onData = (chunk: Buffer) => {
    const parsed = parseFrames(buffer.length > 0 ? Buffer.concat([buffer, chunk]) : chunk);
    buffer = Buffer.from(parsed.rest);
    for (const text of parsed.texts) {
      received.push(text);
      for (const waiter of [...waiters]) waiter.take(text);
    }
    if (parsed.closed) tcp.end();
  };
  tcp.on('data', onData);
  tcp.once('close', ended);
  if (buffer.length > 0) {
    const pending = buffer;
    buffer = Buffer.alloc(0);
    onData(pending);
  }

  const conn: RawConnection = {
    tcp,
    received,
    send(...packets) {
      if (!tcp.destroyed) tcp.write(Buffer.concat(packets.map((p) => clientFrame(p))));
    },
    next(match) {
      const found = received.find(match);
      if (found !== undefined) return Promise.resolve(found);
      if (serverClosed || tcp.destroyed) return Promise.reject(new Error('the connection is closed'));
      return new Promise((resolve, reject) => {
        const settle = (finish: () => void) => {
          clearTimeout(timer);
          waiters.delete(waiter);
          finish();
        };
        const timer = setTimeout(() => settle(() => reject(new Error(`no matching frame in 10 s (received ${received.length})`))), 10_000);
        const waiter = {
          take: (text: string) => void (match(text) && settle(() => resolve(text))),
          closed: () => settle(() => reject(new Error('the connection is closed'))),
        };
        waiters.add(waiter);
      });
    },
    stopReading: () => void tcp.pause(),
    closedByServer(timeoutMs = 30_000) {
      tcp.resume();
      if (serverClosed) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the server kept the connection open ${timeoutMs} ms`)), timeoutMs);
        closeWaiters.add(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
    close: () => void tcp.destroy(),
  };
  return { status, conn };
}

/**
 * A connected Socket.IO socket over a raw connection: the Engine.IO open
 * packet read, CONNECT sent with `token`, the namespace's answer awaited.
 */
export async function rawSocket(t: Teardown, url: string, token: string): Promise<RawConnection> {
  const opened = await upgrade(t, url);
  if (opened.status !== 101 || !('conn' in opened)) throw new Error(`upgrade answered ${opened.status}`);
  const { conn } = opened;
  await conn.next((text) => text.startsWith('0{'));
  conn.send(`40${JSON.stringify({ token })}`);
  const answer = await conn.next((text) => text.startsWith('40') || text.startsWith('44'));
  if (!answer.startsWith('40')) throw new Error(`connect refused: ${answer}`);
  return conn;
}

/** A plain HTTP request to the gateway (a long-polling handshake, say), with its status and body. */
export async function httpGet(url: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const response = await fetch(new URL(path, url), { headers, signal: AbortSignal.timeout(10_000) });
  return { status: response.status, body: await response.text() };
}
