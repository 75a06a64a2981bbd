/**
 * Two chat-service replicas, each with its own sidecar, and 8 concurrent
 * senders spread over both: 500 messages into one room. Every send must be
 * answered 201, seq must be exactly 1..500, history must equal what was
 * acknowledged, and resending a clientMsgId (after the answer, or at the
 * same time as the first send) must never make a second message.
 */
import { randomUUID } from 'node:crypto';
import test from 'ava';
import { APP_IDS } from '@chat/platform';
import { waitFor, WaitAbortedError, type ManagedProcess, type RunningService } from '@chat/devkit/testing';
import { startChatHarness, type ChatHarness } from '../helpers/platform.js';

let h: ChatHarness;

test.before(async () => {
  h = await startChatHarness({ services: [APP_IDS.chat], chatReplicas: 2 });
});
test.after.always(async () => {
  await h?.stop();
});

interface Message {
  id: string;
  seq: number;
  authorId: string;
  body: string;
  clientMsgId?: string;
}

interface ReplicaStats {
  sequencer: { commits: number; conflicts: number; messages: number; repeats: number };
  outbox: { published: number; takenOver: number; markerWrites: number; markerConflicts: number; backlog: number };
}

/** Each counter of `now` less its value in `then` (a gauge such as the backlog is kept as it is now). */
function since<T extends Record<string, number>>(now: T, then: T): T {
  return Object.fromEntries(Object.entries(now).map(([name, value]) => [name, name === 'backlog' ? value : value - then[name]!])) as T;
}

function isRunning(p: ManagedProcess): boolean {
  return p.child.exitCode === null && p.child.signalCode === null;
}

/**
 * Whether each replica's app and sidecar still run, and the last lines of any
 * that ended: what a failure of the spread over replicas needs first.
 */
async function describeReplicas(replicas: RunningService[]): Promise<string> {
  const state = async (p: ManagedProcess) => {
    if (isRunning(p)) return 'running';
    const lastLines = (await p.outputTail()).trim().split('\n').slice(-3).join(' | ');
    return `ended (${p.child.signalCode ?? `exit ${p.child.exitCode}`}): ${lastLines}`;
  };
  const described = await Promise.all(replicas.map(async (r) => `${r.label}: app ${await state(r.app)}, sidecar ${await state(r.daprd)}`));
  return described.join('; ');
}

