/**
 * A client that goes away in the middle of its request body, over a real
 * socket: the request is answered 400 validation_failed (logged at info,
 * counted as a 400), never a 500 logged at error, and the server goes on
 * serving.
 */
import { EventEmitter, once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import test, { type ExecutionContext } from 'ava';
import { createHttpApp, createLogger, finishApp, readRawBody } from '@chat/platform';

interface LogLine {
  level: string;
  msg: string;
  requestId?: string;
  status?: number;
}

/** The app with a JSON route and a raw-body route, its log lines as they are written. */
async function serve(t: ExecutionContext): Promise<{ port: number; server: Server; lines: LogLine[]; logged: EventEmitter }> {
  const lines: LogLine[] = [];
  const logged = new EventEmitter();
  const logger = createLogger({
    name: 'aborted-body-test',
    level: 'info',
    destination: {
      write(text: string) {
        const line = JSON.parse(text) as LogLine;
        lines.push(line);
        logged.emit('line', line);
      },
    },
  });
  const { app, router } = createHttpApp({ logger, isRawRoute: (ctx) => ctx.path === '/raw' });
  router.post('/json', (ctx) => {
    ctx.body = { received: ctx.request.body ?? null };
  });
  router.put('/raw', async (ctx) => {
    ctx.body = { bytes: (await readRawBody(ctx, 1024 * 1024)).length };
  });
  const server: Server = createServer(finishApp(app, router).callback());
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => server.close());
  return { port: (server.address() as AddressInfo).port, server, lines, logged };
}

/** The access log line of request `requestId`, once it is written. */
function accessLine(logged: EventEmitter, lines: LogLine[], requestId: string): Promise<LogLine> {
  const find = (line: LogLine) => line.msg === 'request' && line.requestId === requestId;
  const already = lines.find(find);
  if (already) return Promise.resolve(already);
  return new Promise((resolve) => {
    const listener = (line: LogLine) => {
      if (!find(line)) return;
      logged.off('line', listener);
      resolve(line);
    };
    logged.on('line', listener);
  });
}

interface Cut {
  name: string;
  /** Head and the part of the body that is sent; `{id}` is replaced by the request id. */
  sent: string;
  /** How the client goes: destroyed (reset), or its side ended (half-close) before the body is whole. */
  end: (socket: Socket) => void;
}

const destroy = (socket: Socket) => socket.destroy();
const reset = (socket: Socket) => socket.resetAndDestroy();
const halfClose = (socket: Socket) => socket.end();

const head = (method: string, path: string, headers: string[]) =>
  [`${method} ${path} HTTP/1.1`, 'host: 127.0.0.1', 'x-request-id: {id}', ...headers, '', ''].join('\r\n');

const CUTS: Cut[] = [
  {
    name: 'JSON, Content-Length, then closed',
    sent: head('POST', '/json', ['content-type: application/json', 'content-length: 100']) + '{"name":',
    end: destroy,
  },
  { name: 'JSON, Content-Length, then reset', sent: head('POST', '/json', ['content-type: application/json', 'content-length: 100']) + '{"na', end: reset },
  {
    name: 'JSON, Content-Length, then half-closed',
    sent: head('POST', '/json', ['content-type: application/json', 'content-length: 100']) + '{"name":',
    end: halfClose,
  },
  {
    name: 'JSON, chunked, one chunk, then closed',
    sent: head('POST', '/json', ['content-type: application/json', 'transfer-encoding: chunked']) + '8\r\n{"name":\r\n',
    end: destroy,
  },
  {
    name: 'JSON, chunked, broken chunk size',
    sent: head('POST', '/json', ['content-type: application/json', 'transfer-encoding: chunked']) + '8\r\n{"name":\r\nzz\r\n',
    end: () => undefined,
  },
  {
    name: 'JSON, bodyless chunked POST (no content type), then closed',
    sent: head('POST', '/json', ['transfer-encoding: chunked']) + '3\r\nabc\r\n',
    end: destroy,
  },
  {
    name: 'raw bytes, Content-Length, then closed',
    sent: head('PUT', '/raw', ['content-type: image/png', 'content-length: 5000']) + 'x'.repeat(1000),
    end: destroy,
  },
  {
    name: 'raw bytes, chunked, then reset',
    sent: head('PUT', '/raw', ['content-type: image/png', 'transfer-encoding: chunked']) + '10\r\n0123456789abcdef\r\n',
    end: reset,
  },
];

test('when a client goes away in the middle of its request body, the request is a 400 logged at info, never a 500 or an error line', async (t) => {
  const { port, server, lines, logged } = await serve(t);
  for (const [i, cut] of CUTS.entries()) {
    const requestId = `cut-${i}`;
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined); // a reset of our own making
    await once(socket, 'connect');
    // Ended once the server has the head and is reading the body.
    const received = once(server, 'request');
    socket.write(cut.sent.replace('{id}', requestId));
    await received;
    cut.end(socket);
    const line = await accessLine(logged, lines, requestId);
    t.is(line.status, 400, cut.name);
    t.is(line.level, 'info', cut.name);
    t.true(
      lines.some((l) => l.msg === 'request body cut off' && l.requestId === requestId && l.level === 'info'),
      `${cut.name}: says why, at info`,
    );
  }
  t.deepEqual(
    lines.filter((l) => l.level === 'error' || l.level === 'fatal' || (l.status ?? 0) >= 500),
    [],
    'no error line and no 5xx',
  );

  // Still serving, a whole body as before.
  const fine = await fetch(`http://127.0.0.1:${port}/json`, { method: 'POST', body: '{"name":"x"}', headers: { 'content-type': 'application/json' } });
  t.is(fine.status, 200);
  t.deepEqual(await fine.json(), { received: { name: 'x' } });
  const raw = await fetch(`http://127.0.0.1:${port}/raw`, { method: 'PUT', body: Buffer.alloc(2048), headers: { 'content-type': 'image/png' } });
  t.deepEqual(await raw.json(), { bytes: 2048 });
});
