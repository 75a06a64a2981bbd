/**
 * The state-store contract the services rely on, checked against the real
 * `statestore` component of the profile under test (PROFILE=redis|postgres|
 * sqlite|mysql): optimistic concurrency (ETags, first-write) surfacing as
 * StateConflictError whatever status the store answers with, all-or-nothing
 * transactions, TTL, bulk reads. One app-less sidecar; the sidecar client
 * the services use. Serial, and only three racers: on a profile whose
 * resiliency retries and breaks on state failures (redis), lost races count
 * as failures, and a burst of them would open the breaker.
 */
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { COMPONENTS, StateConflictError, createSidecar, type Sidecar } from '@chat/platform';
import { startPlatform, waitFor, type Platform } from '@chat/devkit/testing';

let platform: Platform;
let sidecar: Sidecar;
const store = COMPONENTS.stateStore;

test.before(async () => {
  platform = await startPlatform({ services: [], callerSidecars: ['chat-service'] });
  sidecar = createSidecar({
    httpPort: platform.callerSidecars['chat-service']!.daprHttpPort,
    apiToken: platform.runEnv.tokens('chat-service').daprApiToken,
  });
});
test.after.always(async () => {
  await platform?.stop();
});

const key = (what: string) => `conformance:${what}:${randomUUID()}`;

/**
 * contrib's Redis store runs a transaction as MULTI/EXEC of one script per
 * operation, and Redis has no rollback: when one operation loses its ETag
 * race the others are still written (and written again on each retry of the
 * resiliency policy). Measured with daprd 1.18; docs/profiles.md. The other
 * stores roll back. Known and reported, so it is `failing` on Redis only.
 */
const profile = process.env['PROFILE'] ?? 'redis';
const atomicTest = profile === 'redis' ? test.serial.failing : test.serial;

test.serial('when a key is claimed with first-write twice, the second claim is a StateConflictError and the first value stays', async (t) => {
  const k = key('claim');
  await sidecar.state.save(store, k, { owner: 'first' }, { firstWrite: true });
  await t.throwsAsync(sidecar.state.save(store, k, { owner: 'second' }, { firstWrite: true }), { instanceOf: StateConflictError });
  t.like(await sidecar.state.get(store, k), { value: { owner: 'first' } });
});

test.serial('when several first-writes race for one new key, exactly one wins and the others are StateConflictErrors', async (t) => {
  const k = key('race');
  const results = await Promise.allSettled(Array.from({ length: 3 }, (_, i) => sidecar.state.save(store, k, { writer: i }, { firstWrite: true })));
  const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
  t.is(won.length, 1, JSON.stringify(results.map((r) => (r.status === 'rejected' ? String(r.reason) : 'ok'))));
  t.true(results.every((r) => r.status === 'fulfilled' || r.reason instanceof StateConflictError));
  t.like(await sidecar.state.get(store, k), { value: { writer: won[0] } });
});

test.serial('when a write carries a stale ETag, it is a StateConflictError; with the current ETag it succeeds and the ETag changes', async (t) => {
  const k = key('etag');
  await sidecar.state.save(store, k, { n: 1 });
  const first = await sidecar.state.get<{ n: number }>(store, k);
  await sidecar.state.save(store, k, { n: 2 }, { etag: first!.etag });
  await t.throwsAsync(sidecar.state.save(store, k, { n: 3 }, { etag: first!.etag }), { instanceOf: StateConflictError });
  const second = await sidecar.state.get<{ n: number }>(store, k);
  t.is(second!.value.n, 2);
  t.truthy(second!.etag);
  t.not(second!.etag, first!.etag);
});

test.serial('when a delete carries a stale ETag, it is a StateConflictError and the key stays', async (t) => {
  const k = key('delete');
  await sidecar.state.save(store, k, 'v1');
  const stale = (await sidecar.state.get<string>(store, k))!.etag;
  await sidecar.state.save(store, k, 'v2');
  await t.throwsAsync(sidecar.state.delete(store, k, stale), { instanceOf: StateConflictError });
  t.like(await sidecar.state.get(store, k), { value: 'v2' });
  await sidecar.state.delete(store, k, (await sidecar.state.get<string>(store, k))!.etag);
  t.is(await sidecar.state.get(store, k), undefined);
});

