import test from 'ava';
import jwt from 'jsonwebtoken';
import { createPublicKey } from 'node:crypto';
import { isAppError } from '@chat/platform';
import { createPasswordHasher } from '../../src/domain/passwords.js';
import { buildAccounts, unique } from '../helpers/index.js';

const password = 'a long enough password';

async function registered(env = buildAccounts(), name = unique()) {
  const result = await env.accounts.register({ username: name, email: `${name}@example.com`, password }, env.ctx());
  return { env, name, result };
}

const codeOf = async (promise: Promise<unknown>) => {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    return isAppError(error) ? { code: error.code, status: error.status, retryAfter: error.retryAfterSeconds } : error;
  }
};

test('when a user registers, the user, a session and the user.registered event exist, and no password is stored', async (t) => {
  const { env, name, result } = await registered();
  t.like(result, { user: { username: name, email: `${name}@example.com` }, expiresIn: 900 });
  t.deepEqual(env.events.published, [
    { userId: result.user.id, username: name, email: `${name}@example.com`, displayName: name, createdAt: result.user.createdAt },
  ]);
  const stored = JSON.stringify(env.kv.dump());
  t.false(stored.includes(password));
  t.false(stored.includes(result.refreshToken));
  t.regex(stored, /\$scrypt\$ln=10,r=8,p=1\$/);
});

test('when the access token is decoded, it is ES256 with kid, iss, aud, sub, jti, sid and a 15-minute exp', async (t) => {
  const { env, result } = await registered();
  const decoded = jwt.decode(result.accessToken, { complete: true });
  const [record] = env.keys.records;
  t.like(decoded?.header, { alg: 'ES256', kid: record!.kid });
  const payload = jwt.verify(result.accessToken, createPublicKey(record!.privateKeyPem), {
    algorithms: ['ES256'],
    issuer: 'chat-platform',
    audience: 'chat-platform-api',
    clockTimestamp: env.clock.now / 1000,
  }) as jwt.JwtPayload;
  t.is(payload.sub, result.user.id);
  t.is(payload.exp! - payload.iat!, 900);
  t.truthy(payload.jti);
  t.truthy(payload['sid']);
});

test('when a username or email is taken in another case, registration answers 409 and names which', async (t) => {
  const { env, name } = await registered();
  const other = unique();
  const byName = await env.accounts.register({ username: name.toUpperCase(), email: `${other}@example.com`, password }, env.ctx()).catch((e) => e);
  t.like(byName, { code: 'conflict', message: 'This username is already taken' });
  const byEmail = await env.accounts.register({ username: other, email: `${name.toUpperCase()}@EXAMPLE.com`, password }, env.ctx()).catch((e) => e);
  t.like(byEmail, { code: 'conflict', message: 'This email is already registered' });
  t.is(env.events.published.length, 1);
});

test('when two registrations race for one username, exactly one wins and the loser leaves nothing behind', async (t) => {
  const env = buildAccounts();
  const name = unique();
  const results = await Promise.allSettled(
    [1, 2, 3].map((i) => env.accounts.register({ username: name, email: `${name}.${i}@example.com`, password }, env.ctx())),
  );
  t.is(results.filter((r) => r.status === 'fulfilled').length, 1);
  t.is(results.filter((r) => r.status === 'rejected' && isAppError(r.reason) && r.reason.code === 'conflict').length, 2);
  const emailClaims = env.kv.keys().filter((k) => k.startsWith('email:'));
  t.is(emailClaims.length, 1);
});

test('when publishing user.registered fails, the registration is undone and the names are free again', async (t) => {
  const env = buildAccounts();
  const name = unique();
  env.events.failNext = true;
  await t.throwsAsync(env.accounts.register({ username: name, email: `${name}@example.com`, password }, env.ctx()));
  t.deepEqual(
    env.kv.keys().filter((k) => !k.startsWith('attempts:')),
    [],
  );
  const again = await env.accounts.register({ username: name, email: `${name}@example.com`, password }, env.ctx());
  t.is(again.user.username, name);
});

