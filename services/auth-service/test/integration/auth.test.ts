/**
 * Every row of the auth table in docs/api.md, and the rules under it, through the
 * api-gateway and real Dapr sidecars (Redis state store, Redis streams
 * pub/sub, local.file secret store).
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { createHash, createHmac, createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import jwt from 'jsonwebtoken';
import { startPlatform, waitFor, type Platform } from '@chat/devkit/testing';
import { apiClient, type ApiClient } from '../helpers/http.js';

const LIMITS = { perAccountAndAddress: 5, perAddress: 12, perAccount: 8, slowLaneSeconds: 60, registrationsPerAddress: 3 };

let platform: Platform;
/** Everything secret that went over the wire or into the store; none of it may be in a log. */
const secrets = new Set<string>();

test.before(async () => {
  platform = await startPlatform({
    services: ['api-gateway', 'auth-service'],
    // An app-less sidecar with another app-id, to call the auth-service as someone other than the gateway.
    callerSidecars: ['chat-service'],
    serviceEnv: {
      'auth-service': {
        LOGIN_MAX_ATTEMPTS_PER_ACCOUNT_AND_ADDRESS: String(LIMITS.perAccountAndAddress),
        LOGIN_MAX_ATTEMPTS_PER_ADDRESS: String(LIMITS.perAddress),
        LOGIN_MAX_ATTEMPTS_PER_ACCOUNT: String(LIMITS.perAccount),
        LOGIN_SLOW_LANE_SECONDS: String(LIMITS.slowLaneSeconds),
        REGISTER_MAX_PER_ADDRESS: String(LIMITS.registrationsPerAddress),
      },
    },
  });
});
test.after.always(async () => {
  await platform?.stop();
});

const api = (): ApiClient => apiClient(platform.gatewayUrl);
const redisDb = () => platform.runEnv.env['PLATFORM_REDIS_DB']!;
/** Broker-level checks read the Redis streams directly, so they run on the redis profile only. */
const onRedis = () => platform.profile === 'redis';
const redis = (...args: string[]): unknown => JSON.parse(execFileSync('redis-cli', ['-n', redisDb(), '--json', ...args], { encoding: 'utf8' }) || 'null');

/** The auth-service's own state, read and written through its sidecar's state API (works on every profile). */
const authState = () => ({
  base: `http://127.0.0.1:${platform.instance('auth-service').daprHttpPort}/v1.0/state/statestore`,
  headers: { 'dapr-api-token': platform.runEnv.tokens('auth-service').daprApiToken, 'content-type': 'application/json' },
});
const stored = async (key: string): Promise<any> => {
  const { base, headers } = authState();
  const response = await fetch(`${base}/${encodeURIComponent(key)}`, { headers });
  return response.status === 204 ? undefined : { ...((await response.json()) as object), etag: response.headers.get('etag') };
};
const overwrite = async (key: string, value: unknown, etag: string): Promise<void> => {
  const { base, headers } = authState();
  const response = await fetch(base, {
    method: 'POST',
    headers,
    body: JSON.stringify([{ key, value, etag, options: { concurrency: 'first-write' } }]),
  });
  if (!response.ok) throw new Error(`state write answered ${response.status}`);
};
/** The user.registered events on the `events` stream, as their consumers get them (redis profile). */
/** The newest user.registered events (the stream keeps earlier runs' events too: read only its tail). */
const registeredEvents = (): Array<{ source: string; data: Record<string, unknown> }> =>
  ((redis('XREVRANGE', 'user.registered', '+', '-', 'COUNT', '500') ?? []) as Array<[string, string[]]>).map(([, fields]) =>
    JSON.parse(fields[fields.indexOf('data') + 1]!),
  );

const newName = (prefix = 'u') => `${prefix}_${randomUUID().slice(0, 8)}`;
const PASSWORD = 'Correct horse battery staple 1';

async function register(client = api(), name = newName(), password = PASSWORD) {
  const response = await client.post('/api/auth/register', { username: name, email: `${name}@example.com`, password });
  if (response.status !== 201) throw new Error(`register answered ${response.status}: ${JSON.stringify(response.body)}`);
  secrets.add(password).add(response.body.accessToken).add(response.body.refreshToken);
  return { name, client, password, ...(response.body as { user: { id: string }; accessToken: string; refreshToken: string }) };
}

