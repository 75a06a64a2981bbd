import test from 'ava';
import { createLogger } from '@chat/platform';
import { PresenceStore } from '../../src/realtime/presence.js';
import { fakePresenceRecords } from '../helpers/fake-presence-records.js';

const logger = createLogger({ name: 'test', level: 'silent' });

function replicas(now: () => number) {
  const records = fakePresenceRecords(now);
  const make = (replicaId: string) => new PresenceStore({ records, logger, ttlSeconds: 30, replicaId, now });
  return { a: make('a'), b: make('b') };
}

test('when a user connects on one replica then another, online is announced once; offline only when the last replica lets go', async (t) => {
  const { a, b } = replicas(Date.now);
  t.is(await a.reconcile('u1', () => true), 'online');
  t.is(await b.reconcile('u1', () => true), undefined);
  t.deepEqual(await a.online(['u1', 'u2']), new Set(['u1']));
  t.is(await a.reconcile('u1', () => false), undefined);
  t.deepEqual(await b.online(['u1']), new Set(['u1']));
  t.is(await b.reconcile('u1', () => false), 'offline');
  t.deepEqual(await a.online(['u1']), new Set());
});

test('when a replica crashes, its users count as offline once their entry is older than the ttl', async (t) => {
  let now = 1_000_000;
  const { a, b } = replicas(() => now);
  await a.reconcile('u1', () => true);
  now += 29_000;
  t.deepEqual(await b.online(['u1']), new Set(['u1']));
  now += 2_000;
  t.deepEqual(await b.online(['u1']), new Set());
  t.is(await b.reconcile('u1', () => true), 'online', 'the crashed entry no longer counts');
});

test('when the heartbeat runs, the entry is refreshed and the user stays online past the first ttl', async (t) => {
  let now = 0;
  const { a } = replicas(() => now);
  await a.reconcile('u1', () => true);
  for (let i = 0; i < 6; i++) {
    now += 10_000;
    t.is(await a.reconcile('u1', () => true), undefined);
  }
  t.deepEqual(await a.online(['u1']), new Set(['u1']));
});

test('when two replicas write the same user at once, both entries land (ETag races are retried)', async (t) => {
  const { a, b } = replicas(Date.now);
  const changes = await Promise.all([a.reconcile('u1', () => true), b.reconcile('u1', () => true)]);
  t.deepEqual(changes.filter(Boolean), ['online']);
  t.is(await a.reconcile('u1', () => false), undefined);
  t.is(await b.reconcile('u1', () => false), 'offline');
});

test('when connects and disconnects of one user burst, writes run in order and settle on the final state', async (t) => {
  const { a } = replicas(Date.now);
  let local = 0;
  const results = await Promise.all([
    (local++, a.reconcile('u1', () => local > 0)),
    (local--, a.reconcile('u1', () => local > 0)),
    (local++, a.reconcile('u1', () => local > 0)),
  ]);
  t.deepEqual(await a.online(['u1']), new Set(['u1']));
  t.deepEqual(results.filter(Boolean), ['online']);
});