test('when a password equals the username or email, registration is refused with validation_failed', async (t) => {
  const env = buildAccounts();
  const name = unique('samepass');
  const error = await env.accounts.register({ username: name, email: `${name}@example.com`, password: name.toUpperCase() }, env.ctx()).catch((e) => e);
  t.like(error, { code: 'validation_failed', details: [{ path: 'body.password', message: 'must not be the same as the username or email' }] });
});

test('when logging in by username or by email, both work; an unknown user and a wrong password answer alike', async (t) => {
  const { env, name, result } = await registered();
  t.is((await env.accounts.login({ login: name.toUpperCase(), password }, env.ctx())).user.id, result.user.id);
  t.is((await env.accounts.login({ login: `${name}@example.com`, password }, env.ctx())).user.id, result.user.id);
  const wrong = await env.accounts.login({ login: name, password: 'not the password' }, env.ctx()).catch((e) => e);
  const unknown = await env.accounts.login({ login: unique('ghost'), password }, env.ctx()).catch((e) => e);
  t.deepEqual([wrong.code, wrong.status, wrong.message], ['invalid_credentials', 401, 'The login or the password is wrong']);
  t.deepEqual([unknown.code, unknown.status, unknown.message], [wrong.code, wrong.status, wrong.message]);
});

test('when one address fails on an account, that address is refused for it, even with the right password, until the window ends', async (t) => {
  const { env, name } = await registered(buildAccounts({ perAccountAndAddress: 3 }));
  for (let i = 0; i < 3; i++) {
    t.like(await codeOf(env.accounts.login({ login: name, password: 'wrong' }, env.ctx('198.51.100.9'))), { code: 'invalid_credentials' });
  }
  t.deepEqual(await codeOf(env.accounts.login({ login: name, password }, env.ctx('198.51.100.9'))), { code: 'rate_limited', status: 429, retryAfter: 900 });
  env.clock.now += 600_000;
  t.like(await codeOf(env.accounts.login({ login: `${name}@example.com`, password }, env.ctx('198.51.100.9'))), { retryAfter: 300 });
  env.clock.now += 300_000;
  t.is((await env.accounts.login({ login: name, password }, env.ctx('198.51.100.9'))).user.username, name);
});

test('when a stranger fails on an account until refused, the owner at another address still logs in at once', async (t) => {
  const { env, name } = await registered(buildAccounts({ perAccountAndAddress: 3, perAccount: 10 }));
  // Every way of naming the account, from the stranger's one address.
  for (const login of [name, name.toUpperCase(), ` ${name}@example.com `, `${name.toUpperCase()}@EXAMPLE.COM`, name]) {
    await codeOf(env.accounts.login({ login, password: 'wrong' }, env.ctx('192.0.2.66')));
  }
  t.like(await codeOf(env.accounts.login({ login: name, password }, env.ctx('192.0.2.66'))), { code: 'rate_limited' });
  t.is((await env.accounts.login({ login: name, password }, env.ctx('203.0.113.7'))).user.username, name);
  t.is((await env.accounts.login({ login: `${name}@example.com`, password }, env.ctx('2001:db8:7::1'))).user.username, name);
});

test('when an address is written in another form of the same address or /64, it is the same address to the limits', async (t) => {
  const { env, name } = await registered(buildAccounts({ perAccountAndAddress: 4 }));
  const forms = ['198.51.100.7', '::ffff:198.51.100.7', '::FFFF:198.51.100.7', ' 198.51.100.7 '];
  for (const form of forms) t.like(await codeOf(env.accounts.login({ login: name, password: 'wrong' }, env.ctx(form))), { code: 'invalid_credentials' });
  t.like(await codeOf(env.accounts.login({ login: name, password }, env.ctx('198.51.100.7'))), { code: 'rate_limited' });
  const v6 = ['2001:db8:1:2::1', '2001:DB8:1:2:ffff::9', '2001:0db8:0001:0002:0:0:0:77', '2001:db8:1:2:aaaa:bbbb:cccc:dddd'];
  for (const form of v6) t.like(await codeOf(env.accounts.login({ login: name, password: 'wrong' }, env.ctx(form))), { code: 'invalid_credentials' });
  t.like(await codeOf(env.accounts.login({ login: name, password }, env.ctx('2001:db8:1:2::5'))), { code: 'rate_limited' });
  t.is((await env.accounts.login({ login: name, password }, env.ctx('2001:db8:1:3::5'))).user.username, name);
});