const withoutRequestId = (body: any) => ({ ...body, requestId: undefined });
const signingKeys = () =>
  JSON.parse(JSON.parse(readFileSync(platform.runEnv.env['PLATFORM_SECRETS_FILE']!, 'utf8'))['auth-signing-keys']) as Array<{
    kid: string;
    privateKeyPem: string;
  }>;

// --- POST /api/auth/register ----------------------------------------------

test.serial('when a user registers, the answer is 201 with the user and tokens, the event is published and only a scrypt hash is stored', async (t) => {
  const client = api();
  const name = newName('Reg');
  const response = await client.post('/api/auth/register', {
    username: name,
    email: `${name}@Example.COM`,
    password: PASSWORD,
    displayName: 'Reg Ister',
  });
  t.is(response.status, 201);
  secrets.add(response.body.accessToken).add(response.body.refreshToken);
  const { user, accessToken, refreshToken, expiresIn } = response.body;
  t.deepEqual(Object.keys(response.body).sort(), ['accessToken', 'expiresIn', 'refreshToken', 'user']);
  t.deepEqual(user, { id: user.id, username: name.toLowerCase(), email: `${name.toLowerCase()}@example.com`, createdAt: user.createdAt });
  t.regex(user.id, /^[0-9a-f-]{36}$/);
  t.false(Number.isNaN(Date.parse(user.createdAt)));
  t.is(expiresIn, 900);
  t.is(response.headers['cache-control'], 'no-store');
  t.truthy(response.headers['x-request-id']);
  t.regex(refreshToken, /^[A-Za-z0-9_-]{43}$/);
  t.like(jwt.decode(accessToken, { complete: true }), {
    header: { alg: 'ES256', kid: signingKeys()[0]!.kid },
    payload: { sub: user.id, iss: 'chat-platform', aud: 'chat-platform-api' },
  });

  // The store holds a hash with its parameters, never the password; the refresh token only as its SHA-256.
  const record = await stored(`user:${user.id}`);
  t.regex(record.passwordHash, /^\$scrypt\$ln=15,r=8,p=1\$/);
  secrets.add(record.passwordHash);
  t.false(JSON.stringify(record).includes(PASSWORD));
  const tokenHash = createHash('sha256').update(refreshToken).digest('hex');
  t.like(await stored(`refresh:${tokenHash}`), { userId: user.id });

  if (!onRedis()) {
    t.log('broker-level checks run on the redis profile only');
    return;
  }
  t.deepEqual(execFileSync('redis-cli', ['-n', redisDb(), '--scan', '--pattern', `*${refreshToken}*`], { encoding: 'utf8' }).trim(), '');
  // The event that profile-service builds the profile from, in its contract shape.
  const event = await waitFor(() => registeredEvents().find((e) => e.data['userId'] === user.id), { what: 'the user.registered event' });
  t.like(event, { source: 'auth-service' });
  t.deepEqual(event.data, {
    userId: user.id,
    username: name.toLowerCase(),
    email: `${name.toLowerCase()}@example.com`,
    displayName: 'Reg Ister',
    createdAt: user.createdAt,
  });
});

test.serial('when displayName is left out, the event carries the username as displayName', async (t) => {
  const { user, name } = await register();
  if (!onRedis()) {
    t.pass('broker-level checks run on the redis profile only');
    return;
  }
  const event = await waitFor(() => registeredEvents().find((e) => e.data['userId'] === user.id), { what: 'the user.registered event' });
  t.is(event.data['displayName'], name);
});

test.serial('when registration fields break the rules, the answer is 400 listing each bad field', async (t) => {
  const client = api();
  const response = await client.post('/api/auth/register', { username: 'a!', email: 'not-an-email', password: 'short', extra: 1 });
  t.is(response.status, 400);
  t.like(response.body, { error: { code: 'validation_failed' } });
  t.deepEqual(response.body.error.details.map((d: { path: string }) => d.path).sort(), ['body.email', 'body.extra', 'body.password', 'body.username']);
  t.truthy(response.body.requestId);

  const name = newName();
  const same = await client.post('/api/auth/register', { username: name, email: `${name}@example.com`, password: `${name}@example.com` });
  t.deepEqual(withoutRequestId(same.body), {
    error: {
      code: 'validation_failed',
      message: 'The request is not valid',
      details: [{ path: 'body.password', message: 'must not be the same as the username or email' }],
    },
    requestId: undefined,
  });
  t.is((await client.post('/api/auth/register', { username: 'x'.repeat(33), email: 'a@b.co', password: PASSWORD })).status, 400);
  t.is((await client.post('/api/auth/register', { username: 'abc', email: 'a@b.co', password: 'p'.repeat(129) })).status, 400);
  const invalid = await client.post('/api/auth/register', undefined, { rawBody: '{"username":' });
  t.like(invalid, { status: 400, body: { error: { code: 'invalid_json' } } });
});

