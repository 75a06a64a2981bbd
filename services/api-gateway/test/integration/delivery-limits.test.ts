/**
 * The gateway's per-address request limit at its documented default (50 a
 * second, burst 100: RATE_LIMIT_SCALE 1, no RATE_LIMITS) against its own
 * sidecar: daprd posts every pub/sub delivery of a replica from one address,
 * so a flood of real-time events must all be delivered at once, none refused
 * for a client's limit (a refused delivery waits seconds for the broker's
 * redelivery). A client posting to the same route is still limited.
 */
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import test from 'ava';
import { APP_IDS, COMPONENTS, FANOUT_TOPICS } from '@chat/platform';
import { startPlatform, waitFor, type Platform } from '@chat/devkit/testing';
import { DEFAULT_RATE_POLICIES } from '../../src/http/rate-limits.js';
import { createRoom, register } from '../helpers/platform-users.js';
import { connectSocket } from '../helpers/socket-client.js';

let platform: Platform;

test.before(async () => {
  platform = await startPlatform({
    // An app-less gateway sidecar sets rooms up and publishes the events, as a gateway replica publishes typing.
    // (Not one named chat-service: name resolution would send the chat-service's invocations to it.)
    callerSidecars: [APP_IDS.gateway],
    serviceEnv: { 'api-gateway': { RATE_LIMIT_SCALE: '1' } },
  });
  // Sidecars are healthy a moment before name resolution finds every app.
  await waitFor(async () => (await fetch(`${platform.gatewayUrl}/api/health`)).status === 200, {
    what: 'every service to be reachable through the gateway',
    timeoutMs: 60_000,
  });
});
test.after.always(() => platform?.stop());

const { burst } = DEFAULT_RATE_POLICIES.request.address;
const TYPING_ROUTE = `/events/fanout/${FANOUT_TOPICS.typing}`;

/** The statuses the gateway answered to requests for `path`, from its access log. */
function answeredStatuses(path: string): number[] {
  const log = readFileSync(platform.instance(APP_IDS.gateway).app.logFile, 'utf8');
  const statuses: number[] = [];
  for (const line of log.split('\n')) {
    if (!line.includes(path)) continue;
    try {
      const entry = JSON.parse(line) as { msg?: string; path?: string; status?: number };
      if (entry.msg === 'request' && entry.path === path && typeof entry.status === 'number') statuses.push(entry.status);
    } catch {
      // Not a log line of the app.
    }
  }
  return statuses;
}

test.serial(
  "when five bursts' worth of typing events are published at once, every one reaches the room's socket, and the gateway refuses none of its sidecar's deliveries",
  async (t) => {
    const [alice, bob] = [await register(platform, 'dl'), await register(platform, 'dl')];
    const roomId = await createRoom(platform, alice, [bob]);
    const watcher = await connectSocket(t, platform.gatewayUrl, alice.token);
    const before = answeredStatuses(TYPING_ROUTE).length;

    const count = 5 * burst;
    const { daprHttpPort } = platform.callerSidecars[APP_IDS.gateway]!;
    const publisherToken = platform.runEnv.tokens(APP_IDS.gateway).daprApiToken;
    const started = Date.now();
    const published = await Promise.all(
      Array.from({ length: count }, async (_, i) => {
        // Each its own event: the gateway drops a repeat of the same time and payload.
        const envelope = { roomId, occurredAt: new Date(started + i).toISOString(), data: { roomId, userId: bob.id, typing: false } };
        const response = await fetch(`http://127.0.0.1:${daprHttpPort}/v1.0/publish/${COMPONENTS.fanout}/${FANOUT_TOPICS.typing}`, {
          method: 'POST',
          headers: { 'dapr-api-token': publisherToken, 'content-type': 'application/json' },
          body: JSON.stringify(envelope),
        });
        return response.status;
      }),
    );
    t.deepEqual(
      published.filter((s) => s !== 204),
      [],
      'every event published',
    );

    // Until every event is on the socket and every delivery in the access log, or a delivery was refused.
    const { statuses, arrived } = await waitFor(
      () => {
        const answered = answeredStatuses(TYPING_ROUTE).slice(before);
        const onSocket = watcher.received('typing').filter((s) => s.userId === bob.id).length;
        const done = answered.some((s) => s !== 200) || (onSocket >= count && answered.length >= count);
        return done && { statuses: answered, arrived: onSocket };
      },
      { what: `${count} typing events on the socket`, timeoutMs: 60_000 },
    );
    t.deepEqual(
      statuses.filter((s) => s !== 200),
      [],
      `of ${statuses.length} deliveries, these were refused`,
    );
    t.is(statuses.length, count, 'each delivered once: none had to be redelivered');
    t.is(arrived, count);
  },
);

test.serial(
  'when a client posts as many events to the delivery route without the app token, or with a wrong one, it is refused and limited past the burst',
  async (t) => {
    const count = 3 * burst;
    for (const headers of [
      {},
      { 'dapr-api-token': 'guess-guess-guess-guess' },
      { 'dapr-api-token': platform.runEnv.tokens(APP_IDS.gateway).appApiToken.toUpperCase() },
    ]) {
      const statuses = await Promise.all(
        Array.from({ length: count }, async () => {
          const response = await fetch(`${platform.gatewayUrl}${TYPING_ROUTE}`, {
            method: 'POST',
            headers: { ...headers, 'content-type': 'application/cloudevents+json' },
            body: JSON.stringify({ specversion: '1.0', id: randomUUID(), source: 'client', type: 't', topic: 'typing', pubsubname: 'fanout', data: {} }),
          });
          await response.body?.cancel();
          return response.status;
        }),
      );
      t.deepEqual(
        statuses.filter((s) => s !== 401 && s !== 429),
        [],
        JSON.stringify(headers),
      );
      t.true(
        statuses.some((s) => s === 429),
        `${JSON.stringify(headers)}: ${statuses.filter((s) => s === 401).length} refused with 401, none limited`,
      );
    }
  },
);
