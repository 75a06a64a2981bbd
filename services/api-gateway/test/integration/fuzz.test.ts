/**
 * Generated input against the running platform (fast-check): every REST
 * route of the OpenAPI document and every socket event, with arbitrary and
 * hostile path parameters, queries, bodies, content types and tokens. The
 * platform must answer each one with a 2xx/3xx/4xx (never a 5xx), within a
 * deadline (never a hang), and no process may die (never a crash).
 * FUZZ_SEED replays a run; FUZZ_CASES sets its size (10,000 by default).
 */
import { randomUUID } from 'node:crypto';
import test from 'ava';
import fc from 'fast-check';
import { startPlatform, type Platform } from '@chat/devkit/testing';
import { connectSocket } from '../helpers/socket-client.js';
import { register, type TestUser } from '../helpers/platform-users.js';

const CASES = Number(process.env['FUZZ_CASES'] ?? 10_000);
const SEED = Number(process.env['FUZZ_SEED'] ?? Date.now() % 2 ** 31);
const SOCKET_SHARE = 0.2;
const CONCURRENCY = 4;
const DEADLINE_MS = 20_000;

let platform: Platform;
let user: TestUser;
let other: TestUser;
let roomId: string;

test.before(async () => {
  platform = await startPlatform({ serviceEnv: { 'api-gateway': { LOG_LEVEL: 'warn' }, 'chat-service': { LOG_LEVEL: 'warn' } } });
  [user, other] = await Promise.all([register(platform, 'fz'), register(platform, 'fz')]);
  const created = await fetch(`${platform.gatewayUrl}/api/rooms`, {
    method: 'POST',
    headers: { authorization: `Bearer ${user.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'fuzz', visibility: 'public', memberIds: [other.id] }),
  });
  roomId = ((await created.json()) as { id: string }).id;
});
test.after.always(() => platform?.stop());

/** encodeURIComponent, except that a lone surrogate becomes an invalid UTF-8 escape instead of an exception. */
const encode = (value: string): string => {
  try {
    return encodeURIComponent(value);
  } catch {
    return encodeURIComponent(value.replace(/[\uD800-\uDFFF]/g, '')) + '%ED%A0%80';
  }
};

/** Strings an attacker tries in a path segment or a value, beside arbitrary ones. */
const hostile = fc.constantFrom(
  '..',
  '.',
  '%2F..%2Fstats',
  '..%2F..%2Fstats',
  '%252F',
  '%00',
  '%C0%AE',
  '\u0000',
  '\uFFFF',
  '\uD800',
  'stats',
  'me',
  'ME',
  '9007199254740993',
  '-1',
  '1e308',
  'NaN',
  '0x10',
  '1.5',
  '2147483648',
  ' ',
  '%20',
  '<script>',
  "' OR 1=1 --",
  '${jndi:x}',
  '__proto__',
  'constructor',
  'a'.repeat(5_000),
);
const segment = () =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(roomId, user.id, other.id, randomUUID(), '1', '2', 'me') },
    { weight: 3, arbitrary: hostile },
    { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
    { weight: 1, arbitrary: fc.integer().map(String) },
    { weight: 1, arbitrary: fc.double().map(String) },
  );
const queryValue = fc.oneof(hostile, fc.string({ maxLength: 30 }), fc.integer().map(String), fc.bigInt().map(String));
const queryString = fc
  .array(fc.tuple(fc.oneof(fc.constantFrom('before', 'after', 'limit', 'query', 'ids', '__proto__'), fc.string({ maxLength: 10 })), queryValue, fc.boolean()), {
    maxLength: 4,
  })
  .map((pairs) => pairs.map(([k, v, raw]) => `${encode(k)}=${raw ? v : encode(v)}`).join('&'));

const deep = fc.integer({ min: 1, max: 3_000 }).map((n) => '['.repeat(n) + ']'.repeat(n));
const body = () =>
  fc.oneof(
    { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)) },
    {
      weight: 4,
      arbitrary: fc
        .record(
          {
            name: fc.oneof(fc.string({ maxLength: 80 }), hostile, fc.jsonValue()),
            visibility: fc.constantFrom('public', 'private', 'PUBLIC', 1, null),
            body: fc.oneof(fc.string({ maxLength: 200 }), hostile, fc.integer()),
            seq: fc.oneof(fc.integer(), fc.double(), fc.constant(2 ** 53), fc.string()),
            userId: fc.oneof(fc.constantFrom(user.id, other.id, randomUUID()), hostile),
            role: fc.constantFrom('admin', 'member', 'owner', ''),
            memberIds: fc.array(fc.oneof(fc.constant(other.id), hostile), { maxLength: 3 }),
            displayName: fc.oneof(fc.string({ maxLength: 80 }), fc.jsonValue()),
            bio: fc.string({ maxLength: 300 }),
            clientMsgId: fc.oneof(fc.uuid(), hostile),
            topic: fc.string({ maxLength: 100 }),
          },
          { requiredKeys: [] },
        )
        .map((v) => JSON.stringify(v)),
    },
    { weight: 1, arbitrary: deep },
    { weight: 1, arbitrary: fc.constantFrom('{"__proto__":{"x":1}}', '{"constructor":{"prototype":{}}}', '{', 'null', '', '\u0000', '{"a":1}{"b":2}') },
    { weight: 1, arbitrary: fc.string({ maxLength: 300 }) },
  );
const contentType = fc.constantFrom(
  'application/json',
  'application/json',
  'application/json',
  'text/plain',
  'application/cloudevents+json',
  'image/png',
  '',
  'application/json; charset=latin1',
);
const auth = fc.oneof(
  { weight: 8, arbitrary: fc.constant('user') },
  { weight: 1, arbitrary: fc.constant('none') },
  { weight: 1, arbitrary: fc.constantFrom('Bearer x.y.z', 'Bearer ', 'Basic Zm9vOmJhcg==', `Bearer ${'a'.repeat(10_000)}`) },
);

interface RestCase {
  method: string;
  path: string;
  query: string;
  body: string | undefined;
  contentType: string;
  auth: string;
}

async function documentedRoutes(): Promise<Array<{ method: string; template: string }>> {
  const doc = (await (await fetch(`${platform.gatewayUrl}/api/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
  return Object.entries(doc.paths).flatMap(([template, ops]) =>
    Object.keys(ops)
      .filter((m) => ['get', 'post', 'put', 'patch', 'delete'].includes(m))
      .map((method) => ({ method: method.toUpperCase(), template })),
  );
}

/** How many answers had each status, for the log (a run that answers only 400s tests little). */
const statuses = new Map<number, number>();

async function runRest(c: RestCase): Promise<string | undefined> {
  const headers: Record<string, string> = {};
  if (c.auth === 'user') headers['authorization'] = `Bearer ${user.token}`;
  else if (c.auth !== 'none') headers['authorization'] = c.auth;
  if (c.body !== undefined && c.contentType) headers['content-type'] = c.contentType;
  const url = `${platform.gatewayUrl}${c.path}${c.query ? `?${c.query}` : ''}`;
  let response: Response;
  try {
    response = await fetch(url, {
      method: c.method,
      headers,
      ...(c.body !== undefined && c.method !== 'GET' ? { body: c.body } : {}),
      signal: AbortSignal.timeout(DEADLINE_MS),
    });
  } catch (error) {
    if ((error as Error).name === 'TypeError' && /URL|url|header/i.test(String((error as Error).message + (error as { cause?: Error }).cause?.message)))
      return undefined; // the client refused to send it
    return `${c.method} ${url}: no answer (${(error as Error).name}: ${(error as Error).message})`;
  }
  const text = await response.text();
  statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
  if (response.status >= 500) return `${c.method} ${url} ${c.contentType} ${String(c.body).slice(0, 120)} → ${response.status} ${text.slice(0, 200)}`;
  if (response.status >= 400) {
    try {
      const parsed = JSON.parse(text) as { error?: { code?: unknown } };
      if (typeof parsed.error?.code !== 'string') return `${c.method} ${url} → ${response.status} without the error shape: ${text.slice(0, 200)}`;
    } catch {
      return `${c.method} ${url} → ${response.status} not JSON: ${text.slice(0, 200)}`;
    }
  }
  return undefined;
}

const SOCKET_EVENTS = ['message:send', 'message:edit', 'message:delete', 'sync', 'read', 'typing', 'auth:refresh', 'unknown:event', 'disconnect'];
const socketPayload = () =>
  fc.oneof(
    fc.jsonValue({ maxDepth: 4 }),
    fc.record(
      {
        roomId: fc.oneof(fc.constant(roomId), fc.uuid(), hostile, fc.integer()),
        body: fc.oneof(fc.string({ maxLength: 100 }), hostile, fc.jsonValue()),
        clientMsgId: fc.oneof(fc.uuid(), hostile),
        seq: fc.oneof(fc.integer(), fc.double(), fc.constant(2 ** 53), hostile),
        afterSeq: fc.oneof(fc.integer(), fc.double(), fc.constant(2 ** 53 - 1), hostile),
        limit: fc.oneof(fc.integer(), hostile),
        typing: fc.oneof(fc.boolean(), hostile),
        token: fc.oneof(hostile, fc.string()),
      },
      { requiredKeys: [] },
    ),
    fc.integer({ min: 1, max: 2_000 }).map((n) => JSON.parse('['.repeat(n) + ']'.repeat(n)) as unknown),
  );

test('generated requests on every REST route and socket event: no 5xx, no hang, no crash', async (t) => {
  t.timeout(20 * 60_000);
  const routes = await documentedRoutes();
  t.true(routes.length >= 25, `routes from the OpenAPI document: ${routes.length}`);
  const restCount = Math.round(CASES * (1 - SOCKET_SHARE));
  const restCase = fc
    .record({
      route: fc.constantFrom(...routes),
      segments: fc.array(fc.tuple(segment(), fc.boolean()), { minLength: 3, maxLength: 3 }),
      query: queryString,
      body: fc.option(body(), { nil: undefined }),
      contentType,
      auth,
    })
    .map(({ route, segments, query, body: b, contentType: ct, auth: a }): RestCase => {
      let i = 0;
      const path = route.template.replace(/\{[^}]+\}/g, () => {
        const [value, raw] = segments[i++ % segments.length] ?? ['', false];
        return raw ? value : encode(value);
      });
      return { method: route.method, path, query, body: b, contentType: ct, auth: a };
    });
  const restCases = fc.sample(restCase, { numRuns: restCount, seed: SEED });
  const socketCases = fc.sample(fc.record({ event: fc.constantFrom(...SOCKET_EVENTS), payload: socketPayload(), withAck: fc.boolean() }), {
    numRuns: CASES - restCount,
    seed: SEED + 1,
  });
  t.log(`seed ${SEED}: ${restCases.length} REST cases over ${routes.length} routes, ${socketCases.length} socket cases`);

  const failures: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < restCases.length && failures.length < 20) {
        const failure = await runRest(restCases[next++]!);
        if (failure) failures.push(failure);
      }
    }),
  );

  t.log(`REST answers by status: ${JSON.stringify(Object.fromEntries([...statuses].sort(([a], [b]) => a - b)))}`);

  // Sockets: one connection per worker; a command must be answered, and never with `internal`.
  const sockets = await Promise.all(Array.from({ length: CONCURRENCY }, () => connectSocket(t, platform.gatewayUrl, user.token)));
  let nextSocket = 0;
  await Promise.all(
    sockets.map(async (s) => {
      while (nextSocket < socketCases.length && failures.length < 20) {
        const { event, payload, withAck } = socketCases[nextSocket++]!;
        if (!s.socket.connected) {
          failures.push(`socket closed before ${event}`);
          return;
        }
        const emit = s.socket as unknown as {
          emit: (e: string, ...a: unknown[]) => void;
          timeout: (ms: number) => { emitWithAck: (e: string, p: unknown) => Promise<unknown> };
        };
        if (!withAck || event === 'disconnect') {
          if (event !== 'disconnect') emit.emit(event, payload);
          continue;
        }
        if (event === 'unknown:event') {
          emit.emit(event, payload);
          continue;
        }
        try {
          const ack = (await emit.timeout(DEADLINE_MS).emitWithAck(event, payload)) as { ok?: boolean; error?: { code?: string } };
          if (ack?.ok !== true && (typeof ack?.error?.code !== 'string' || ack.error.code === 'internal')) {
            failures.push(`${event} ${JSON.stringify(payload).slice(0, 120)} → ${JSON.stringify(ack).slice(0, 200)}`);
          }
        } catch (error) {
          failures.push(`${event} ${JSON.stringify(payload).slice(0, 120)}: no ack (${(error as Error).message})`);
        }
      }
    }),
  );

  t.deepEqual(failures, [], `seed ${SEED} (replay with FUZZ_SEED=${SEED})`);
  // No crash: every process is still the one that started, and all answer.
  for (const instance of platform.instances) {
    t.is(instance.app.child.exitCode, null, `${instance.label} app still running`);
    t.is(instance.daprd.child.exitCode, null, `${instance.label} daprd still running`);
  }
  const health = await fetch(`${platform.gatewayUrl}/api/health`);
  t.is(health.status, 200, await health.text());
});
