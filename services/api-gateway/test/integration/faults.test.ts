/**
 * Fault tests (issue 10): during a storm of sends from several clients on
 * two gateway replicas, kill -9 chat-service's sidecar, then chat-service,
 * then one gateway replica (app and sidecar), then the broker, each brought
 * back as a supervisor would. Afterwards:
 *
 * - every acknowledged message is in the history exactly once, `seq`
 *   gapless, and every message in the history was acknowledged;
 * - every member received each one: a client whose connection never
 *   dropped through `message:new` alone, exactly once and in `seq` order; a
 *   client whose replica died through its deliveries and the `sync` it made
 *   after reconnecting; no connection ever got a seq twice or out of order;
 * - a send made during an outage got a clear error (`unavailable`) within the
 *   gateway's timeout, unless its connection itself went down.
 *
 * On the redis profile "the broker" is the platform's whole Redis (state
 * store and both pub/sub components): the test starts its own redis-server
 * (append-only, fsync always) on a free port and kills that one; the
 * machine's shared Redis is never touched. Other profiles skip that step.
 */
import test from 'ava';
import { APP_IDS, type ChatMessage } from '@chat/platform';
import { startPlatform, startRedisServer, waitFor, type OwnRedis, type Platform } from '@chat/devkit/testing';
import { asGateway, createRoom, register } from '../helpers/platform-users.js';
import { StormClient } from '../helpers/storm-client.js';

/** The gateway's deadline for a chat-service call, short so that outages answer fast. */
const UPSTREAM_TIMEOUT_MS = 2_500;
/** What a loaded 2-core machine may add to an answer on top of the gateway's timeout. */
const ANSWER_SLACK_MS = 1_500;
/** How long each outage lasts before the dead part is brought back (the fault's length, not a wait for anything). */
const OUTAGE_MS = 2_000;

let platform: Platform;
let redis: OwnRedis | undefined;
const clients: StormClient[] = [];

test.before(async () => {
  const profile = process.env['PROFILE'] ?? 'redis';
  if (profile === 'redis') redis = await startRedisServer();
  platform = await startPlatform({
    gatewayReplicas: 2,
    callerSidecars: ['api-gateway'],
    ...(redis ? { redisHost: redis.host } : {}),
    serviceEnv: {
      'api-gateway': {
        UPSTREAM_TIMEOUT_MS: String(UPSTREAM_TIMEOUT_MS),
        // The storm is the test, not the rate limit.
        REALTIME_SEND_RATE: '1000',
        REALTIME_SEND_BURST: '1000',
        // A gap whose history cannot be read is held through the longest outage here.
        REALTIME_GAP_HOLD_MS: '60000',
      },
      'chat-service': { OUTBOX_SWEEP_MS: '1000', OUTBOX_GRACE_MS: '1000', SEND_DEADLINE_MS: '2000' },
      'auth-service': { SCRYPT_LOG_N: '10' },
    },
  });
});

test.after.always(async () => {
  for (const client of clients) client.close();
  await platform?.stop();
  await redis?.stop();
});

