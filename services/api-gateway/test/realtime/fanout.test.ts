import test from 'ava';
import { createLogger, FANOUT_TOPICS, type CloudEvent, type FanoutEnvelope } from '@chat/platform';
import { RecentKeys, fanoutSubscriptions, type FanoutHandlers } from '../../src/realtime/fanout.js';

const logger = createLogger({ name: 'test', level: 'silent' });

function setup(startedAt: number) {
  const handled: Array<[string, FanoutEnvelope]> = [];
  // Every topic's handler records what it was given.
  const handlers = Object.fromEntries(
    Object.values(FANOUT_TOPICS).map((topic) => [topic, (_data: unknown, envelope: FanoutEnvelope) => void handled.push([topic, envelope])]),
  ) as FanoutHandlers;
  const subscriptions = fanoutSubscriptions({ startedAt, logger, handlers });
  const deliver = (topic: string, data: unknown) => {
    const sub = subscriptions.find((s) => s.topic === topic)!;
    const event: CloudEvent = { id: 'e', source: 'chat-service', type: 'com.dapr.event.sent', topic, pubsubname: 'fanout', data };
    return sub.handle(event, logger);
  };
  return { subscriptions, handled, deliver };
}

test('when the gateway subscribes, it asks for every fanout topic on the fanout component, on sidecar-only routes', (t) => {
  const { subscriptions } = setup(0);
  t.deepEqual(
    subscriptions.map(({ pubsubname, topic, route }) => ({ pubsubname, topic, route })),
    [
      'messages.created',
      'message.updated',
      'message.deleted',
      'room.member_joined',
      'room.member_left',
      'room.updated',
      'read.updated',
      'typing',
      'presence',
      'profile',
    ].map((topic) => ({ pubsubname: 'fanout', topic, route: `/events/fanout/${topic}` })),
  );
});

test('when an event is older than the replica start, it is acknowledged and never relayed', async (t) => {
  const startedAt = Date.parse('2026-01-01T00:00:10Z');
  const { handled, deliver } = setup(startedAt);
  t.is(await deliver('read.updated', { roomId: 'r', occurredAt: '2026-01-01T00:00:09.999Z', data: { roomId: 'r', userId: 'u', seq: 1 } }), 'SUCCESS');
  t.is(await deliver('read.updated', { roomId: 'r', occurredAt: '2026-01-01T00:00:10.000Z', data: { roomId: 'r', userId: 'u', seq: 2 } }), 'SUCCESS');
  t.deepEqual(
    handled.map(([, e]) => (e.data as { seq: number }).seq),
    [2],
  );
});

test('when the same event is delivered twice, it is relayed once', async (t) => {
  const { handled, deliver } = setup(0);
  const envelope = { roomId: 'r', occurredAt: new Date().toISOString(), data: { roomId: 'r', userId: 'u', seq: 1 } };
  await deliver('read.updated', envelope);
  await deliver('read.updated', { ...envelope, actorId: 'u' });
  await deliver('read.updated', { ...envelope, data: { roomId: 'r', userId: 'u', seq: 2 } });
  t.is(handled.length, 2);
});

test('when a delivery is not a fanout envelope, it is refused as malformed (the sidecar drops it)', async (t) => {
  const { handled, deliver } = setup(0);
  const error = await t.throwsAsync(deliver('typing', { roomId: 1, data: 'x' }));
  t.like(error, { code: 'validation_failed' });
  t.is(handled.length, 0);
});

test('when recent keys pass their ttl or the bound, the oldest are forgotten', (t) => {
  const keys = new RecentKeys(1_000, 2);
  t.true(keys.add('a', 0));
  t.false(keys.add('a', 500));
  t.true(keys.add('b', 600));
  t.true(keys.add('c', 700));
  t.is(keys.size, 2);
  t.true(keys.add('a', 800), 'evicted by the bound');
  t.true(keys.add('c', 1_800), 'past the ttl');
});