test('when many addresses guess one password together, past the account limit unknown addresses share one try per slow-lane interval', async (t) => {
  const { env, name } = await registered(buildAccounts({ perAccountAndAddress: 3, perAccount: 10, slowLaneSeconds: 30 }));
  const from = (n: number) => `198.18.${Math.floor(n / 250)}.${1 + (n % 250)}`;
  let checked = 0;
  let refused = 0;
  let longestWait = 0;
  let next = 0;
  // An hour of a botnet trying from a fresh address every second.
  for (let second = 0; second < 3_600; second++) {
    const outcome = await codeOf(env.accounts.login({ login: name, password: `guess ${second}` }, env.ctx(from(next++))));
    if ((outcome as { code?: string }).code === 'invalid_credentials') checked++;
    else if ((outcome as { code?: string }).code === 'rate_limited') {
      refused++;
      longestWait = Math.max(longestWait, (outcome as { retryAfter: number }).retryAfter);
    }
    env.clock.now += 1_000;
  }
  // 10 per 15-minute window freely, then one per 30 s: at most 4 × (10 + 30) in the hour.
  t.true(checked <= 4 * 40, `${checked} passwords checked`);
  t.true(refused >= 3_600 - 4 * 40, `${refused} refused`);
  // Slowed, not locked: every refusal says to come back within one interval.
  t.true(longestWait <= 30, `longest Retry-After ${longestWait} s`);
});

test('when an account is under a distributed attack, the owner at a known address is never refused, and at a new one is slowed, not locked out', async (t) => {
  const { env, name } = await registered(buildAccounts({ perAccountAndAddress: 3, perAccount: 10, slowLaneSeconds: 30 }));
  t.is((await env.accounts.login({ login: name, password }, env.ctx('203.0.113.50'))).user.username, name);
  for (let i = 0; i < 40; i++) await codeOf(env.accounts.login({ login: name, password: 'wrong' }, env.ctx(`198.18.0.${1 + i}`)));
  // The attack goes on: each slow-lane slot is taken by a stranger the moment it opens.
  for (let round = 0; round < 5; round++) {
    await codeOf(env.accounts.login({ login: name, password: 'wrong' }, env.ctx(`198.18.1.${1 + round}`)));
    t.is((await env.accounts.login({ login: name, password }, env.ctx('203.0.113.50'))).user.username, name);
    env.clock.now += 30_000;
  }
  // From an address the account does not know: a short wait, then in (and known from then on).
  await codeOf(env.accounts.login({ login: name, password: 'wrong' }, env.ctx('198.18.1.99')));
  const slowed = await codeOf(env.accounts.login({ login: name, password }, env.ctx('203.0.113.99')));
  t.like(slowed, { code: 'rate_limited' });
  env.clock.now += (slowed as { retryAfter: number }).retryAfter * 1_000;
  t.is((await env.accounts.login({ login: name, password }, env.ctx('203.0.113.99'))).user.username, name);
  await codeOf(env.accounts.login({ login: name, password: 'wrong' }, env.ctx('198.18.2.1')));
  t.is((await env.accounts.login({ login: name, password }, env.ctx('203.0.113.99'))).user.username, name);
});

