import test from 'ava';
import { createHmac, createPublicKey, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { createLogger, isAppError, type Sidecar } from '@chat/platform';
import { createJwksVerifier } from '../../../src/adapters/dapr/jwks-verifier.js';

const ISSUER = 'chat-platform';
const AUDIENCE = 'chat-platform-api';

interface TestKey {
  kid: string;
  privateKey: KeyObject;
}

const newKey = (): TestKey => ({ kid: randomUUID(), privateKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey });

const jwkOf = (key: TestKey) => ({ ...createPublicKey(key.privateKey).export({ format: 'jwk' }), kid: key.kid, alg: 'ES256', use: 'sig' });

/** A sidecar whose auth-service publishes `published` as its JWKS, counting the fetches. */
function fakeAuthService(published: TestKey[]) {
  const state = { fetches: 0, down: false };
  const sidecar = {
    async invokeJson(appId: string, path: string) {
      if (appId !== 'auth-service' || path !== 'auth/jwks') throw new Error(`unexpected call ${appId}/${path}`);
      state.fetches++;
      if (state.down) throw new Error('auth-service down');
      return { keys: published.map(jwkOf) };
    },
  } as unknown as Sidecar;
  return { sidecar, state, published };
}

function setup(published = [newKey()], options: { minRefetchMs?: number } = {}) {
  const clock = { now: Date.parse('2026-03-01T12:00:00Z') };
  const auth = fakeAuthService(published);
  const verifier = createJwksVerifier({
    sidecar: auth.sidecar,
    logger: createLogger({ name: 'test', level: 'silent' }),
    issuer: ISSUER,
    audience: AUDIENCE,
    cacheMs: 600_000,
    minRefetchMs: options.minRefetchMs ?? 5_000,
    clockToleranceSeconds: 5,
    now: () => clock.now,
  });
  const sign = (key: TestKey = published[0]!, claims: Record<string, unknown> = {}, opts: jwt.SignOptions = {}) =>
    jwt.sign({ sid: 'session-1', iat: Math.floor(clock.now / 1000), ...claims }, key.privateKey, {
      algorithm: 'ES256',
      keyid: key.kid,
      issuer: ISSUER,
      audience: AUDIENCE,
      subject: 'user-1',
      jwtid: randomUUID(),
      expiresIn: 900,
      ...opts,
    });
  return { verifier, auth, clock, sign, key: published[0]! };
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

async function refusal(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  return isAppError(error) ? { code: error.code, status: error.status } : error;
}

const UNAUTHENTICATED = { code: 'unauthenticated', status: 401 };

test('when a token is signed by a published key with the right claims, it verifies to its user and session', async (t) => {
  const { verifier, sign } = setup();
  t.deepEqual(await verifier.verify(sign()), { userId: 'user-1', sessionId: 'session-1' });
});

test('when tokens keep coming, the JWKS is fetched once and served from the cache', async (t) => {
  const { verifier, sign, auth } = setup();
  for (let i = 0; i < 5; i++) await verifier.verify(sign());
  t.is(auth.state.fetches, 1);
});

test('when a token says alg none, it is refused', async (t) => {
  const { verifier, key } = setup();
  const payload = { sub: 'user-1', iss: ISSUER, aud: AUDIENCE, exp: 4_102_444_800 };
  for (const header of [
    { alg: 'none', typ: 'JWT' },
    { alg: 'none', kid: key.kid },
    { alg: 'NONE', kid: key.kid },
  ]) {
    t.deepEqual(await refusal(verifier.verify(`${b64(header)}.${b64(payload)}.`)), UNAUTHENTICATED);
  }
});

test('when a token is HS256-signed with the public key as secret (algorithm confusion), it is refused', async (t) => {
  const { verifier, key, auth } = setup();
  const header = b64({ alg: 'HS256', typ: 'JWT', kid: key.kid });
  const payload = b64({ sub: 'user-1', iss: ISSUER, aud: AUDIENCE, exp: 4_102_444_800 });
  const secret = createPublicKey(key.privateKey).export({ type: 'spki', format: 'pem' });
  const signature = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url');
  t.deepEqual(await refusal(verifier.verify(`${header}.${payload}.${signature}`)), UNAUTHENTICATED);
  t.is(auth.state.fetches, 0);
});

test('when a token is signed by a key that is not published but claims a published kid, it is refused', async (t) => {
  const { verifier, key, sign } = setup();
  const forger = { kid: key.kid, privateKey: newKey().privateKey };
  t.deepEqual(await refusal(verifier.verify(sign(forger))), UNAUTHENTICATED);
});

test('when a token has been tampered with after signing, it is refused', async (t) => {
  const { verifier, sign } = setup();
  const [header, , signature] = sign().split('.');
  const payload = b64({ sub: 'someone-else', iss: ISSUER, aud: AUDIENCE, exp: 4_102_444_800, iat: 1 });
  t.deepEqual(await refusal(verifier.verify(`${header}.${payload}.${signature}`)), UNAUTHENTICATED);
});

test('when the issuer or the audience is wrong, the token is refused', async (t) => {
  const { verifier, sign } = setup();
  t.deepEqual(await refusal(verifier.verify(sign(undefined, {}, { issuer: 'someone-else' }))), UNAUTHENTICATED);
  t.deepEqual(await refusal(verifier.verify(sign(undefined, {}, { audience: 'another-api' }))), UNAUTHENTICATED);
});

test('when the token has expired (beyond the clock tolerance), it is refused; within it, accepted', async (t) => {
  const { verifier, sign, clock } = setup();
  const token = sign();
  clock.now += 903_000;
  t.deepEqual(await verifier.verify(token), { userId: 'user-1', sessionId: 'session-1' });
  clock.now += 3_000;
  t.deepEqual(await refusal(verifier.verify(token)), UNAUTHENTICATED);
});

test('when a token has no subject or no expiry, it is refused', async (t) => {
  const { verifier, key, clock } = setup();
  const noSub = jwt.sign({ iat: Math.floor(clock.now / 1000) }, key.privateKey, {
    algorithm: 'ES256',
    keyid: key.kid,
    issuer: ISSUER,
    audience: AUDIENCE,
    expiresIn: 900,
  });
  const noExp = jwt.sign({ iat: Math.floor(clock.now / 1000) }, key.privateKey, {
    algorithm: 'ES256',
    keyid: key.kid,
    issuer: ISSUER,
    audience: AUDIENCE,
    subject: 'u',
  });
  t.deepEqual(await refusal(verifier.verify(noSub)), UNAUTHENTICATED);
  t.deepEqual(await refusal(verifier.verify(noExp)), UNAUTHENTICATED);
});

test('when a key is added (rotation), a token with its unknown kid makes the JWKS be fetched again and verifies', async (t) => {
  const { verifier, sign, auth } = setup();
  await verifier.verify(sign());
  const rotated = newKey();
  auth.published.push(rotated);
  t.deepEqual(await verifier.verify(sign(rotated)), { userId: 'user-1', sessionId: 'session-1' });
  t.is(auth.state.fetches, 2);
  t.deepEqual(await verifier.verify(sign()), { userId: 'user-1', sessionId: 'session-1' });
});

test('when many tokens carry unknown kids, the JWKS is fetched at most once per refetch interval', async (t) => {
  const { verifier, sign, auth, clock } = setup(undefined, { minRefetchMs: 5_000 });
  await verifier.verify(sign());
  for (let i = 0; i < 20; i++) {
    t.deepEqual(await refusal(verifier.verify(sign({ kid: randomUUID(), privateKey: newKey().privateKey }))), UNAUTHENTICATED);
  }
  t.is(auth.state.fetches, 2);
  clock.now += 5_000;
  await refusal(verifier.verify(sign({ kid: randomUUID(), privateKey: newKey().privateKey })));
  t.is(auth.state.fetches, 3);
});

test('when the auth-service is down, known keys keep verifying; with no key known, the answer is 503', async (t) => {
  const { verifier, sign, auth, clock } = setup();
  await verifier.verify(sign());
  auth.state.down = true;
  clock.now += 700_000;
  t.deepEqual(await verifier.verify(sign()), { userId: 'user-1', sessionId: 'session-1' });

  const cold = setup();
  cold.auth.state.down = true;
  t.deepEqual(await refusal(cold.verifier.verify(cold.sign())), { code: 'unavailable', status: 503 });
});

test('when the token is not a JWT at all, it is refused', async (t) => {
  const { verifier } = setup();
  for (const token of ['abc', 'a.b.c', `${b64({ alg: 'ES256' })}.${b64('str')}.sig`]) {
    t.deepEqual(await refusal(verifier.verify(token)), UNAUTHENTICATED);
  }
});

test('when a verified token is presented again, it is answered from memory until it expires or its key is withdrawn', async (t) => {
  const { verifier, sign, auth, clock } = setup();
  const token = sign();
  t.deepEqual(await verifier.verify(token), { userId: 'user-1', sessionId: 'session-1' });
  t.deepEqual(await verifier.verify(token), { userId: 'user-1', sessionId: 'session-1' });
  // Near variants of a remembered token are other strings: each is verified, and refused.
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const forged = b64({ sub: 'user-2', iss: ISSUER, aud: AUDIENCE, exp: Math.floor(clock.now / 1000) + 900 });
  for (const variant of [`${header}.${forged}.${signature}`, `${header}.${payload}.`, `${token}A`, `${header}.${payload}.${signature.slice(0, -2)}`]) {
    t.deepEqual(await refusal(verifier.verify(variant)), UNAUTHENTICATED, variant);
  }
  // Past its expiry (and the tolerance), the remembered token is refused.
  clock.now += 906_000;
  t.deepEqual(await refusal(verifier.verify(token)), UNAUTHENTICATED);
  // A key that is no longer published: its remembered tokens are refused once the keys are fetched again.
  const fresh = sign();
  t.deepEqual(await verifier.verify(fresh), { userId: 'user-1', sessionId: 'session-1' });
  auth.published.splice(0, 1, newKey());
  clock.now += 600_000;
  t.deepEqual(await refusal(verifier.verify(fresh)), UNAUTHENTICATED);
});
