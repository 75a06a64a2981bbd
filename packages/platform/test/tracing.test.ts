import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import test from 'ava';
import {
  activeSpan,
  createHttpApp,
  createLogger,
  createMetricsServer,
  exportSpans,
  finishApp,
  formatTraceparent,
  inSpan,
  metrics,
  parseTraceparent,
  traceHeaders,
  type ZipkinSpan,
} from '@chat/platform';

const silent = createLogger({ name: 'test', level: 'silent' });
const PARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

async function listening(server: Server, t: { teardown: (fn: () => void) => void }): Promise<string> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => server.close());
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

test('when a traceparent is well formed it is read, and written back the same; a malformed or all-zero one is ignored', (t) => {
  const span = parseTraceparent(PARENT, 'vendor=x');
  t.deepEqual(span, { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', sampled: true, traceState: 'vendor=x' });
  t.is(formatTraceparent(span!), PARENT);
  for (const bad of [undefined, '', 'garbage', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331', `00-${'0'.repeat(32)}-b7ad6b7169203331-01`]) {
    t.is(parseTraceparent(bad), undefined, String(bad));
  }
});

test('when code runs in a span, calls made from it carry that span as their parent, and log lines name the trace', async (t) => {
  const lines: string[] = [];
  const logger = createLogger({
    name: 'test',
    destination: new Writable({ write: (chunk: Buffer, _encoding, done) => (lines.push(chunk.toString()), done()) }),
  });
  t.deepEqual(traceHeaders(), {}, 'outside a span there is nothing to pass on');
  await inSpan('outer', { kind: 'SERVER', parent: parseTraceparent(PARENT) }, async (span) => {
    await new Promise((resolve) => setTimeout(resolve, 1));
    t.is(activeSpan(), span.context, 'kept across awaits');
    t.is(span.context.traceId, '0af7651916cd43dd8448eb211c80319c');
    t.is(traceHeaders()['traceparent'], `00-${span.context.traceId}-${span.context.spanId}-01`);
    logger.info('inside');
  });
  logger.info('outside');
  t.like(JSON.parse(lines[0]!), { msg: 'inside', traceId: '0af7651916cd43dd8448eb211c80319c' });
  t.false('traceId' in JSON.parse(lines[1]!));
});

test('when spans are exported, a collector gets them in Zipkin v2 form with their parents; a collector that is down fails nothing', async (t) => {
  const received: ZipkinSpan[] = [];
  const collector = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push(...(JSON.parse(Buffer.concat(chunks).toString()) as ZipkinSpan[]));
      response.writeHead(202).end();
    });
  });
  const url = await listening(collector, t);
  const stop = exportSpans({ service: 'unit', url: `${url}/api/v2/spans`, logger: silent, intervalMs: 50 });
  let root = '';
  await inSpan('root', { kind: 'SERVER', parent: null }, async (outer) => {
    root = outer.context.spanId;
    await inSpan('child', { kind: 'PRODUCER', tags: { n: 1 } }, () => undefined);
  });
  await stop();
  // (Other tests of this file run meanwhile: pick this test's spans.)
  const parent = received.find((span) => span.name === 'root');
  const child = received.find((span) => span.name === 'child');
  t.like(parent, { name: 'root', kind: 'SERVER', id: root, localEndpoint: { serviceName: 'unit' } });
  t.false('parentId' in parent!);
  t.like(child, { name: 'child', kind: 'PRODUCER', parentId: root, traceId: parent!.traceId, tags: { n: '1' } });

  const down = exportSpans({ service: 'unit', url: 'http://127.0.0.1:9/api/v2/spans', logger: silent, intervalMs: 50 });
  t.is(await inSpan('lost', { kind: 'SERVER', parent: null }, () => 'answered'), 'answered');
  await down();
});

test("when the gateway serves a client, the client traceparent is not continued; its sidecar's is, and x-trace-id names the trace", async (t) => {
  const { app, router } = createHttpApp({ logger: silent, appApiToken: 'a'.repeat(16), clientFacing: true });
  router.get('/where', (ctx) => {
    ctx.body = { traceId: activeSpan()?.traceId };
  });
  const url = await listening(createServer(finishApp(app, router).callback()), t);
  const fromClient = await fetch(`${url}/where`, { headers: { traceparent: PARENT } });
  const body = (await fromClient.json()) as { traceId: string };
  t.not(body.traceId, '0af7651916cd43dd8448eb211c80319c');
  t.is(fromClient.headers.get('x-trace-id'), body.traceId);
  const fromSidecar = await fetch(`${url}/where`, { headers: { traceparent: PARENT, 'dapr-api-token': 'a'.repeat(16) } });
  t.is(((await fromSidecar.json()) as { traceId: string }).traceId, '0af7651916cd43dd8448eb211c80319c');
});

test('when metrics are scraped, requests are counted by route pattern, on the metrics port only', async (t) => {
  const { app, router } = createHttpApp({ logger: silent });
  router.get('/items/:id', (ctx) => {
    ctx.body = {};
  });
  const url = await listening(createServer(finishApp(app, router).callback()), t);
  const before = (await metrics.httpRequests.get()).values.find((v) => v.labels['route'] === '/items/:id')?.value ?? 0;
  await fetch(`${url}/items/1`);
  await fetch(`${url}/items/2`);
  t.is((await fetch(`${url}/metrics`)).status, 404, 'not on the app port');
  const metricsUrl = await listening(createMetricsServer(), t);
  const scraped = await (await fetch(`${metricsUrl}/metrics`)).text();
  const line = scraped.split('\n').find((l) => l.startsWith('http_requests_total{') && l.includes('route="/items/:id"'));
  t.is(Number(line?.split(' ').at(-1)), before + 2, line);
  t.is((await fetch(`${metricsUrl}/other`)).status, 404);
});
