import test from 'ava';
import type { TypingState } from '@chat/platform';
import { waitFor } from '@chat/devkit/testing';
import { TypingRelay, TypingThrottle } from '../../src/realtime/typing.js';

test('when typing: true is not refreshed, typing: false is relayed by itself after the ttl', async (t) => {
  const seen: Array<TypingState & { at: number }> = [];
  const relay = new TypingRelay({ ttlMs: 100, emit: (s) => seen.push({ ...s, at: Date.now() }) });
  t.teardown(() => relay.close());
  const started = Date.now();
  relay.apply({ roomId: 'r', userId: 'u', typing: true });
  await waitFor(() => seen.length === 2, { what: 'the indicator to expire', timeoutMs: 2_000 });
  t.like(seen, [
    { roomId: 'r', userId: 'u', typing: true },
    { roomId: 'r', userId: 'u', typing: false },
  ]);
  t.true(seen[1]!.at - started >= 95);
  t.is(relay.active, 0);
});

test('when typing: false arrives, the expiry is cancelled and nothing more is relayed', async (t) => {
  const seen: TypingState[] = [];
  const relay = new TypingRelay({ ttlMs: 50, emit: (s) => seen.push(s) });
  t.teardown(() => relay.close());
  relay.apply({ roomId: 'r', userId: 'u', typing: true });
  relay.apply({ roomId: 'r', userId: 'u', typing: false });
  t.is(relay.active, 0);
  t.deepEqual(
    seen.map((s) => s.typing),
    [true, false],
  );
});

test('when a client repeats typing: true, only the first and a periodic refresh are published', (t) => {
  let now = 0;
  const throttle = new TypingThrottle({ refreshMs: 2_000, now: () => now });
  const published = [0, 500, 1_000, 1_999, 2_000, 2_500, 4_100].map((at) => {
    now = at;
    return throttle.shouldPublish('r', true);
  });
  t.deepEqual(published, [true, false, false, false, true, false, true]);
  t.true(throttle.shouldPublish('r', false));
  t.false(throttle.shouldPublish('r', false));
  t.deepEqual(throttle.typingRooms(), []);
});
