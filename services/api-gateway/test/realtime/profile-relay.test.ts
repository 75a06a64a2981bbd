import test from 'ava';
import { createLogger, type CloudEvent, type FanoutEnvelope } from '@chat/platform';
import { profileRelay } from '../../src/realtime/profile-relay.js';

const logger = createLogger({ name: 'test', level: 'silent' });
const NOW = Date.parse('2026-12-02T12:00:00Z');

const profile = (userId: string, changedSecondsAgo = 1) => ({
  userId,
  username: `${userId}_name`,
  displayName: 'Bob Builder',
  bio: '',
  avatarUrl: null,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: new Date(NOW - changedSecondsAgo * 1000).toISOString(),
  settings: { theme: 'dark', notifications: 'all' },
});

function setup(rooms: Record<string, string[]>, failing = false) {
  const published: Array<[string, FanoutEnvelope]> = [];
  const asked: string[] = [];
  const relay = profileRelay({
    chat: {
      async roomIds(caller) {
        asked.push(caller.userId);
        if (failing) throw new Error('chat-service unreachable');
        return rooms[caller.userId] ?? [];
      },
    },
    fanout: { publish: async (topic, envelope) => void published.push([topic, envelope]) },
    now: () => NOW,
  });
  const deliver = (data: unknown) => {
    const event: CloudEvent = { id: 'e1', source: 'profile-service', type: 'com.dapr.event.sent', topic: 'profile.updated', pubsubname: 'events', data };
    return relay.handle(event, logger);
  };
  return { relay, published, asked, deliver };
}

test('when a profile changes, the gateway relays its public part to every replica, for the rooms its user is in, read as that user', async (t) => {
  const { relay, published, asked, deliver } = setup({ bob: ['r1', 'r2'] });
  t.like(relay, { pubsubname: 'events', topic: 'profile.updated' });
  t.is(await deliver(profile('bob')), 'SUCCESS');
  t.deepEqual(asked, ['bob']);
  const { settings: _private, ...publicPart } = profile('bob');
  t.deepEqual(published, [['profile', { roomId: '', roomIds: ['r1', 'r2'], occurredAt: publicPart.updatedAt, data: publicPart }]]);
});

test('when the user is in no room, or the change is older than a minute, nothing is published', async (t) => {
  const { published, asked, deliver } = setup({ bob: ['r1'] });
  t.is(await deliver(profile('carol')), 'SUCCESS');
  t.is(await deliver(profile('bob', 61)), 'SUCCESS');
  t.deepEqual(asked, ['carol'], "an old change does not even read the user's rooms");
  t.deepEqual(published, []);
});

test('when chat-service cannot say whose rooms, the delivery fails and the broker retries it', async (t) => {
  const { published, deliver } = setup({}, true);
  await t.throwsAsync(deliver(profile('bob')), { message: 'chat-service unreachable' });
  t.deepEqual(published, []);
});

test('when the event is not a profile, it is refused as malformed (the sidecar drops it)', async (t) => {
  const { published, asked, deliver } = setup({ bob: ['r1'] });
  for (const bad of [null, 'bob', { ...profile('bob'), userId: 7 }, { ...profile('bob'), updatedAt: 'yesterday' }, { ...profile('bob'), avatarUrl: {} }]) {
    const error = await t.throwsAsync(deliver(bad));
    t.like(error, { code: 'validation_failed' });
  }
  t.deepEqual(asked, []);
  t.deepEqual(published, []);
});
