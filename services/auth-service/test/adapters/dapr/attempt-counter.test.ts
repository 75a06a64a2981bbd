import test from 'ava';
import { StateConflictError, type Sidecar } from '@chat/platform';
import { MemoryKv } from '../../../src/adapters/memory/stores.js';
import { createDaprAttemptCounter } from '../../../src/adapters/dapr/attempt-counter.js';

/** The state part of the sidecar client, over a MemoryKv, counting calls and able to lose ETag races. */
function fakeSidecar(now: () => number) {
  const kv = new MemoryKv(now);
  const calls = { get: 0, save: 0, delete: 0 };
  const fake = {
    conflictsToInject: 0,
    calls,
    kv,
    sidecar: {
      state: {
        async get(_store: string, key: string) {
          calls.get++;
          await new Promise((resolve) => setImmediate(resolve));
          const item = kv.get(key);
          return item ? { key, ...item } : undefined;
        },
        async save(_store: string, key: string, value: unknown, options: { etag?: string; ttlSeconds?: number } = {}) {
          calls.save++;
          if (fake.conflictsToInject > 0) {
            fake.conflictsToInject--;
            throw new StateConflictError();
          }
          kv.set(key, value, options);
        },
        async delete(_store: string, key: string, etag?: string) {
          calls.delete++;
          kv.delete(key, etag);
        },
      },
    } as unknown as Sidecar,
  };
  return fake;
}

test('when 50 attempts on one key arrive at once, exactly the limit is allowed, in a few batched writes', async (t) => {
  const now = () => 1_000_000;
  const fake = fakeSidecar(now);
  const counter = createDaprAttemptCounter(fake.sidecar, { now });
  const results = await Promise.all(Array.from({ length: 50 }, () => counter.reserve('ip:127.0.0.1', 10, 60)));
  t.is(results.filter((r) => r.allowed).length, 10);
  t.deepEqual(
    results.find((r) => !r.allowed),
    { allowed: false, retryAfterSeconds: 60 },
  );
  t.true(fake.calls.save <= 3, `${fake.calls.save} writes`);
  t.deepEqual(fake.kv.get('attempts:ip:127.0.0.1')?.value, { count: 10, resetAt: 1_060_000 });
});

test('when attempts are released or reset, the count goes down, and at zero the key is gone', async (t) => {
  const now = () => 5_000;
  const fake = fakeSidecar(now);
  const counter = createDaprAttemptCounter(fake.sidecar, { now });
  await counter.reserve('a', 5, 60);
  await counter.reserve('a', 5, 60);
  await counter.release('a');
  t.like(fake.kv.get('attempts:a')?.value, { count: 1 });
  await counter.reset('a');
  t.is(fake.kv.get('attempts:a'), undefined);
  await counter.release('never-seen');
  t.is(fake.calls.save, 3);
});

test('when another replica wins the ETag race, the update is read again and retried', async (t) => {
  const now = () => 0;
  const fake = fakeSidecar(now);
  const counter = createDaprAttemptCounter(fake.sidecar, { now });
  fake.conflictsToInject = 2;
  t.deepEqual(await counter.reserve('b', 3, 60), { allowed: true });
  t.like(fake.kv.get('attempts:b')?.value, { count: 1 });
});

test('when the window has passed, counting starts again from zero', async (t) => {
  const clock = { now: 0 };
  const fake = fakeSidecar(() => clock.now);
  const counter = createDaprAttemptCounter(fake.sidecar, { now: () => clock.now });
  t.true((await counter.reserve('c', 1, 10)).allowed);
  t.deepEqual(await counter.reserve('c', 1, 10), { allowed: false, retryAfterSeconds: 10 });
  clock.now = 10_001;
  t.true((await counter.reserve('c', 1, 10)).allowed);
});