test('when 8 senders on two replicas send 500 messages into one room, seq is exactly 1..500 and history equals the acknowledgements', async (t) => {
  t.timeout(180_000);
  const replicas = h.platform.instances.filter((i) => i.name === APP_IDS.chat);
  t.is(replicas.length, 2);
  const senders = Array.from({ length: 8 }, () => randomUUID());
  const created = await h.internal(senders[0], 'POST', 'rooms', { name: 'hot', visibility: 'private', memberIds: senders.slice(1) });
  t.is(created.status, 201);
  const roomId = created.body.id as string;

  // Through the gateway stand-in's sidecar, as the gateway calls: name
  // resolution spreads the calls over both replicas (checked below).
  const sendInto = async (room: string, userId: string, body: unknown) => {
    const reply = await h.internal<Message>(userId, 'POST', `rooms/${room}/messages`, body);
    return { status: reply.status, body: reply.body };
  };
  const sendVia = (userId: string, body: unknown) => sendInto(roomId, userId, body);

  // Each replica's own counters, asked of the app directly (as its sidecar would).
  const appToken = h.platform.runEnv.tokens(APP_IDS.chat).appApiToken;
  const readStats = () =>
    Promise.all(
      replicas.map(async (r) => {
        const response = await fetch(`${r.url}/stats`, { headers: { 'dapr-api-token': appToken } });
        return (await response.json()) as ReplicaStats;
      }),
    );
  // The harness waits until chat-service answers through Dapr, for which one
  // replica is enough. One CI run on the sqlite profile sent the whole storm
  // to one replica, most likely because the other's sidecar had come up
  // without name resolution (the harness now starts such a sidecar again: see
  // failedComponentInits). So before the storm, sends into another room until
  // each replica has taken one: the storm races two replicas from its first
  // message, or the test says which replica was not reached and whether its
  // processes still run.
  const warmUpAuthor = senders[0]!;
  const warmUp = await h.internal(warmUpAuthor, 'POST', 'rooms', { name: 'warm-up', visibility: 'private', memberIds: [] });
  t.is(warmUp.status, 201);
  let warmUps = 0;
  await waitFor(
    async () => {
      const reply = await sendInto(warmUp.body.id as string, warmUpAuthor, { body: `warm-up ${warmUps}`, clientMsgId: `warm-up-${warmUps++}` });
      if (reply.status !== 201) throw new WaitAbortedError(`a warm-up send answered ${reply.status}: ${JSON.stringify(reply.body)}`);
      const all = await readStats();
      if (all.every((s) => s.sequencer.messages > 0)) return true;
      if (replicas.some((r) => !isRunning(r.app) || !isRunning(r.daprd))) throw new WaitAbortedError(await describeReplicas(replicas));
      return undefined;
    },
    { what: 'a send through name resolution to reach each replica', timeoutMs: 30_000, intervalMs: 0 },
  );
  // The counters the storm starts from, once the warm-up's events are out.
  const before = await waitFor(
    async () => {
      const all = await readStats();
      return all.every((s) => s.outbox.backlog === 0) ? all : undefined;
    },
    { what: 'the warm-up to be relayed', timeoutMs: 30_000 },
  );
  const acknowledged: Message[] = [];
  const statuses = new Map<number, number>();
  let next = 0;
  const repeats: Array<{ original: Message; repeat: Message }> = [];
  await Promise.all(
    senders.map(async (userId, s) => {
      for (;;) {
        const n = next++;
        if (n >= 500) return;
        const clientMsgId = `${userId.slice(0, 8)}-${n}`;
        const body = { body: `message ${n} from ${s}`, clientMsgId };
        // Every tenth message (5, 15, ...) is sent twice at once, as by a
        // client that retried before the first answer came; both answers must
        // be the same message, whichever replicas took them.
        const [reply, twin] = await Promise.all([sendVia(userId, body), n % 10 === 5 ? sendVia(userId, body) : undefined]);
        statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
        if (reply.status !== 201) continue;
        acknowledged.push(reply.body);
        if (twin) {
          if (twin.status === 201) repeats.push({ original: reply.body, repeat: twin.body });
          else statuses.set(twin.status, (statuses.get(twin.status) ?? 0) + 1);
        }
        // Every tenth send is sent again, as by a client that lost the answer.
        if (n % 10 === 0) {
          const again = await sendVia(userId, { body: `message ${n} from ${s}`, clientMsgId });
          if (again.status === 201) repeats.push({ original: reply.body, repeat: again.body });
          else statuses.set(again.status, (statuses.get(again.status) ?? 0) + 1);
        }
      }
    }),
  );
  t.deepEqual([...statuses], [[201, 500]]);
  t.is(repeats.length, 100);
  for (const { original, repeat } of repeats) t.deepEqual(repeat, original);
  const seqs = acknowledged.map((m) => m.seq).sort((a, b) => a - b);
  t.deepEqual(
    seqs,
    Array.from({ length: 500 }, (_, i) => i + 1),
  );

  const history: Message[] = [];
  for (let after = 0; ;) {
    const page = await h.internal(senders[3], 'GET', `rooms/${roomId}/messages?after=${after}&limit=100`);
    t.is(page.status, 200);
    history.push(...(page.body.messages as Message[]));
    after = history.at(-1)?.seq ?? after;
    if (!page.body.hasMore) break;
  }
  t.deepEqual(
    history,
    [...acknowledged].sort((a, b) => a.seq - b.seq),
  );
  t.is(new Set(history.map((m) => m.clientMsgId)).size, 500);

  // Every message's event reached the broker (the stand-in gateway replica got each seq).
  const published = () =>
    new Set(
      h.events
        .filter((e) => e.pubsub === 'fanout' && e.topic === 'messages.created' && e.data.roomId === roomId)
        .flatMap((e) => (e.data.data as { messages: Message[] }).messages.map((m) => m.seq)),
    );
  await waitFor(() => published().size === 500, { what: 'all 500 seqs in messages.created on fanout', timeoutMs: 30_000 });

  // Once quiet, the outbox marker reaches lastSeq: nothing is left pending.
  const settled = await waitFor(
    async () => {
      const all = await readStats();
      return all.every((s) => s.outbox.backlog === 0) ? all : undefined;
    },
    { what: 'both relays to be done', timeoutMs: 30_000 },
  );
  // What the storm did: the counters since the warm-up.
  const stats = settled.map((s, i) => since(s.sequencer, before[i]!.sequencer));
  const outbox = settled.map((s, i) => since(s.outbox, before[i]!.outbox));
  t.log('sequencer stats per replica:', JSON.stringify(stats));
  t.log('outbox stats per replica:', JSON.stringify(outbox));
  // The conflict rate, measured: sends' lost head races per commit, and the
  // head writes of the relay's own (each can make at most one concurrent send
  // go round again). In a busy room the commits carry the marker.
  const commits = stats.reduce((sum, s) => sum + s.commits, 0);
  const sendConflicts = stats.reduce((sum, s) => sum + s.conflicts, 0);
  const markerWrites = outbox.reduce((sum, o) => sum + o.markerWrites, 0);
  t.log(
    `conflicts per commit ${(sendConflicts / commits).toFixed(2)}; relay head writes ${markerWrites} ` +
      `(${((100 * markerWrites) / commits).toFixed(1)}% of commits), of which lost races ${outbox.reduce((sum, o) => sum + o.markerConflicts, 0)}`,
  );
  t.true(markerWrites <= commits / 4, `${markerWrites} relay head writes for ${commits} commits`);
  const spread = stats.every((s) => s.messages > 0);
  t.true(spread, `both replicas committed messages${spread ? '' : `; ${await describeReplicas(replicas)}`}`);
  t.is(
    stats.reduce((sum, s) => sum + s.messages, 0),
    500,
  );
  // At least the 100 resends; daprd itself resends a call that timed out (a
  // very loaded machine), which the clientMsgId also turns into a repeat.
  t.true(stats.reduce((sum, s) => sum + s.repeats, 0) >= 100);
});
