/**
 * One view of a message (docs/observability.md): a message sent through the
 * gateway is one trace, from the gateway's request through chat-service, its
 * publish and the delivery back to the gateway, to the socket emit, as
 * recorded by the apps and their sidecars and received by a collector this
 * test runs (a Zipkin v2 receiver: what daprd's zipkin exporter and the apps
 * send).
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import { startPlatform, waitFor, type Platform } from '@chat/devkit/testing';
import type { ZipkinSpan } from '@chat/platform';
import { register } from '../helpers/platform-users.js';
import { connectSocket } from '../helpers/socket-client.js';

let platform: Platform;
let collector: Server;
const spans: ZipkinSpan[] = [];

test.before(async () => {
  collector = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.method === 'POST' && request.url === '/api/v2/spans') {
        spans.push(...(JSON.parse(Buffer.concat(chunks).toString('utf8')) as ZipkinSpan[]));
        response.writeHead(202).end();
      } else response.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(collector.address() as AddressInfo).port}/api/v2/spans`;
  platform = await startPlatform({ sharedEnv: { TRACE_EXPORT_URL: url } });
});
test.after.always(async () => {
  await platform?.stop();
  collector?.close();
});

const describe = (span: ZipkinSpan) => `${span.localEndpoint.serviceName}: ${span.kind} ${span.name}`;

/** The spans as an indented tree (children under their parent, by start time). */
function tree(spans: ZipkinSpan[]): string {
  const ids = new Set(spans.map((s) => s.id));
  const lines: string[] = [];
  const walk = (parent: string | undefined, depth: number) => {
    for (const span of spans.filter((s) => (parent ? s.parentId === parent : !s.parentId || !ids.has(s.parentId))).sort((a, b) => a.timestamp - b.timestamp)) {
      lines.push(`${'  '.repeat(depth)}${describe(span)}`);
      walk(span.id, depth + 1);
    }
  };
  walk(undefined, 0);
  return lines.join('\n');
}

test('when a message is sent through the gateway, one trace holds the request, chat-service, the publish, the delivery and the socket emit', async (t) => {
  const alice = await register(platform);
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${platform.gatewayUrl}/api/${path}`, {
      method,
      headers: { authorization: `Bearer ${alice.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, traceId: response.headers.get('x-trace-id'), body: (await response.json()) as Record<string, unknown> };
  };
  const room = await call('POST', 'rooms', { name: 'traced', visibility: 'private' });
  t.is(room.status, 201);
  const socket = await connectSocket(t, platform.gatewayUrl, alice.token);

  const sent = await call('POST', `rooms/${String(room.body['id'])}/messages`, { body: 'follow me', clientMsgId: 'trace-1' });
  t.is(sent.status, 201);
  t.regex(sent.traceId ?? '', /^[0-9a-f]{32}$/, 'the gateway names the trace (x-trace-id)');
  await socket.next('message:new', (m) => m.body === 'follow me');

  // What each hop records: the apps (their requests, the delivery, the emit)
  // and the sidecars (the invocation, the publish, the delivery).
  const wanted: Array<[string, string, RegExp]> = [
    ['api-gateway', 'SERVER', /^POST \/api\/rooms\/:roomId\/messages$/],
    ['api-gateway', 'CLIENT', /^calllocal\/chat-service\//],
    ['chat-service', 'SERVER', /^calllocal\/chat-service\//],
    ['chat-service', 'SERVER', /^POST \/rooms\/:roomId\/messages$/],
    ['chat-service', 'CLIENT', /^\/v1\.0\/publish\/fanout\/messages\.created$/],
    ['api-gateway', 'CLIENT', /^pubsub\/messages\.created$/],
    ['api-gateway', 'SERVER', /^POST \/events\/fanout\/messages\.created$/],
    ['api-gateway', 'CONSUMER', /^deliver messages\.created$/],
    ['api-gateway', 'PRODUCER', /^socket emit message:new$/],
  ];
  const trace = () => spans.filter((s) => s.traceId === sent.traceId);
  const missing = () =>
    wanted.filter(([service, kind, name]) => !trace().some((s) => s.localEndpoint.serviceName === service && s.kind === kind && name.test(s.name)));
  // Spans whose parent is not in the trace (only the gateway's request may have none).
  const detached = () => trace().filter((s) => (s.parentId ? !trace().some((p) => p.id === s.parentId) : s !== root()));
  const root = () => trace().find((s) => !s.parentId && s.localEndpoint.serviceName === 'api-gateway' && s.kind === 'SERVER');
  await waitFor(() => missing().length === 0 && detached().length === 0, {
    what: 'every span of the trace to reach the collector',
    timeoutMs: 30_000,
    intervalMs: 200,
  }).catch(() => undefined);
  const seen = tree(trace());
  t.log(`trace ${sent.traceId}:\n${seen}`);
  t.deepEqual(
    missing().map(([service, kind, name]) => `${service}: ${kind} ${name.source}`),
    [],
    `missing from the trace:\n${seen}`,
  );
  t.deepEqual(detached().map(describe), [], `spans whose parent is not in the trace:\n${seen}`);

  // Every log line written for it names the trace.
  for (const label of ['api-gateway', 'chat-service']) {
    const lines = readFileSync(platform.instance(label).app.logFile, 'utf8')
      .split('\n')
      .filter((line) => line.includes(`"traceId":"${sent.traceId}"`));
    t.true(
      lines.some((line) => /"msg":"request"/.test(line)),
      `${label} logged the request with its trace id`,
    );
  }
});