test('when an attack targets a login that does not exist, every answer is the same as for one that does', async (t) => {
  const { env, name } = await registered(buildAccounts({ perAccountAndAddress: 2, perAccount: 4 }));
  const ghost = unique('ghost');
  const run = async (login: string) => {
    const outcomes = [];
    for (let i = 0; i < 8; i++) outcomes.push(await codeOf(env.accounts.login({ login, password: 'wrong' }, env.ctx(`198.18.${i % 3}.9`))));
    return outcomes;
  };
  t.deepEqual(await run(ghost), await run(name));
});

test('when guesses from one address arrive all at once, no more than the limit are checked', async (t) => {
  const { env, name } = await registered(buildAccounts({ perAccountAndAddress: 3 }));
  const outcomes = await Promise.all(
    Array.from({ length: 20 }, () => codeOf(env.accounts.login({ login: name, password: 'wrong' }, env.ctx('198.51.100.33')))),
  );
  t.is(outcomes.filter((o) => (o as { code?: string }).code === 'invalid_credentials').length, 3);
  t.is(outcomes.filter((o) => (o as { code?: string }).code === 'rate_limited').length, 17);
});

test('when one address fails across many accounts, it gets 429 while other addresses still log in', async (t) => {
  const { env, name } = await registered(buildAccounts({ perAccountAndAddress: 100, perAddress: 4 }));
  for (let i = 0; i < 4; i++) await codeOf(env.accounts.login({ login: unique('ghost'), password }, env.ctx('192.0.2.1')));
  t.like(await codeOf(env.accounts.login({ login: name, password }, env.ctx('192.0.2.1'))), { code: 'rate_limited' });
  t.is((await env.accounts.login({ login: name, password }, env.ctx('192.0.2.2'))).user.username, name);
});

test('when logins succeed, they do not use up the limits', async (t) => {
  const { env, name } = await registered(buildAccounts({ perAccountAndAddress: 2, perAddress: 2, perAccount: 2 }));
  for (let i = 0; i < 5; i++) t.is((await env.accounts.login({ login: name, password }, env.ctx())).user.username, name);
});

test('when a stored hash has weaker parameters, a successful login rehashes it with the current ones', async (t) => {
  const { env, name, result } = await registered(buildAccounts({ logN: 11 }));
  const stored = (await env.users.get(result.user.id))!;
  const weak = await createPasswordHasher({ logN: 10, r: 8, p: 1 }).hash(password);
  await env.users.update({ ...stored.value, passwordHash: weak }, stored.etag);
  await env.accounts.login({ login: name, password }, env.ctx());
  const after = (await env.users.get(result.user.id))!.value.passwordHash;
  t.regex(after, /^\$scrypt\$ln=11,r=8,p=1\$/);
  t.is((await env.accounts.login({ login: name, password }, env.ctx())).user.id, result.user.id);
});

test('when a refresh token is used, it is spent and a new pair comes back', async (t) => {
  const { env, result } = await registered();
  const next = await env.accounts.refresh(result.refreshToken, env.ctx());
  t.not(next.refreshToken, result.refreshToken);
  t.is(next.expiresIn, 900);
  const third = await env.accounts.refresh(next.refreshToken, env.ctx());
  t.truthy(third.accessToken);
});

test('when a spent refresh token is used again after its successor was, the whole chain is revoked', async (t) => {
  const { env, result } = await registered();
  const next = await env.accounts.refresh(result.refreshToken, env.ctx());
  const third = await env.accounts.refresh(next.refreshToken, env.ctx());
  // The first token, then the second: neither is the chain's last exchange with an unused successor.
  for (const spent of [result.refreshToken, next.refreshToken]) {
    t.like(await codeOf(env.accounts.refresh(spent, env.ctx())), { code: 'unauthenticated', status: 401 });
  }
  t.like(await codeOf(env.accounts.refresh(third.refreshToken, env.ctx())), { code: 'unauthenticated' });
});