test.serial('when the username or the email is already taken in any case, the answer is 409 naming which', async (t) => {
  const { name, client } = await register();
  const byName = await client.post('/api/auth/register', { username: name.toUpperCase(), email: `${newName()}@example.com`, password: PASSWORD });
  t.is(byName.status, 409);
  t.like(byName.body, { error: { code: 'conflict', message: 'This username is already taken' } });
  const byEmail = await client.post('/api/auth/register', { username: newName(), email: `${name.toUpperCase()}@example.com`, password: PASSWORD });
  t.is(byEmail.status, 409);
  t.like(byEmail.body, { error: { code: 'conflict', message: 'This email is already registered' } });
});

test.serial('when two registrations of the same username race, exactly one wins and the loser leaves its email free', async (t) => {
  const name = newName('race');
  const emails = [`${name}.one@example.com`, `${name}.two@example.com`];
  const responses = await Promise.all(emails.map((email) => api().post('/api/auth/register', { username: name, email, password: PASSWORD })));
  t.deepEqual(responses.map((r) => r.status).sort(), [201, 409]);
  const winner = responses.find((r) => r.status === 201)!;
  const loser = responses.find((r) => r.status === 409)!;
  secrets.add(winner.body.accessToken).add(winner.body.refreshToken);
  t.like(loser.body, { error: { code: 'conflict', message: 'This username is already taken' } });
  t.is((await stored(`username:${name}`)).userId, winner.body.user.id);
  if (onRedis()) {
    await waitFor(() => registeredEvents().some((e) => e.data['userId'] === winner.body.user.id), { what: "the winner's event" });
    t.is(registeredEvents().filter((e) => e.data['username'] === name).length, 1);
  }
  // The loser's email was given back (or never taken).
  const loserEmail = emails[responses.indexOf(loser)]!;
  const again = await api().post('/api/auth/register', { username: newName(), email: loserEmail, password: PASSWORD });
  t.is(again.status, 201);
  secrets.add(again.body.accessToken).add(again.body.refreshToken);
});

test.serial('when one address registers too often, the next registration is 429 with Retry-After', async (t) => {
  const client = api();
  for (let i = 0; i < LIMITS.registrationsPerAddress; i++) await register(client, newName('many'));
  const name = newName('many');
  const refused = await client.post('/api/auth/register', { username: name, email: `${name}@example.com`, password: PASSWORD });
  t.is(refused.status, 429);
  t.like(refused.body, { error: { code: 'rate_limited' } });
  t.true(Number(refused.headers['retry-after']) > 3_000);
  t.is((await api().post('/api/auth/login', { login: name, password: PASSWORD })).status, 401);
});

// --- POST /api/auth/login ----------------------------------------------------

test.serial('when logging in by username or by email (any case), the answer is 200 with the user and fresh tokens', async (t) => {
  const { name, user, client } = await register();
  for (const login of [name, `${name.toUpperCase()}@EXAMPLE.com`]) {
    const response = await client.post('/api/auth/login', { login, password: PASSWORD });
    t.is(response.status, 200);
    secrets.add(response.body.accessToken).add(response.body.refreshToken);
    t.deepEqual(Object.keys(response.body).sort(), ['accessToken', 'expiresIn', 'refreshToken', 'user']);
    t.deepEqual(response.body.user, user);
    t.is(response.body.expiresIn, 900);
  }
});

