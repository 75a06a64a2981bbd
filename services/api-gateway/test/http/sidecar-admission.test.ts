/**
 * The gateway's per-address request limit, at its documented default (50 a
 * second, burst 100), against its own sidecar's pub/sub deliveries: daprd
 * posts every delivery of a replica from one address, so the limit must not
 * count them, while a client that posts to the same routes with any other
 * token, or none, is limited like any client.
 */
import { randomUUID } from 'node:crypto';
import test from 'ava';
import type { TopicSubscription } from '@chat/platform';
import { DEFAULT_RATE_POLICIES } from '../../src/http/rate-limits.js';
import { startGatewayApp } from '../helpers/http-gateway.js';

const APP_TOKEN = 'app-token-for-this-test';
const { rate, burst } = DEFAULT_RATE_POLICIES.request.address;

/** The gateway with one fan-out subscription that counts what it handles. */
async function gatewayWithSubscription(t: Parameters<typeof startGatewayApp>[0]) {
  const handled = { count: 0 };
  const subscription: TopicSubscription = {
    pubsubname: 'fanout',
    topic: 'typing',
    route: '/events/fanout/typing',
    async handle() {
      handled.count++;
    },
  };
  const url = await startGatewayApp(t, {}, { subscriptions: [subscription] });
  return { url, handled };
}

const event = () =>
  JSON.stringify({ specversion: '1.0', id: randomUUID(), source: 'api-gateway', type: 'com.dapr.event.sent', topic: 'typing', pubsubname: 'fanout', data: {} });

/** `count` deliveries at once, with `headers`; their statuses and how long they took. */
async function deliver(url: string, count: number, headers: Array<[string, string]>) {
  const started = performance.now();
  const answers = await Promise.all(
    Array.from({ length: count }, async () => {
      const response = await fetch(`${url}/events/fanout/typing`, {
        method: 'POST',
        headers: new Headers([['content-type', 'application/cloudevents+json'], ...headers]),
        body: event(),
      });
      return { status: response.status, retryAfter: response.headers.get('retry-after'), body: await response.json() };
    }),
  );
  return { answers, seconds: (performance.now() - started) / 1000 };
}

test('when the sidecar delivers four bursts of events at once, with its app token, every one is delivered and no client is slowed', async (t) => {
  const { url, handled } = await gatewayWithSubscription(t);
  const count = 4 * burst;
  const { answers } = await deliver(url, count, [['dapr-api-token', APP_TOKEN]]);
  t.deepEqual(
    answers.map((a) => a.status),
    Array(count).fill(200),
  );
  t.true(answers.every((a) => (a.body as { status?: string }).status === 'SUCCESS'));
  t.is(handled.count, count);
  // The deliveries took nothing from the address's bucket: a whole burst of client requests still passes.
  const clients = await Promise.all(Array.from({ length: burst }, async () => (await fetch(`${url}/healthz`)).status));
  t.deepEqual(clients, Array(burst).fill(200));
});

test('when a client posts to the delivery routes with a wrong, guessed or missing token, it is a client: refused, and limited past the burst', async (t) => {
  const { url, handled } = await gatewayWithSubscription(t);
  const spellings: Array<[string, Array<[string, string]>]> = [
    ['no token', []],
    ['an empty token', [['dapr-api-token', '']]],
    ['a guessed token', [['dapr-api-token', 'guess-guess-guess-guess']]],
    ['the token in upper case', [['dapr-api-token', APP_TOKEN.toUpperCase()]]],
    ['the token with a space inside', [['dapr-api-token', APP_TOKEN.replace('-', ' -')]]],
    ['the token and a tab and more', [['dapr-api-token', `${APP_TOKEN}\tx`]]],
    [
      'the token twice',
      [
        ['dapr-api-token', APP_TOKEN],
        ['dapr-api-token', APP_TOKEN],
      ],
    ],
    [
      'the token in other headers',
      [
        ['x-dapr-api-token', APP_TOKEN],
        ['authorization', `Bearer ${APP_TOKEN}`],
      ],
    ],
  ];
  const count = 3 * burst;
  let limitedInAll = 0;
  for (const [what, headers] of spellings) {
    const { answers, seconds } = await deliver(url, count, headers);
    const refused = answers.filter((a) => a.status === 401).length;
    const limited = answers.filter((a) => a.status === 429);
    // However full the bucket was, at most a burst and what flowed back in meanwhile got past the limit.
    const allowed = burst + Math.ceil(rate * seconds);
    t.is(refused + limited.length, count, `${what}: every answer is 401 or 429`);
    t.true(refused <= allowed, `${what}: ${refused} passed the limit in ${seconds.toFixed(2)} s (at most ${allowed})`);
    t.true(limited.length >= count - allowed, `${what}: ${limited.length} limited`);
    t.true(
      limited.every((a) => Number(a.retryAfter) >= 1 && (a.body as { error?: { code?: string } }).error?.code === 'rate_limited'),
      what,
    );
    limitedInAll += limited.length;
  }
  t.true(limitedInAll > 0, 'the limit was reached');
  t.is(handled.count, 0, 'nothing a client posted was handled');
});