test('when sidecars, services, a gateway replica and the broker are killed during a storm, every acknowledged message is stored once and reaches every member', async (t) => {
  t.timeout(240_000);
  const started = Date.now();
  const phase = (name: string) => t.log(`${((Date.now() - started) / 1000).toFixed(1)} s: ${name}`);
  const urls = [platform.instance('api-gateway').url, platform.instance('api-gateway#2').url];

  // Six members, three per replica, in two rooms (everyone is in both).
  const users = await Promise.all(Array.from({ length: 6 }, () => register(platform, 'storm')));
  const roomIds = [
    await createRoom(platform, users[0]!, users.slice(1)),
    await createRoom(
      platform,
      users[1]!,
      users.filter((_, i) => i !== 1),
    ),
  ];
  for (const [i, user] of users.entries()) {
    clients.push(new StormClient({ user, urls, home: i % 2, roomIds, ackTimeoutMs: UPSTREAM_TIMEOUT_MS + ANSWER_SLACK_MS, pauseMs: 120 }));
  }
  await Promise.all(clients.map((c) => c.connect()));
  const storms = clients.map((c) => c.storm());
  const ackedCount = () => clients.reduce((sum, c) => sum + c.acked.size, 0);
  /** Waits until every client had 2 more sends acknowledged: the platform works again, for everyone. */
  const progress = async (what: string) => {
    const from = clients.map((c) => c.acked.size);
    await waitFor(() => clients.every((c, i) => c.acked.size >= from[i]! + 2), {
      what: `every client to have sends acknowledged ${what}`,
      timeoutMs: 60_000,
      intervalMs: 100,
    });
  };
  /** Kills a part, leaves it dead for OUTAGE_MS, brings it back, and waits for the storm to get through again. */
  const outage = async (what: string, kill: () => Promise<unknown>, restart: () => Promise<unknown>) => {
    await kill();
    phase(`killed ${what}`);
    await sleep(OUTAGE_MS);
    await restart();
    phase(`${what} back`);
    await progress(`after ${what} came back`);
  };
  await progress('to start with');
  phase('storm running');

  // 1. chat-service's sidecar dies; the supervisor starts it again.
  await outage(
    'the chat-service sidecar',
    () => platform.instance(APP_IDS.chat).daprd.kill(),
    () => platform.restartSidecar(APP_IDS.chat),
  );
  // 2. chat-service itself dies (its sidecar stays); the supervisor restarts it.
  await outage(
    'chat-service',
    () => platform.instance(APP_IDS.chat).app.kill(),
    () => platform.restartApp(APP_IDS.chat),
  );

  // 3. One gateway replica dies, app and sidecar; its clients reconnect to the other and sync.
  const displaced = clients.filter((c) => c.replica === 1);
  t.true(displaced.length > 0);
  const replica2 = platform.instance('api-gateway#2');
  await outage(
    'gateway replica 2',
    () => Promise.all([replica2.app.kill(), replica2.daprd.kill()]),
    async () => {
      await platform.restartApp(replica2.label);
      await platform.restartSidecar(replica2.label);
      // Its clients come home (as a load balancer would spread them again), and sync.
      await Promise.all(displaced.map((c) => c.moveTo(1)));
    },
  );

  // 4. The broker fails (redis profile: the test's own Redis, store and broker).
  if (redis) {
    // First it only refuses publishes while the state store works: sends are
    // acknowledged and their events wait in the outbox until it takes them.
    t.is(await redis.command('ACL', 'SETUSER', 'default', '-xadd'), '+OK');
    phase('the broker refuses publishes');
    await progress('while the broker refuses publishes');
    await waitFor(async () => (await chatStats(platform)).outbox.publishFailures > 0, {
      what: 'the outbox to have a publish refused',
      timeoutMs: 30_000,
      intervalMs: 100,
    });
    await progress('while committed messages wait in the outbox');
    t.is(await redis.command('ACL', 'SETUSER', 'default', '+xadd'), '+OK');
    phase('the broker takes publishes again');
    await waitFor(async () => (await chatStats(platform)).outbox.backlog === 0, {
      what: 'the outbox to drain',
      timeoutMs: 30_000,
      intervalMs: 100,
    });

    // Then it dies, and comes back from its append-only file.
    const broker = redis;
    await outage(
      'the broker (Redis)',
      () => broker.kill(),
      () => broker.restart(),
    );
  }

  // The storm ends; what is in flight is resent until acknowledged.
  for (const client of clients) client.finish();
  await Promise.all(storms);
  phase(`storm over: ${ackedCount()} messages acknowledged`);

  // Every acknowledged message is in the history exactly once, seq gapless,
  // and nothing is there that was not acknowledged.
  const acked = new Map<string, ChatMessage>();
  for (const client of clients) for (const [id, message] of client.acked) acked.set(`${client.user.id}/${id}`, message);
  const lastSeq = new Map<string, number>();
  for (const roomId of roomIds) {
    const history = await readHistory(platform, users[0]!.id, roomId);
    const seqs = history.map((m) => m.seq);
    t.deepEqual(
      seqs,
      Array.from({ length: seqs.length }, (_, i) => i + 1),
      `room ${roomId}: seq 1..N without gaps`,
    );
    const inRoom = [...acked.values()].filter((m) => m.roomId === roomId);
    t.is(history.length, inRoom.length, `room ${roomId}: as many messages as acknowledged`);
    const byKey = new Map(history.map((m) => [`${m.authorId}/${m.clientMsgId}`, m]));
    t.is(byKey.size, history.length, `room ${roomId}: no clientMsgId twice`);
    for (const message of inRoom) {
      const stored = byKey.get(`${message.authorId}/${message.clientMsgId}`);
      if (stored?.seq !== message.seq || stored.id !== message.id) {
        t.fail(`acknowledged ${message.clientMsgId} as seq ${message.seq}, stored ${JSON.stringify(stored)}`);
      }
    }
    lastSeq.set(roomId, seqs.length);
  }

  // Every member received each one (the outbox relays what was committed before a crash).
  const missing = (client: StormClient, roomId: string) => {
    const held = client.received(roomId);
    return Array.from({ length: lastSeq.get(roomId)! }, (_, i) => i + 1).filter((seq) => !held.has(seq));
  };
  try {
    await waitFor(() => clients.every((c) => roomIds.every((r) => missing(c, r).length === 0)), {
      what: 'every member to hold every message',
      timeoutMs: 30_000,
      intervalMs: 200,
    });
  } catch {
    for (const client of clients) {
      for (const roomId of roomIds) {
        const gaps = missing(client, roomId);
        if (gaps.length > 0) t.fail(`${client.user.username} misses ${gaps.length} of room ${roomId}: ${gaps.slice(0, 20).join(',')}`);
      }
    }
  }
  for (const client of clients) {
    for (const [s, session] of client.sessions.entries()) {
      for (const [roomId, seqs] of session.delivered) {
        const ordered = seqs.every((seq, i) => i === 0 || seq > seqs[i - 1]!);
        t.true(ordered, `${client.user.username} session ${s} room ${roomId}: message:new in strict seq order, none twice`);
      }
    }
    if (client.sessions.length === 1) {
      // Never disconnected: live delivery alone brought everything, in order.
      for (const roomId of roomIds) {
        t.deepEqual(
          client.sessions[0]!.delivered.get(roomId),
          Array.from({ length: lastSeq.get(roomId)! }, (_, i) => i + 1),
        );
      }
    }
  }
  t.true(
    clients.some((c) => c.sessions.length === 1),
    'some members stayed connected throughout',
  );
  t.true(
    clients.some((c) => c.drops > 0),
    'some members lost their replica',
  );

  // Sends during the outages got a clear error within the gateway's timeout.
  const attempts = clients.flatMap((c) => c.attempts);
  const failures = attempts.filter((a) => a.outcome !== 'ok');
  t.true(failures.length > 0, 'the outages did refuse sends');
  for (const attempt of failures.filter((a) => a.connected)) {
    if (attempt.outcome === 'no answer' || attempt.code !== 'unavailable' || attempt.ms > UPSTREAM_TIMEOUT_MS + ANSWER_SLACK_MS) {
      t.fail(`send ${attempt.clientMsgId}: ${attempt.outcome} ${attempt.code ?? ''} after ${attempt.ms} ms on a live connection`);
    }
  }
  const codes = new Map<string, number>();
  for (const a of failures) codes.set(a.code ?? a.outcome, (codes.get(a.code ?? a.outcome) ?? 0) + 1);
  t.log(
    `${attempts.length} send attempts, ${acked.size} acknowledged; refused: ${JSON.stringify([...codes])}; longest refusal ${Math.max(...failures.map((a) => a.ms))} ms`,
  );
  // Nothing is left waiting in the outbox.
  const stats = await waitFor(
    async () => {
      const now = await chatStats(platform);
      return now.outbox.backlog === 0 ? now : undefined;
    },
    { what: 'the outbox to be empty', timeoutMs: 30_000, intervalMs: 200 },
  );
  t.log('chat-service (since its restart):', JSON.stringify(stats));
  phase('checked');
});

async function readHistory(platform: Platform, userId: string, roomId: string): Promise<ChatMessage[]> {
  const out: ChatMessage[] = [];
  for (let after = 0; ;) {
    const page = await asGateway<{ messages: ChatMessage[]; hasMore: boolean }>(platform, userId, 'GET', `rooms/${roomId}/messages?after=${after}&limit=100`);
    out.push(...page.messages);
    after = out.at(-1)?.seq ?? after;
    if (!page.hasMore) return out;
  }
}

interface ChatStats {
  sequencer: { commits: number; conflicts: number; messages: number; repeats: number };
  outbox: { published: number; takenOver: number; publishFailures: number; backlog: number };
}

/** The chat-service's own counters (sequencer and outbox), asked of the app directly. */
async function chatStats(platform: Platform): Promise<ChatStats> {
  const response = await fetch(`${platform.instance(APP_IDS.chat).url}/stats`, {
    headers: { 'dapr-api-token': platform.runEnv.tokens(APP_IDS.chat).appApiToken },
  });
  return (await response.json()) as ChatStats;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
