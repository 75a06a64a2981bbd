/**
 * The platform attacked from outside, one class of hole at a time, each in
 * several variants (docs/security.md lists the classes): every attack gets
 * a clean answer in the contract's error shape, and every service is still
 * healthy afterwards. Real sidecars, real Redis; the gateway's named rate
 * limits at their documented values.
 */
import { randomUUID } from 'node:crypto';
import test from 'ava';
import { APP_IDS, FANOUT_TOPICS } from '@chat/platform';
import { startPlatform, type Platform } from '@chat/devkit/testing';
import { connectSocket } from '../helpers/socket-client.js';
import { register, type TestUser } from '../helpers/platform-users.js';

let platform: Platform;
let owner: TestUser;
let roomId: string;

test.before(async () => {
  platform = await startPlatform({
    callerSidecars: [APP_IDS.gateway],
    // Documented limits for the actions whose limits are under attack (class
    // 6: sends, room creation, membership, discovery, logins). The blanket
    // per-request limits are raised, and so are those of the routes that
    // class 3 fills with bad numbers: a refusal costs a token too, and on a
    // fast machine 30 bad cursors and the good one came within one burst.
    serviceEnv: {
      'api-gateway': {
        RATE_LIMIT_SCALE: '1',
        RATE_LIMITS: JSON.stringify({
          request: { address: { rate: 10_000, burst: 10_000 } },
          authenticated: { user: { rate: 10_000, burst: 10_000 } },
          register: { address: { rate: 10_000, burst: 10_000 } },
          history: { user: { rate: 10_000, burst: 10_000 } },
          messageChange: { user: { rate: 10_000, burst: 10_000 } },
          readMarker: { user: { rate: 10_000, burst: 10_000 } },
        }),
      },
    },
  });
  owner = await register(platform, 'sec');
  const created = await api('POST', '/api/rooms', owner.token, { name: 'target', visibility: 'private' });
  roomId = ((await created.json()) as { id: string }).id;
});
test.after.always(() => platform?.stop());

function api(method: string, path: string, token?: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${platform.gatewayUrl}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    signal: AbortSignal.timeout(15_000),
  });
}

interface ErrorShape {
  error: { code: string; message: string };
  requestId: string;
}

/** The answer is one of `statuses`, in the contract's error shape. */
async function refused(t: import('ava').ExecutionContext, response: Response, statuses: number[], what: string): Promise<ErrorShape> {
  t.true(statuses.includes(response.status), `${what}: answered ${response.status}, expected ${statuses.join(' or ')}`);
  const body = (await response.json()) as ErrorShape;
  t.is(typeof body.error?.code, 'string', `${what}: error shape`);
  t.is(typeof body.requestId, 'string', `${what}: request id`);
  return body;
}

/** Every service answers its health check through the gateway. */
async function allHealthy(t: import('ava').ExecutionContext): Promise<void> {
  const response = await api('GET', '/api/health');
  t.is(response.status, 200, `platform health after the attack: ${await response.clone().text()}`);
}

const forgedEvent = (topic: string) => ({
  specversion: '1.0',
  id: randomUUID(),
  source: 'attacker',
  type: 'com.dapr.event.sent',
  topic,
  pubsubname: 'fanout',
  datacontenttype: 'application/json',
  data: { topic, roomId: 'r', occurredAt: new Date().toISOString(), data: { messages: [{ roomId: 'r', seq: 1, body: 'forged', authorId: owner.id }] } },
});

test.serial('class 1: routes only a sidecar may call refuse every other caller, whatever the spelling of the path', async (t) => {
  const topic = FANOUT_TOPICS.messagesCreated;
  const spellings = [
    `/events/fanout/${topic}`,
    `/EVENTS/fanout/${topic}`,
    `/Events/Fanout/${topic}`,
    `/events/fanout/${topic}/`,
    `/%65vents/fanout/${topic}`,
    `/events/fanout/${topic.toUpperCase()}`,
    `//events/fanout/${topic}`,
    `/events/./fanout/${topic}`,
    `/events/fanout/${encodeURIComponent(topic)}%2F`,
  ];
  for (const path of spellings) {
    for (const headers of [{}, { 'dapr-api-token': 'guess-guess-guess-guess' }, { 'dapr-api-token': '' }]) {
      const response = await api('POST', path, undefined, forgedEvent(topic), { 'content-type': 'application/cloudevents+json', ...headers });
      await refused(t, response, [401, 404], `POST ${path}`);
    }
  }
  for (const path of ['/dapr/subscribe', '/DAPR/subscribe', '/dapr/Subscribe', '/dapr/subscribe/']) {
    await refused(t, await api('GET', path), [401, 404], `GET ${path}`);
  }
  await allHealthy(t);
});

