import test from 'ava';
import { RateLimiter } from '../../src/realtime/rate-limiter.js';

test('when a user sends a burst of 20, all pass; the 21st is refused with the wait until the next token', (t) => {
  let now = 1_000_000;
  const limiter = new RateLimiter({ ratePerSecond: 10, burst: 20, now: () => now });
  const results = Array.from({ length: 21 }, () => limiter.take('alice'));
  t.true(results.slice(0, 20).every((r) => r.ok));
  t.deepEqual(results[20], { ok: false, retryAfterMs: 100 });
  now += 100;
  t.deepEqual(limiter.take('alice'), { ok: true });
  t.deepEqual(limiter.take('bob'), { ok: true }, 'each user has a bucket of their own');
});

test('when a user keeps sending at 10 per second, every send passes after the burst is spent', (t) => {
  let now = 0;
  const limiter = new RateLimiter({ ratePerSecond: 10, burst: 20, now: () => now });
  for (let i = 0; i < 20; i++) limiter.take('alice');
  const steady = Array.from({ length: 50 }, () => {
    now += 100;
    return limiter.take('alice').ok;
  });
  t.true(steady.every(Boolean));
});

test('when buckets are full again, prune forgets them', (t) => {
  let now = 0;
  const limiter = new RateLimiter({ ratePerSecond: 10, burst: 20, now: () => now });
  limiter.take('alice');
  limiter.take('bob');
  limiter.prune();
  t.is(limiter.size, 2);
  now += 1_000;
  limiter.prune();
  t.is(limiter.size, 0);
});