test.serial('when the user is unknown, the answer is identical to a wrong password, and takes a similar time', async (t) => {
  const { name, client } = await register();
  const wrong: Array<Awaited<ReturnType<ApiClient['post']>>> = [];
  const unknown: typeof wrong = [];
  for (let i = 0; i < LIMITS.perAccountAndAddress; i++) {
    wrong.push(await client.post('/api/auth/login', { login: name, password: `wrong password ${i}` }));
    unknown.push(await client.post('/api/auth/login', { login: newName('ghost'), password: PASSWORD }));
  }
  const shape = (r: (typeof wrong)[number]) => ({
    status: r.status,
    body: withoutRequestId(r.body),
    wwwAuthenticate: r.headers['www-authenticate'],
    contentType: r.headers['content-type'],
  });
  t.deepEqual(shape(wrong[0]!), {
    status: 401,
    body: { error: { code: 'invalid_credentials', message: 'The login or the password is wrong' }, requestId: undefined },
    wwwAuthenticate: 'Bearer',
    contentType: 'application/json; charset=utf-8',
  });
  for (const response of [...wrong, ...unknown]) t.deepEqual(shape(response), shape(wrong[0]!));
  // Both verify one scrypt hash: their median times stay close (the bound is
  // loose because the machine is shared; skipping the hash would be ~10x apart).
  const median = (rs: typeof wrong) => rs.map((r) => r.ms).sort((a, b) => a - b)[Math.floor(rs.length / 2)]!;
  const [a, b] = [median(wrong), median(unknown)];
  t.true(Math.max(a, b) / Math.min(a, b) < 2.5, `wrong password ${a.toFixed(0)} ms, unknown user ${b.toFixed(0)} ms`);
  t.true(Math.min(a, b) > 20, `a login that verifies no hash would answer in a few ms (${a.toFixed(0)}, ${b.toFixed(0)})`);
});

test.serial('when a stranger fails on an account until refused, the owner at another address still logs in', async (t) => {
  const { name } = await register();
  const stranger = api();
  for (let i = 0; i < LIMITS.perAccountAndAddress; i++) {
    t.is((await stranger.post('/api/auth/login', { login: i % 2 ? name.toUpperCase() : `${name}@example.com`, password: `guess ${i}` })).status, 401);
  }
  const blocked = await stranger.post('/api/auth/login', { login: name, password: PASSWORD });
  t.is(blocked.status, 429);
  t.like(blocked.body, { error: { code: 'rate_limited' } });
  const retryAfter = Number(blocked.headers['retry-after']);
  t.true(retryAfter > 800 && retryAfter <= 900, `Retry-After: ${String(blocked.headers['retry-after'])}`);
  const owner = await api().post('/api/auth/login', { login: name, password: PASSWORD });
  t.is(owner.status, 200);
  secrets.add(owner.body.accessToken).add(owner.body.refreshToken);
});

test.serial("when many addresses guess one account, strangers are slowed to the slow lane while the owner's known address logs in", async (t) => {
  const { name, client: owner } = await register();
  const first = await owner.post('/api/auth/login', { login: name, password: PASSWORD });
  t.is(first.status, 200);
  secrets.add(first.body.accessToken).add(first.body.refreshToken);
  // Each guess from a fresh address: no pair and no address limit ever applies.
  for (let i = 0; i < LIMITS.perAccount; i++) t.is((await api().post('/api/auth/login', { login: name, password: `guess ${i}` })).status, 401);
  t.is((await api().post('/api/auth/login', { login: name, password: 'through the slow lane' })).status, 401);
  const slowed = await api().post('/api/auth/login', { login: name, password: 'one too many' });
  t.is(slowed.status, 429);
  t.true(Number(slowed.headers['retry-after']) <= LIMITS.slowLaneSeconds, `Retry-After: ${String(slowed.headers['retry-after'])}`);
  // The owner's right password from a new address waits its turn too; from the known one it goes through.
  t.is((await api().post('/api/auth/login', { login: name, password: PASSWORD })).status, 429);
  const known = await owner.post('/api/auth/login', { login: `${name}@example.com`, password: PASSWORD });
  t.is(known.status, 200);
  secrets.add(known.body.accessToken).add(known.body.refreshToken);
});

