import test from 'ava';
import { isAppError, type Sidecar } from '@chat/platform';
import { createDaprUserAccounts } from '../../../src/adapters/dapr/auth-service.js';

/** The auth-service answering `auth/me` with `answer` (the JSON of a 2xx). */
const answering = (answer: unknown) => ({ invokeJson: async () => answer }) as unknown as Sidecar;

test('when the auth-service answers auth/me with 2xx but without the user, the account is 503 unavailable, never a TypeError', async (t) => {
  const broken: unknown[] = [
    undefined,
    null,
    'user',
    [],
    {},
    { user: null },
    { user: 'me' },
    { user: { username: 'me' } },
    { user: { username: 7, createdAt: 'x' } },
  ];
  for (const answer of broken) {
    const error = await t.throwsAsync(createDaprUserAccounts(answering(answer), { timeoutMs: 1_000 }).account('u1', 'r1'));
    t.true(isAppError(error), JSON.stringify(answer));
    t.like(error, { code: 'unavailable', status: 503 }, JSON.stringify(answer));
  }
  const user = { username: 'me', createdAt: '2024-01-01T00:00:00.000Z' };
  t.deepEqual(await createDaprUserAccounts(answering({ user: { ...user, id: 'u1' } }), { timeoutMs: 1_000 }).account('u1', 'r1'), user);
});
