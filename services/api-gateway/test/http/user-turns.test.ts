import { request as httpRequest, type ClientRequest } from 'node:http';
import test from 'ava';
import type { InvokeResponse } from '@chat/platform';
import type { Upstream } from '../../src/http/forward.js';
import { USER_REQUESTS_AT_ONCE } from '../../src/http/user-turns.js';
import { startGatewayServer } from '../helpers/http-gateway.js';

/**
 * A chat-service that holds every call until the test lets it answer, and
 * tells how many calls it was asked and how many it held at once.
 */
function heldChatService() {
  const held: Array<{ path: string; answer: () => void }> = [];
  const paths: string[] = [];
  let peak = 0;
  const arrivals: Array<{ count: number; reached: () => void }> = [];
  const upstream: Upstream = {
    call(_service, path) {
      paths.push(path);
      return new Promise<InvokeResponse>((resolve) => {
        const answer = () => {
          held.splice(held.indexOf(entry), 1);
          resolve({ status: 200, headers: { get: (name) => (name === 'content-type' ? 'application/json' : null) }, body: Buffer.from('{}'), json: {} });
        };
        const entry = { path, answer };
        held.push(entry);
        peak = Math.max(peak, held.length);
        for (const waiter of arrivals.filter((w) => paths.length >= w.count)) {
          arrivals.splice(arrivals.indexOf(waiter), 1);
          waiter.reached();
        }
      });
    },
  };
  return {
    upstream,
    paths,
    peak: () => peak,
    held: () => held.length,
    /** Resolves once `count` calls have been asked in all. */
    asked: (count: number) => new Promise<void>((reached) => (paths.length >= count ? reached() : arrivals.push({ count, reached }))),
    answerAll: () => [...held].forEach((call) => call.answer()),
    answerOne: () => held[0]?.answer(),
  };
}

interface Reply {
  status: number;
  retryAfter: string | undefined;
  body: string;
}

/** A request on a connection of its own, as a user holding `token` (user id = its first segment). */
function ask(url: string, method: string, path: string, token: string): { request: ClientRequest; reply: Promise<Reply> } {
  let request!: ClientRequest;
  const reply = new Promise<Reply>((resolve, reject) => {
    request = httpRequest(
      `${url}${path}`,
      { method, agent: false, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } },
      (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'], body }));
      },
    );
    request.on('error', reject);
    request.end(method === 'POST' ? '{"seq":1}' : undefined);
  });
  return { request, reply };
}

const ROOM = '0b7e1c3a-2f4d-4c5e-9a6b-7c8d9e0f1a2b';

/** Routes that go straight to chat-service, every one counted in the same turns. */
const ROUTES: Array<[string, string]> = [
  ['GET', `/api/rooms/${ROOM}/messages?limit=100`],
  ['GET', '/api/rooms'],
  ['GET', `/api/rooms/${ROOM}/messages?before=5000&limit=100`],
  ['POST', `/api/rooms/${ROOM}/read`],
];

async function gateway(t: Parameters<typeof startGatewayServer>[0], env: Record<string, string> = {}) {
  const chat = heldChatService();
  const { url, server } = await startGatewayServer(
    t,
    { RATE_LIMIT_SCALE: '1', ...env },
    { upstream: chat.upstream, tokens: { verify: async (token) => ({ userId: token.split('.')[0] ?? '' }) } },
  );
  t.teardown(() => {
    chat.answerAll();
    server.closeAllConnections();
  });
  return { url, server, chat };
}

test('when one user fires a burst of requests on every route at once, only a few reach the services together and every one is answered', async (t) => {
  const { url, chat } = await gateway(t);
  const burst = Array.from({ length: 24 }, (_, i) => ROUTES[i % ROUTES.length] as [string, string]);
  const replies = burst.map(([method, path]) => ask(url, method, path, 'mallory.x.y').reply);
  await chat.asked(USER_REQUESTS_AT_ONCE);
  // Another user is not held behind the first one's line.
  const other = ask(url, 'GET', '/api/rooms', 'alice.x.y');
  await chat.asked(USER_REQUESTS_AT_ONCE + 1);
  t.is(chat.held(), USER_REQUESTS_AT_ONCE + 1);
  for (let round = 0; round < 500 && (chat.held() > 0 || chat.paths.length < burst.length + 1); round++) {
    chat.answerOne();
    await new Promise((resolve) => setImmediate(resolve));
  }
  t.is((await other.reply).status, 200);
  const statuses = (await Promise.all(replies)).map((reply) => reply.status);
  t.deepEqual(
    statuses,
    burst.map(() => statuses[0]),
    'every request was served alike',
  );
  t.is(statuses[0], 200);
  t.is(chat.peak(), USER_REQUESTS_AT_ONCE + 1, "the burst's requests were served eight at a time, beside the other user's one");
});

test('when a user fires a burst and hangs up, the requests still waiting never reach the services', async (t) => {
  const { url, server, chat } = await gateway(t);
  let closed = 0;
  const allClosed = new Promise<void>((resolve) => server.on('connection', (socket) => socket.on('close', () => ++closed === 30 && resolve())));
  const burst = Array.from({ length: 30 }, (_, i) => ROUTES[i % 3] as [string, string]).map(([method, path]) => ask(url, method, path, 'mallory.x.y'));
  for (const { reply } of burst) reply.catch(() => undefined);
  await chat.asked(USER_REQUESTS_AT_ONCE);
  for (const { request } of burst) request.destroy();
  await allClosed;
  chat.answerAll();
  // A request made after the cut waits behind whatever was still in line: once it is served, nothing else can be.
  const after = ask(url, 'GET', '/api/rooms', 'mallory.x.y').reply;
  await chat.asked(USER_REQUESTS_AT_ONCE + 1);
  chat.answerAll();
  t.is((await after).status, 200);
  t.deepEqual(chat.paths.length, USER_REQUESTS_AT_ONCE + 1, 'the eight already running and the one after; none of the 22 left waiting');
});

test('when a request waits for its turn longer than UPSTREAM_TIMEOUT_MS, it is refused with rate_limited and Retry-After, not held', async (t) => {
  const { url, chat } = await gateway(t, { UPSTREAM_TIMEOUT_MS: '200' });
  const running = Array.from({ length: USER_REQUESTS_AT_ONCE }, () => ask(url, 'GET', '/api/rooms', 'mallory.x.y').reply);
  await chat.asked(USER_REQUESTS_AT_ONCE);
  const waited = await ask(url, 'GET', `/api/rooms/${ROOM}/messages`, 'mallory.x.y').reply;
  t.is(waited.status, 429);
  t.is(waited.retryAfter, '1');
  t.like(JSON.parse(waited.body), { error: { code: 'rate_limited' } });
  t.is(chat.paths.length, USER_REQUESTS_AT_ONCE, 'it never reached the service');
  chat.answerAll();
  t.true((await Promise.all(running)).every((reply) => reply.status === 200));
});