test.serial('when one address probes taken usernames and emails, past the registration limit it is told nothing', async (t) => {
  const { name } = await register();
  const prober = api();
  const probes = [
    { username: name, email: `${newName()}@example.com` },
    { username: newName(), email: `${name.toUpperCase()}@example.com` },
    { username: name.toUpperCase(), email: `${newName()}@example.com` },
    { username: name, email: `${newName()}@example.com` },
    { username: newName(), email: `${name}@EXAMPLE.COM` },
  ];
  const statuses = [];
  for (const probe of probes) statuses.push((await prober.post('/api/auth/register', { ...probe, password: PASSWORD })).status);
  t.deepEqual(statuses, [409, 409, 409, 429, 429]);
});

test.serial('when one address fails too often, it gets 429 whatever X-Client-IP it claims, while other addresses still log in', async (t) => {
  const { name } = await register();
  const attacker = api();
  let answer = await attacker.post('/api/auth/login', { login: newName('ghost'), password: 'x' });
  for (let i = 0; i < LIMITS.perAddress && answer.status === 401; i++) {
    // A header the gateway must overwrite with the socket's address.
    answer = await attacker.post(
      '/api/auth/login',
      { login: newName('ghost'), password: 'x' },
      { headers: { 'x-client-ip': `10.9.${i}.1`, 'x-forwarded-for': `10.8.${i}.1` } },
    );
  }
  t.is(answer.status, 429);
  t.truthy(answer.headers['retry-after']);
  t.is((await attacker.post('/api/auth/login', { login: name, password: PASSWORD })).status, 429);
  const honest = await api().post('/api/auth/login', { login: name, password: PASSWORD });
  t.is(honest.status, 200);
  secrets.add(honest.body.accessToken).add(honest.body.refreshToken);
});

test.serial('when a stored hash has weaker scrypt parameters, a login rehashes it with the current ones', async (t) => {
  const { name, user, client } = await register();
  const { scryptAsync, formatHash } = await import('../../src/domain/passwords.js');
  const salt = Buffer.from('0123456789abcdef');
  const weak = formatHash({ logN: 12, r: 8, p: 1 }, salt, await scryptAsync(Buffer.from(PASSWORD), salt, { logN: 12, r: 8, p: 1 }));
  const { etag, ...current } = await stored(`user:${user.id}`);
  await overwrite(`user:${user.id}`, { ...current, passwordHash: weak }, etag);
  secrets.add(weak);
  const response = await client.post('/api/auth/login', { login: name, password: PASSWORD });
  t.is(response.status, 200);
  secrets.add(response.body.accessToken).add(response.body.refreshToken);
  const rehashed = (await stored(`user:${user.id}`)).passwordHash;
  secrets.add(rehashed);
  t.regex(rehashed, /^\$scrypt\$ln=15,r=8,p=1\$/);
  t.is((await client.post('/api/auth/login', { login: name, password: PASSWORD })).status, 200);
});

// --- POST /api/auth/refresh and /api/auth/logout ------------------------------

test.serial('when a refresh token is used, the answer is a new pair and the old token is spent', async (t) => {
  const { refreshToken, client, user } = await register();
  const response = await client.post('/api/auth/refresh', { refreshToken });
  t.is(response.status, 200);
  secrets.add(response.body.accessToken).add(response.body.refreshToken);
  t.deepEqual(Object.keys(response.body).sort(), ['accessToken', 'expiresIn', 'refreshToken']);
  t.not(response.body.refreshToken, refreshToken);
  t.like(jwt.decode(response.body.accessToken), { sub: user.id });
  t.truthy((await stored(`refresh:${createHash('sha256').update(refreshToken).digest('hex')}`)).spentAt);
});

test.serial('when a spent refresh token is used again, the whole chain is revoked: its successor no longer works either', async (t) => {
  const { refreshToken, client } = await register();
  const second = (await client.post('/api/auth/refresh', { refreshToken })).body;
  const third = (await client.post('/api/auth/refresh', { refreshToken: second.refreshToken })).body;
  secrets.add(second.accessToken).add(second.refreshToken).add(third.accessToken).add(third.refreshToken);
  const reuse = await client.post('/api/auth/refresh', { refreshToken });
  t.is(reuse.status, 401);
  t.like(reuse.body, { error: { code: 'unauthenticated', message: 'The refresh token is not valid' } });
  t.is(reuse.headers['www-authenticate'], 'Bearer');
  t.is((await client.post('/api/auth/refresh', { refreshToken: third.refreshToken })).status, 401);
});