test.serial('class 1: a forged fan-out event never reaches a socket', async (t) => {
  const watcher = await connectSocket(t, platform.gatewayUrl, owner.token);
  const topic = FANOUT_TOPICS.messagesCreated;
  const response = await api('POST', `/EVENTS/fanout/${topic}`, undefined, forgedEvent(topic), { 'content-type': 'application/cloudevents+json' });
  t.is(response.status, 404);
  // A real message after the forged one is the first thing the socket sees.
  const sent = await api('POST', `/api/rooms/${roomId}/messages`, owner.token, { body: 'real' });
  t.is(sent.status, 201);
  const first = await watcher.next('message:new');
  t.is(first.body, 'real');
  t.false(watcher.received('message:new').some((m) => m.body === 'forged'));
});

test.serial('class 3: numbers out of range in cursors, seqs and markers are 400, and the services stay up', async (t) => {
  const huge = ['9007199254740993', '9007199254740991', '2147483648', '1e308', '-1', '1.5', '0x10', 'NaN', 'Infinity', '99999999999999999999999'];
  for (const value of huge) {
    for (const name of ['before', 'after', 'limit']) {
      const response = await api('GET', `/api/rooms/${roomId}/messages?${name}=${encodeURIComponent(value)}`, owner.token);
      await refused(t, response, [400], `${name}=${value}`);
    }
    await refused(t, await api('PATCH', `/api/rooms/${roomId}/messages/${encodeURIComponent(value)}`, owner.token, { body: 'x' }), [400], `seq ${value}`);
    await refused(t, await api('DELETE', `/api/rooms/${roomId}/messages/${encodeURIComponent(value)}`, owner.token), [400], `seq ${value}`);
  }
  for (const seq of [2 ** 53, 2 ** 31, -5, 0.5, '1', null]) {
    await refused(t, await api('POST', `/api/rooms/${roomId}/read`, owner.token, { seq }), [400], `read ${String(seq)}`);
  }
  const socket = await connectSocket(t, platform.gatewayUrl, owner.token);
  for (const afterSeq of [2 ** 53, 2 ** 53 - 1, 2 ** 31, -1, 1.5]) {
    const ack = (await socket.socket.timeout(10_000).emitWithAck('sync', { roomId, afterSeq })) as { ok: boolean; error?: { code: string } };
    t.false(ack.ok, `sync afterSeq ${afterSeq}`);
    t.is(ack.error?.code, 'validation_failed');
  }
  // The largest cursor that is allowed answers an empty page at once.
  const page = await api('GET', `/api/rooms/${roomId}/messages?after=2147483647`, owner.token);
  t.is(page.status, 200);
  await allHealthy(t);
});

test.serial('class 4: ids with encoded separators or dot segments never reach a service route', async (t) => {
  const payloads = [
    '%2F..%2Fstats',
    '..%2F..%2Fstats',
    '%2e%2e%2fstats',
    '%252F..%252Fstats',
    '..',
    '.',
    'stats',
    `${roomId}%2F..`,
    `${roomId}%00`,
    `${roomId.toUpperCase()}x`,
    '%C0%AE%C0%AE',
  ];
  for (const id of payloads) {
    await refused(t, await api('GET', `/api/rooms/${id}`, owner.token), [400, 404], `room ${id}`);
    await refused(t, await api('GET', `/api/rooms/${id}/messages`, owner.token), [400, 404], `messages of ${id}`);
    await refused(t, await api('DELETE', `/api/rooms/${roomId}/members/${id}`, owner.token), [400, 404], `member ${id}`);
    await refused(t, await api('GET', `/api/profiles/${id}`, owner.token), [400, 404], `profile ${id}`);
    await refused(t, await api('GET', `/api/profiles/${id}/avatar`), [400, 404], `avatar ${id}`);
  }
  // Internal routes refuse every app, whatever path reaches them.
  const caller = platform.callerSidecars[APP_IDS.gateway]!;
  for (const path of ['stats', 'rooms/%2F..%2Fstats', `rooms/${roomId}/..%2F..%2Fstats`]) {
    const response = await fetch(`http://127.0.0.1:${caller.daprHttpPort}/v1.0/invoke/chat-service/method/${path}`, {
      headers: { 'dapr-api-token': platform.runEnv.tokens(APP_IDS.gateway).daprApiToken, 'x-user-id': owner.id },
    });
    t.true([400, 403, 404].includes(response.status), `invoke ${path}: ${response.status}`);
  }
  await allHealthy(t);
});

