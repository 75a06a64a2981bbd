/**
 * How the sidecar client maps failed state writes: what each store's daprd
 * answered for a lost optimistic-concurrency race (measured with daprd 1.18
 * and contrib v1.18 against the real stores of each profile; docs/profiles.md)
 * must become StateConflictError, and a store that is down must not.
 */
import test from 'ava';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AppError, StateConflictError, createSidecar } from '../../src/index.js';

/** A stand-in sidecar that answers every state write with one status and body. */
async function sidecarAnswering(status: number, body: unknown) {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const sidecar = createSidecar({ httpPort: (server.address() as AddressInfo).port, apiToken: 'token' });
  return { sidecar, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const lostRaces: Array<[string, number, { errorCode: string; message: string }]> = [
  [
    'PostgreSQL v2, first-write on an existing key',
    500,
    { errorCode: 'ERR_STATE_SAVE', message: 'failed saving state in state store statestore: no item was updated' },
  ],
  [
    'PostgreSQL v2, transaction with a stale ETag',
    500,
    { errorCode: 'ERR_STATE_TRANSACTION', message: 'error while executing state transaction: possible etag mismatch. error from state store' },
  ],
  [
    'SQLite, first-write on an existing key',
    409,
    { errorCode: 'ERR_STATE_SAVE', message: 'failed saving state in state store statestore: possible etag mismatch. error from state store' },
  ],
  [
    'MySQL, first-write on a key whose TTL passed but whose row is not cleaned up (or a racing insert)',
    500,
    {
      errorCode: 'ERR_STATE_SAVE',
      message: "failed saving state in state store statestore: Error 1062 (23000): Duplicate entry 'chat-service||presence:u1' for key 'PRIMARY'",
    },
  ],
  [
    'MySQL, transaction first-write on an existing key',
    500,
    {
      errorCode: 'ERR_STATE_TRANSACTION',
      message: 'error while executing state transaction: possible etag mismatch. error from state store: rows affected error: no rows match given key and eTag',
    },
  ],
];

for (const [what, status, body] of lostRaces) {
  test(`when the sidecar answers ${status} ${body.errorCode} for ${what}, the write raises StateConflictError`, async (t) => {
    const { sidecar, close } = await sidecarAnswering(status, body);
    try {
      await t.throwsAsync(sidecar.state.save('statestore', 'k', 'v', { firstWrite: true }), { instanceOf: StateConflictError });
      await t.throwsAsync(sidecar.state.transaction('statestore', [{ operation: 'upsert', key: 'k', value: 'v', firstWrite: true }]), {
        instanceOf: StateConflictError,
      });
    } finally {
      await close();
    }
  });
}

test('when the store itself fails (MySQL down), the write raises unavailable, not a conflict', async (t) => {
  const { sidecar, close } = await sidecarAnswering(500, {
    errorCode: 'ERR_STATE_SAVE',
    message: 'failed saving state in state store statestore: dial tcp 127.0.0.1:3306: connect: connection refused',
  });
  try {
    const error = await t.throwsAsync(sidecar.state.save('statestore', 'k', 'v'));
    t.false(error instanceof StateConflictError);
    t.true(error instanceof AppError);
    t.is((error as AppError).code, 'unavailable');
  } finally {
    await close();
  }
});

test('when MySQL refuses a write transiently (1467 on concurrent inserts), the write is tried again and succeeds', async (t) => {
  let calls = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      calls++;
      if (calls === 1) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            errorCode: 'ERR_STATE_SAVE',
            message: 'failed saving state in state store statestore: Error 1467 (HY000): Failed to read auto-increment value from storage engine',
          }),
        );
      } else {
        res.writeHead(204).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  const sidecar = createSidecar({ httpPort: (server.address() as AddressInfo).port, apiToken: 'token' });
  await sidecar.state.save('statestore', 'k', { v: 1 }, { firstWrite: true });
  t.is(calls, 2);
});

test('when a store stays down, the write is tried three times at most and answers unavailable', async (t) => {
  const { sidecar, close } = await sidecarAnswering(500, { errorCode: 'ERR_STATE_SAVE', message: 'Error 1213 (40001): Deadlock found' });
  t.teardown(close);
  const error = await t.throwsAsync(sidecar.state.save('statestore', 'k', 1));
  t.like(error, { code: 'unavailable' });
});