test.serial('when a refresh is repeated because its answer was lost, the repeat gets a new pair and the lost pair no longer refreshes', async (t) => {
  const { refreshToken, client } = await register();
  const lost = (await client.post('/api/auth/refresh', { refreshToken })).body;
  const repeat = await client.post('/api/auth/refresh', { refreshToken });
  t.is(repeat.status, 200);
  secrets.add(lost.accessToken).add(lost.refreshToken).add(repeat.body.accessToken).add(repeat.body.refreshToken);
  const next = await client.post('/api/auth/refresh', { refreshToken: repeat.body.refreshToken });
  t.is(next.status, 200);
  secrets.add(next.body.accessToken).add(next.body.refreshToken);
  // The lost token was replaced: presenting it is a reuse, which ends the chain.
  t.is((await client.post('/api/auth/refresh', { refreshToken: lost.refreshToken })).status, 401);
  t.is((await client.post('/api/auth/refresh', { refreshToken: next.body.refreshToken })).status, 401);
});

test.serial('when a refresh token is unknown or malformed, the answer is 401; a missing one is 400', async (t) => {
  const client = api();
  t.is((await client.post('/api/auth/refresh', { refreshToken: 'A'.repeat(43) })).status, 401);
  t.is((await client.post('/api/auth/refresh', { refreshToken: 'nope' })).status, 401);
  t.like(await client.post('/api/auth/refresh', {}), {
    status: 400,
    body: { error: { code: 'validation_failed', details: [{ path: 'body.refreshToken', message: 'is required' }] } },
  });
});

test.serial("when a user logs out, the answer is 204 and that refresh token is revoked; the user's other session lives on", async (t) => {
  const { refreshToken, client, name } = await register();
  const other = (await client.post('/api/auth/login', { login: name, password: PASSWORD })).body;
  secrets.add(other.accessToken).add(other.refreshToken);
  const response = await client.post('/api/auth/logout', { refreshToken });
  t.is(response.status, 204);
  t.is(response.body, undefined);
  t.is((await client.post('/api/auth/refresh', { refreshToken })).status, 401);
  t.is((await client.post('/api/auth/logout', { refreshToken })).status, 204);
  t.is((await client.post('/api/auth/logout', { refreshToken: 'B'.repeat(43) })).status, 204);
  const refreshed = await client.post('/api/auth/refresh', { refreshToken: other.refreshToken });
  t.is(refreshed.status, 200);
  secrets.add(refreshed.body.accessToken).add(refreshed.body.refreshToken);
});

// --- GET /api/auth/me and the access-token checks ---------------------------

test.serial('when the access token is valid, /me answers 200 with the user, whatever x-user-id the client sends', async (t) => {
  const { accessToken, user, client } = await register();
  const response = await client.get('/api/auth/me', { token: accessToken, headers: { 'x-user-id': randomUUID() } });
  t.is(response.status, 200);
  t.deepEqual(response.body, { user });
});