test.serial('class 5: deeply nested bodies and prototype keys are 400 on every kind of route', async (t) => {
  const deep = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
  const deepObject = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
  const targets: Array<[string, string, string | undefined]> = [
    ['POST', '/api/rooms', owner.token],
    ['PATCH', '/api/profiles/me', owner.token],
    ['POST', `/api/rooms/${roomId}/messages`, owner.token],
    ['POST', '/api/auth/login', undefined],
    ['POST', '/api/auth/register', undefined],
  ];
  const bodies = [
    deep(20_000),
    deepObject(5_000),
    `{"name":${deep(100)}}`,
    '{"__proto__":{"admin":true},"name":"x","visibility":"public"}',
    '{"constructor":{"prototype":{"admin":true}},"body":"x"}',
    '{"\\u005f_proto__":{"polluted":1},"body":"x"}',
    '{"body":"x","toString":"y"}',
    '{"body":"x","hasOwnProperty":1}',
  ];
  for (const [method, path, token] of targets) {
    for (const body of bodies) {
      const response = await api(method, path, token, body);
      const answer = await refused(t, response, [400], `${method} ${path} with ${body.slice(0, 40)}`);
      t.true(['invalid_json', 'validation_failed'].includes(answer.error.code));
    }
  }
  t.is(({} as Record<string, unknown>)['admin'], undefined, 'nothing polluted this process either');
  await allHealthy(t);
});

test.serial(
  'names that turn the text around them or show as nothing are refused on every route that takes one, in every spelling; nothing is stored',
  async (t) => {
    const user = await register(platform, 'names');
    const room = (await (await api('POST', '/api/rooms', user.token, { name: 'named', visibility: 'public' })).json()) as { id: string };
    // The JSON text as a client writes it: the character itself, or escaped in either case, or as a surrogate pair.
    const names = [JSON.stringify('admin\u202E'), '"\\u202eadmin"', '"ada\\u2066x\\u2069"', '"ada\\udb40\\udc41"', '"a\\u200Bda"', '"\\u3164"', '"a\\u2028b"'];
    const username = `names_${randomUUID().slice(0, 8)}`;
    const targets: Array<[string, string, string | undefined, (name: string) => string]> = [
      [
        'POST',
        '/api/auth/register',
        undefined,
        (name) => `{"username":"${username}","email":"${username}@example.test","password":"pw-${randomUUID()}","displayName":${name}}`,
      ],
      ['PATCH', '/api/profiles/me', user.token, (name) => `{"displayName":${name}}`],
      ['POST', '/api/rooms', user.token, (name) => `{"name":${name},"visibility":"public"}`],
      ['PATCH', `/api/rooms/${room.id}`, user.token, (name) => `{"name":${name}}`],
    ];
    for (const [method, path, token, body] of targets) {
      // Room creation and profile writes have limits of a few per user: four spellings each, all seven on the others.
      for (const name of /^(POST \/api\/rooms|PATCH \/api\/profiles)/.test(`${method} ${path}`) ? names.slice(1, 5) : names) {
        const answer = await refused(t, await api(method, path, token, body(name)), [400], `${method} ${path} with ${name}`);
        t.is(answer.error.code, 'validation_failed', `${method} ${path} with ${name}`);
        t.regex(JSON.stringify(answer), /invisible or direction-changing|one line|visible character/, `${method} ${path} with ${name}`);
      }
    }
    const me = (await (await api('GET', '/api/profiles/me', user.token)).json()) as { displayName: string };
    t.is(me.displayName, user.username, 'the profile kept its name');
    const { rooms } = (await (await api('GET', '/api/rooms', user.token)).json()) as { rooms: Array<{ id: string; name: string }> };
    t.deepEqual(
      rooms.map((r) => r.name),
      ['named'],
      'no room was made and the one there kept its name',
    );
    const registered = await api('POST', '/api/auth/register', undefined, {
      username,
      email: `${username}@example.test`,
      password: `pw-${randomUUID()}`,
      displayName: 'Ada\u200D',
    });
    t.is(registered.status, 201, 'the refused registrations took nothing: the username is free, and a name with a joiner passes');
    await allHealthy(t);
  },
);