atomicTest('when one operation of a transaction loses its ETag race, none of the operations apply', async (t) => {
  const head = key('head');
  const other = key('other');
  await sidecar.state.save(store, head, { lastSeq: 1 });
  const stale = (await sidecar.state.get(store, head))!.etag;
  await sidecar.state.save(store, head, { lastSeq: 2 });
  await t.throwsAsync(
    sidecar.state.transaction(store, [
      { operation: 'upsert', key: other, value: 'written' },
      { operation: 'upsert', key: head, value: { lastSeq: 3 }, etag: stale },
    ]),
    { instanceOf: StateConflictError },
  );
  t.is(await sidecar.state.get(store, other), undefined);
  t.like(await sidecar.state.get(store, head), { value: { lastSeq: 2 } });
});

atomicTest('when a transaction first-writes a key that exists, none of its operations apply', async (t) => {
  const claim = key('tx-claim');
  const other = key('tx-other');
  await sidecar.state.save(store, claim, 'taken', { firstWrite: true });
  await t.throwsAsync(
    sidecar.state.transaction(store, [
      { operation: 'upsert', key: other, value: 'written' },
      { operation: 'upsert', key: claim, value: 'mine', firstWrite: true },
    ]),
    { instanceOf: StateConflictError },
  );
  t.is(await sidecar.state.get(store, other), undefined);
  t.like(await sidecar.state.get(store, claim), { value: 'taken' });
});

test.serial('when a transaction holds current ETags, all of its operations apply at once', async (t) => {
  const head = key('ok-head');
  const message = key('ok-msg');
  const gone = key('ok-gone');
  await sidecar.state.save(store, head, { lastSeq: 0 });
  await sidecar.state.save(store, gone, 'to delete');
  const etag = (await sidecar.state.get(store, head))!.etag;
  await sidecar.state.transaction(store, [
    { operation: 'upsert', key: head, value: { lastSeq: 1 }, etag },
    { operation: 'upsert', key: message, value: { seq: 1, body: 'héllo ✓' }, firstWrite: true },
    { operation: 'delete', key: gone },
  ]);
  const read = await sidecar.state.getBulk(store, [head, message, gone]);
  t.is(read.size, 2);
  t.like(read.get(head), { value: { lastSeq: 1 } });
  t.like(read.get(message), { value: { seq: 1, body: 'héllo ✓' } });
  t.false(read.has(gone));
});

test.serial('when a bulk read asks for present and missing keys, it answers the present ones with ETags that a write accepts', async (t) => {
  const keys = [key('bulk-a'), key('bulk-b'), key('bulk-missing')];
  await sidecar.state.save(store, keys[0]!, { v: 'a' });
  await sidecar.state.save(store, keys[1]!, { v: 'b' });
  const found = await sidecar.state.getBulk<{ v: string }>(store, keys);
  t.deepEqual(new Set(found.keys()), new Set([keys[0], keys[1]]));
  t.like(found.get(keys[0]!), { value: { v: 'a' } });
  t.like(found.get(keys[1]!), { value: { v: 'b' } });
  await sidecar.state.save(store, keys[0]!, { v: 'a2' }, { etag: found.get(keys[0]!)!.etag });
  t.like(await sidecar.state.get(store, keys[0]!), { value: { v: 'a2' } });
});

test.serial('when a key is written with a TTL, it reads back until it expires and then reads as absent', async (t) => {
  const k = key('ttl');
  await sidecar.state.save(store, k, 'short-lived', { ttlSeconds: 1 });
  t.like(await sidecar.state.get(store, k), { value: 'short-lived' });
  await waitFor(async () => (await sidecar.state.get(store, k)) === undefined, { what: `${k} to expire`, timeoutMs: 10_000 });
  t.pass();
});

test.serial('when a key claimed with a TTL has expired, a first-write claims it again (MySQL: once its cleanup removed the row)', async (t) => {
  const k = key('ttl-claim');
  await sidecar.state.save(store, k, 'first', { firstWrite: true, ttlSeconds: 1 });
  // MySQL refuses the claim ("Duplicate entry", a StateConflictError) until
  // its cleanup (cleanupInterval, 10 s in components/mysql) deletes the row.
  await waitFor(
    async () => {
      try {
        await sidecar.state.save(store, k, 'second', { firstWrite: true });
        return true;
      } catch (error) {
        if (error instanceof StateConflictError) return false;
        throw error;
      }
    },
    { what: `${k} to be claimable again`, timeoutMs: 30_000, intervalMs: 500 },
  );
  t.like(await sidecar.state.get(store, k), { value: 'second' });
});