test.serial(
  'when the access token is missing, malformed, forged, alg none, expired or for another issuer or audience, /me answers 401 with WWW-Authenticate',
  async (t) => {
    const { user, accessToken, client } = await register();
    const [real] = signingKeys();
    const realKey = createPrivateKey(real!.privateKeyPem);
    const forgerKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const now = Math.floor(Date.now() / 1000);
    const claims = { sub: user.id, iat: now, jti: randomUUID() };
    const options = { algorithm: 'ES256' as const, keyid: real!.kid, issuer: 'chat-platform', audience: 'chat-platform-api', expiresIn: 900 };
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

    // The control: a token the test signs with the real key and the right claims passes, so the refusals below are about the claims.
    const control = jwt.sign(claims, realKey, options);
    t.is((await client.get('/api/auth/me', { token: control })).status, 200);

    const refused: Record<string, string | undefined> = {
      'no token': undefined,
      'not a JWT': 'garbage',
      'forged signature with the real kid': jwt.sign(claims, forgerKey, options),
      'unknown kid': jwt.sign(claims, forgerKey, { ...options, keyid: randomUUID() }),
      'alg none': `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...claims, iss: 'chat-platform', aud: 'chat-platform-api', exp: now + 900 })}.`,
      'alg none with the real kid': `${b64({ alg: 'none', kid: real!.kid })}.${b64({ ...claims, iss: 'chat-platform', aud: 'chat-platform-api', exp: now + 900 })}.`,
      'HS256 with the public key as secret': (() => {
        const head = `${b64({ alg: 'HS256', typ: 'JWT', kid: real!.kid })}.${b64({ ...claims, iss: 'chat-platform', aud: 'chat-platform-api', exp: now + 900 })}`;
        const publicPem = createPublicKey(realKey).export({ type: 'spki', format: 'pem' });
        return `${head}.${createHmac('sha256', publicPem).update(head).digest('base64url')}`;
      })(),
      expired: jwt.sign({ ...claims, iat: now - 3600 }, realKey, { ...options, expiresIn: 60 }),
      'wrong issuer': jwt.sign(claims, realKey, { ...options, issuer: 'evil' }),
      'wrong audience': jwt.sign(claims, realKey, { ...options, audience: 'another-api' }),
      'payload swapped': (() => {
        const [h, , s] = accessToken.split('.');
        return `${h}.${b64({ ...claims, sub: randomUUID(), iss: 'chat-platform', aud: 'chat-platform-api', exp: now + 900 })}.${s}`;
      })(),
    };
    for (const [label, token] of Object.entries(refused)) {
      const response = await client.get('/api/auth/me', token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });
      t.is(response.status, 401, label);
      t.is(response.headers['www-authenticate'], 'Bearer', label);
      t.like(response.body, { error: { code: 'unauthenticated' } }, label);
    }
  },
);

// --- POST /api/auth/password ----------------------------------------------------

test.serial("when the password is changed, the answer is 204, every other session is revoked and the caller's own lives on", async (t) => {
  const { name, accessToken, refreshToken, client } = await register();
  const other = (await api().post('/api/auth/login', { login: name, password: PASSWORD })).body;
  secrets.add(other.accessToken).add(other.refreshToken);
  const newPassword = 'A completely new passphrase 2';
  secrets.add(newPassword);
  const response = await client.post('/api/auth/password', { currentPassword: PASSWORD, newPassword }, { token: accessToken });
  t.is(response.status, 204);
  t.is((await client.post('/api/auth/refresh', { refreshToken: other.refreshToken })).status, 401);
  const mine = await client.post('/api/auth/refresh', { refreshToken });
  t.is(mine.status, 200);
  secrets.add(mine.body.accessToken).add(mine.body.refreshToken);
  t.is((await client.post('/api/auth/login', { login: name, password: PASSWORD })).status, 401);
  const fresh = await client.post('/api/auth/login', { login: name, password: newPassword });
  t.is(fresh.status, 200);
  secrets.add(fresh.body.accessToken).add(fresh.body.refreshToken);
});

test.serial('when the current password is wrong, the change is 401 invalid_credentials; without a token, 401 unauthenticated', async (t) => {
  const { accessToken, client } = await register();
  const wrong = await client.post('/api/auth/password', { currentPassword: 'not it at all', newPassword: 'Another new passphrase 3' }, { token: accessToken });
  t.is(wrong.status, 401);
  t.like(wrong.body, { error: { code: 'invalid_credentials' } });
  const anonymous = await client.post('/api/auth/password', { currentPassword: PASSWORD, newPassword: 'Another new passphrase 3' });
  t.like(anonymous, { status: 401, body: { error: { code: 'unauthenticated' } } });
  const short = await client.post('/api/auth/password', { currentPassword: PASSWORD, newPassword: 'short' }, { token: accessToken });
  t.like(short, { status: 400, body: { error: { code: 'validation_failed', details: [{ path: 'body.newPassword' }] } } });
});

// --- GET /api/auth/jwks -----------------------------------------------------------

test.serial('when the JWKS is fetched, it lists the public key that verifies access tokens, and nothing private', async (t) => {
  const { accessToken } = await register();
  const response = await api().get('/api/auth/jwks');
  t.is(response.status, 200);
  const [key] = response.body.keys;
  t.deepEqual(response.body, { keys: [{ kty: 'EC', crv: 'P-256', x: key.x, y: key.y, kid: signingKeys()[0]!.kid, alg: 'ES256', use: 'sig' }] });
  t.like(jwt.verify(accessToken, createPublicKey({ key, format: 'jwk' }), { algorithms: ['ES256'] }), { iss: 'chat-platform' });
});