test('when the last exchange is repeated within the grace period (its answer was lost), a new pair comes back and the unused successor stops working', async (t) => {
  const { env, result } = await registered();
  const lost = await env.accounts.refresh(result.refreshToken, env.ctx());
  env.clock.now += 20_000;
  const again = await env.accounts.refresh(result.refreshToken, env.ctx());
  env.clock.now += 9_000;
  const thrice = await env.accounts.refresh(result.refreshToken, env.ctx());
  t.not(again.refreshToken, lost.refreshToken);
  t.not(thrice.refreshToken, again.refreshToken);
  // One live token in the chain: the newest. Presenting a replaced one is a reuse and ends the chain.
  const next = await env.accounts.refresh(thrice.refreshToken, env.ctx());
  t.like(await codeOf(env.accounts.refresh(lost.refreshToken, env.ctx())), { code: 'unauthenticated' });
  t.like(await codeOf(env.accounts.refresh(next.refreshToken, env.ctx())), { code: 'unauthenticated' });
});

test('when a stolen token is replayed within the grace period, whichever holder uses a replaced token next ends the chain', async (t) => {
  const { env, result } = await registered();
  const owner = await env.accounts.refresh(result.refreshToken, env.ctx());
  const thief = await env.accounts.refresh(result.refreshToken, env.ctx());
  t.like(await codeOf(env.accounts.refresh(owner.refreshToken, env.ctx())), { code: 'unauthenticated' });
  t.like(await codeOf(env.accounts.refresh(thief.refreshToken, env.ctx())), { code: 'unauthenticated' });
});

test('when the last exchange is repeated past the grace period, or with the grace period off, the chain is revoked', async (t) => {
  for (const [env, wait] of [
    [buildAccounts(), 30_001],
    [buildAccounts({ refreshReuseGraceSeconds: 0 }), 1],
  ] as const) {
    const { result } = await registered(env);
    const next = await env.accounts.refresh(result.refreshToken, env.ctx());
    env.clock.now += wait;
    t.like(await codeOf(env.accounts.refresh(result.refreshToken, env.ctx())), { code: 'unauthenticated', status: 401 });
    t.like(await codeOf(env.accounts.refresh(next.refreshToken, env.ctx())), { code: 'unauthenticated' });
  }
});

test('when the last exchange is repeated twice at once, at most one refresh token of the chain still works', async (t) => {
  const { env, result } = await registered();
  await env.accounts.refresh(result.refreshToken, env.ctx());
  const answers = await Promise.allSettled([env.accounts.refresh(result.refreshToken, env.ctx()), env.accounts.refresh(result.refreshToken, env.ctx())]);
  const pairs = answers.flatMap((a) => (a.status === 'fulfilled' ? [a.value] : []));
  const working = await Promise.allSettled(pairs.map((pair) => env.accounts.refresh(pair.refreshToken, env.ctx())));
  t.true(working.filter((w) => w.status === 'fulfilled').length <= 1);
});

test('when a refresh token is past 30 days or unknown, refresh answers 401', async (t) => {
  const { env, result } = await registered();
  t.like(await codeOf(env.accounts.refresh('x'.repeat(43), env.ctx())), { code: 'unauthenticated' });
  env.clock.now += 30 * 24 * 3600 * 1000 + 1;
  t.like(await codeOf(env.accounts.refresh(result.refreshToken, env.ctx())), { code: 'unauthenticated' });
});

test('when a user logs out, that session cannot refresh, and another session still can', async (t) => {
  const { env, name, result } = await registered();
  const other = await env.accounts.login({ login: name, password }, env.ctx());
  await env.accounts.logout(result.refreshToken, env.ctx());
  await env.accounts.logout('not-a-token', env.ctx());
  t.like(await codeOf(env.accounts.refresh(result.refreshToken, env.ctx())), { code: 'unauthenticated' });
  t.truthy((await env.accounts.refresh(other.refreshToken, env.ctx())).accessToken);
});