test.serial('class 6: a flood of parallel sends is cut at the per-user limit with 429 and Retry-After', async (t) => {
  const sender = await register(platform, 'flood');
  const created = await api('POST', '/api/rooms', sender.token, { name: 'flood', visibility: 'private' });
  const floodRoom = ((await created.json()) as { id: string }).id;
  const started = performance.now();
  const answers = await Promise.all(Array.from({ length: 400 }, (_, i) => api('POST', `/api/rooms/${floodRoom}/messages`, sender.token, { body: `m${i}` })));
  const seconds = (performance.now() - started) / 1000;
  answers.sort((a, b) => b.status - a.status); // the 429s first
  const created201 = answers.filter((r) => r.status === 201).length;
  const limited = answers.filter((r) => r.status === 429);
  // The documented send limit (burst 20, then 10 a second): what the flood's own duration allows, however slow the machine.
  const allowed = 20 + Math.ceil(10 * seconds);
  t.true(created201 <= allowed, `${created201} sends passed in ${seconds.toFixed(1)} s (at most ${allowed})`);
  t.is(limited.length, 400 - created201, 'every send over the limit is a 429');
  t.true(limited.every((r) => Number(r.headers.get('retry-after')) >= 1));
  await Promise.all(answers.slice(1).map(async (r) => r.body?.cancel()));
  t.is(((await limited[0]!.json()) as ErrorShape).error.code, 'rate_limited');
  await allHealthy(t);
});

test.serial('class 6: room creation, member changes and discovery have limits of their own; X-Forwarded-For buys nothing', async (t) => {
  const user = await register(platform, 'limits');
  const statuses = async (count: number, make: (i: number) => Promise<Response>) => {
    const answers = await Promise.all(Array.from({ length: count }, (_, i) => make(i)));
    await Promise.all(answers.map(async (r) => r.body?.cancel()));
    return answers.map((r) => r.status);
  };
  const rooms = await statuses(30, (i) => api('POST', '/api/rooms', user.token, { name: `r${i}`, visibility: 'public' }));
  t.true(rooms.filter((s) => s === 429).length >= 20, `room creation: ${rooms.join(',')}`);
  const search = await statuses(40, (i) => api('GET', `/api/rooms/public?query=r${i}`, user.token));
  t.true(search.filter((s) => s === 429).length >= 25, `discovery: ${search.join(',')}`);
  const joins = await statuses(40, () => api('POST', `/api/rooms/${roomId}/join`, user.token));
  t.true(joins.filter((s) => s === 429).length >= 25, `membership: ${joins.join(',')}`);
  // Logins per address: a client cannot pose as many addresses (no trusted proxy is configured).
  const logins = await statuses(40, (i) =>
    api('POST', '/api/auth/login', undefined, { login: `nobody${i}`, password: 'wrong-password-1' }, { 'x-forwarded-for': `203.0.113.${i}` }),
  );
  t.true(logins.filter((s) => s === 429).length >= 25, `logins: ${logins.join(',')}`);
  await allHealthy(t);
});

test.serial("class 9: one app's token opens no other app's sidecar", async (t) => {
  const gatewayToken = platform.runEnv.tokens(APP_IDS.gateway).daprApiToken;
  for (const name of [APP_IDS.auth, APP_IDS.chat, APP_IDS.profile]) {
    const { daprHttpPort } = platform.instance(name);
    const response = await fetch(`http://127.0.0.1:${daprHttpPort}/v1.0/state/statestore/anything`, { headers: { 'dapr-api-token': gatewayToken } });
    t.is(response.status, 401, `${name}'s sidecar with the gateway's token`);
    const own = await fetch(`http://127.0.0.1:${daprHttpPort}/v1.0/metadata`, { headers: { 'dapr-api-token': platform.runEnv.tokens(name).daprApiToken } });
    t.is(own.status, 200, `${name}'s sidecar with its own token`);
  }
  const tokens = new Set([APP_IDS.gateway, APP_IDS.auth, APP_IDS.chat, APP_IDS.profile].flatMap((a) => Object.values(platform.runEnv.tokens(a))));
  t.is(tokens.size, 8, 'eight different tokens');
});