// --- Only the gateway may call the auth-service ------------------------------------

test.serial('when another app, or anyone without the app token, calls the auth-service directly, it is refused', async (t) => {
  const { user } = await register();
  const caller = platform.callerSidecars['chat-service']!;
  const viaOtherApp = await fetch(`http://127.0.0.1:${caller.daprHttpPort}/v1.0/invoke/auth-service/method/auth/me`, {
    headers: { 'dapr-api-token': platform.runEnv.tokens('chat-service').daprApiToken, 'x-user-id': user.id },
  });
  t.is(viaOtherApp.status, 403);
  t.like(await viaOtherApp.json(), { error: { code: 'forbidden' } });
  const direct = await fetch(`${platform.instance('auth-service').url}/auth/me`, { headers: { 'x-user-id': user.id, 'dapr-caller-app-id': 'api-gateway' } });
  t.is(direct.status, 401);
});

// --- Key rotation ----------------------------------------------------------------------

test.serial('when a second signing key is added and the auth-service restarts, new tokens use it and tokens of the old key still pass', async (t) => {
  const before = await register();
  const file = platform.runEnv.env['PLATFORM_SECRETS_FILE']!;
  const content = JSON.parse(readFileSync(file, 'utf8'));
  const keys = JSON.parse(content['auth-signing-keys']);
  const added = {
    kid: randomUUID(),
    alg: 'ES256',
    privateKeyPem: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    createdAt: new Date().toISOString(),
  };
  writeFileSync(file, JSON.stringify({ ...content, 'auth-signing-keys': JSON.stringify([...keys, added]) }, null, 2));
  // local.file reads its file when the sidecar starts; stores such as Vault are re-read every SIGNING_KEYS_REFRESH_SECONDS.
  await platform.stopInstance('auth-service');
  await platform.startInstance('auth-service');
  await waitFor(async () => (await api().get('/api/auth/jwks')).body?.keys?.length === 2, { what: 'the JWKS to list both keys', timeoutMs: 30_000 });

  const after = await register();
  t.is(jwt.decode(after.accessToken, { complete: true })?.header.kid, added.kid);
  // The gateway fetches the JWKS again for an unknown kid at most every JWKS_MIN_REFETCH_MS (5 s),
  // and an earlier test sent tokens with made-up kids: the new key is taken up within that bound.
  const took = Date.now();
  await waitFor(async () => (await after.client.get('/api/auth/me', { token: after.accessToken })).status === 200, {
    what: 'the gateway to accept a token of the new key',
    timeoutMs: 10_000,
    intervalMs: 250,
  });
  t.true(Date.now() - took < 6_000, `took ${Date.now() - took} ms`);
  t.is((await before.client.get('/api/auth/me', { token: before.accessToken })).status, 200);
  t.deepEqual(
    (await api().get('/api/auth/jwks')).body.keys.map((k: { kid: string }) => k.kid),
    [keys[0].kid, added.kid],
  );
});

// --- Logs ----------------------------------------------------------------------------------

test.serial('when the logs of this whole run are searched, no password, hash, token or key is in any line', async (t) => {
  const logDir = join(platform.runEnv.runDir, 'logs');
  const files = readdirSync(logDir).filter((f) => f.endsWith('.log'));
  t.true(files.some((f) => f.startsWith('auth-service')) && files.some((f) => f.startsWith('api-gateway')));
  const keyMaterial = signingKeys().flatMap((k) => k.privateKeyPem.split('\n').filter((line) => line.length > 20 && !line.startsWith('-----')));
  const needles = [...secrets, ...keyMaterial].filter((s) => s.length >= 8);
  t.true(needles.length > 50, `${needles.length} secrets collected`);
  let lines = 0;
  for (const file of files) {
    const text = readFileSync(join(logDir, file), 'utf8');
    lines += text.split('\n').length;
    for (const needle of needles) t.false(text.includes(needle), `${file} contains a secret (${needle.slice(0, 6)}…)`);
    t.notRegex(text, /\$scrypt\$|-----BEGIN|eyJhbGciOi/, file);
  }
  t.true(lines > 100, `${lines} log lines searched`);
});