test('when the password changes, every other session is revoked and the current one goes on', async (t) => {
  const { env, name, result } = await registered();
  const other = await env.accounts.login({ login: name, password }, env.ctx());
  const sid = (jwt.decode(result.accessToken) as jwt.JwtPayload)['sid'] as string;
  await env.accounts.changePassword(result.user.id, sid, { currentPassword: password, newPassword: 'a brand new password' }, env.ctx());
  t.like(await codeOf(env.accounts.refresh(other.refreshToken, env.ctx())), { code: 'unauthenticated' });
  t.truthy((await env.accounts.refresh(result.refreshToken, env.ctx())).accessToken);
  t.like(await codeOf(env.accounts.login({ login: name, password }, env.ctx())), { code: 'invalid_credentials' });
  t.is((await env.accounts.login({ login: name, password: 'a brand new password' }, env.ctx())).user.id, result.user.id);
});

test('when the current password is wrong, the change is refused with invalid_credentials and counts as a failure', async (t) => {
  const { env, result } = await registered(buildAccounts({ perAccountAndAddress: 2 }));
  const change = () => env.accounts.changePassword(result.user.id, undefined, { currentPassword: 'wrong one', newPassword: 'whatever else 1' }, env.ctx());
  t.like(await codeOf(change()), { code: 'invalid_credentials' });
  t.like(await codeOf(change()), { code: 'invalid_credentials' });
  t.like(await codeOf(change()), { code: 'rate_limited' });
});

test('when a key is appended to the key set, new tokens use it and the JWKS lists both without private parts', async (t) => {
  const { env } = await registered();
  const { signingKeyRecord } = await import('../helpers/index.js');
  env.keys.records.push(signingKeyRecord());
  const { result } = await registered(env);
  t.is(jwt.decode(result.accessToken, { complete: true })?.header.kid, env.keys.records[1]!.kid);
  const jwks = await env.accounts.jwks();
  t.deepEqual(
    jwks.keys.map((k) => k.kid),
    env.keys.records.map((r) => r.kid),
  );
  for (const key of jwks.keys) t.deepEqual(Object.keys(key).sort(), ['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
});

test('when one address registers too often, the next registration is 429 until the window ends, and other addresses still can', async (t) => {
  const env = buildAccounts({ registrationsPerAddress: 2 });
  const attempt = (address: string) => {
    const name = unique('reg');
    return codeOf(env.accounts.register({ username: name, email: `${name}@example.com`, password }, env.ctx(address)));
  };
  t.is(await attempt('198.51.100.20'), 'resolved');
  t.is(await attempt('198.51.100.20'), 'resolved');
  t.deepEqual(await attempt('198.51.100.20'), { code: 'rate_limited', status: 429, retryAfter: 3_600 });
  t.is(await attempt('198.51.100.21'), 'resolved');
  env.clock.now += 3_600_000;
  t.is(await attempt('198.51.100.20'), 'resolved');
});

test('when one address probes which names and emails are taken, it learns no more than the registration limit allows', async (t) => {
  const env = buildAccounts({ registrationsPerAddress: 3 });
  const taken = [];
  for (let i = 0; i < 3; i++) taken.push((await registered(env)).name);
  const probe = (address: string, username: string, email: string) => codeOf(env.accounts.register({ username, email, password }, env.ctx(address)));
  // Taken usernames, taken emails in other cases, fresh names: each counts, and past the limit nothing is told.
  const outcomes = [
    await probe('198.51.100.40', taken[0]!, `${unique()}@example.com`),
    await probe('198.51.100.40', unique(), `${taken[1]!.toUpperCase()}@EXAMPLE.COM`),
    await probe('::ffff:198.51.100.40', taken[2]!.toUpperCase(), `${unique()}@example.com`),
    await probe('198.51.100.40', taken[0]!, `${unique()}@example.com`),
    await probe('198.51.100.40', unique(), `${taken[1]}@example.com`),
  ];
  t.deepEqual(
    outcomes.map((o) => (o as { code: string }).code),
    ['conflict', 'conflict', 'conflict', 'rate_limited', 'rate_limited'],
  );
  t.like(await probe('198.51.100.41', taken[0]!, `${unique()}@example.com`), { code: 'conflict' });
});
