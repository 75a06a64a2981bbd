import test from 'ava';
import { freshReads } from '../../src/state/fresh-reads.js';

/** A read whose answer the test hands over: what the "server" held when the read began, shown when it ends. */
function fakeServer() {
  let version = 0;
  const shown: number[] = [];
  const pending: Array<{ finish: () => void; fail: (error: Error) => void }> = [];
  const read = () =>
    new Promise<void>((resolve, reject) => {
      const seen = version;
      pending.push({
        finish: () => {
          shown.push(seen);
          resolve();
        },
        fail: reject,
      });
    });
  return {
    read,
    shown,
    pending,
    change: () => void version++,
    /** Lets the promises settled so far run their callbacks. */
    settle: () => new Promise<void>((resolve) => setTimeout(resolve, 0)),
  };
}

test('a read asked for during another starts when that one ends, so its caller sees its own change', async (t) => {
  const reads = freshReads<string>();
  const server = fakeServer();
  const first = reads('rooms', server.read);
  t.is(server.pending.length, 1);
  server.change(); // a room created while the first read was under way
  let secondDone = false;
  const second = reads('rooms', server.read).then(() => (secondDone = true));
  t.is(server.pending.length, 1, 'no second read while the first is under way');

  server.pending[0]!.finish();
  await first;
  await server.settle();
  t.false(secondDone, 'the first read does not answer a call made after it began');
  t.is(server.pending.length, 2, 'the next read began once the first ended');
  server.pending[1]!.finish();
  await second;
  t.deepEqual(server.shown, [0, 1], 'the last thing shown is what the server held after the change');
});

test('calls during one read share the next: a burst costs at most two reads', async (t) => {
  const reads = freshReads<string>();
  const server = fakeServer();
  const calls = [reads('rooms', server.read)];
  for (let i = 0; i < 5; i++) calls.push(reads('rooms', server.read));
  server.pending[0]!.finish();
  await server.settle();
  t.is(server.pending.length, 2);
  server.pending[1]!.finish();
  await Promise.all(calls);
  t.is(server.pending.length, 2);
});

test('a failed read does not stop the next one, and keys do not wait on each other', async (t) => {
  const reads = freshReads<string>();
  const server = fakeServer();
  const failing = reads('members:a', server.read);
  const next = reads('members:a', server.read);
  const other = reads('members:b', server.read);
  t.is(server.pending.length, 2, 'room b read at once beside room a');
  server.pending[0]!.fail(new Error('offline'));
  await t.throwsAsync(failing, { message: 'offline' });
  await server.settle();
  t.is(server.pending.length, 3, 'the next read of room a began after the failure');
  server.pending[1]!.finish();
  server.pending[2]!.finish();
  await Promise.all([next, other]);
  t.is(server.shown.length, 2);
});

test('a call made as a read ends, before the calls queued during it start theirs, shares the read it began', async (t) => {
  const reads = freshReads<string>();
  const server = fakeServer();
  const first = reads('rooms', server.read);
  const queued = reads('rooms', server.read);
  // Runs as soon as the first read has ended, ahead of the queued calls' own start.
  const between = first.then(() => reads('rooms', server.read));
  server.pending[0]!.finish();
  await first;
  await server.settle();
  t.is(server.pending.length, 2, 'one read after the first, not two at once');
  server.pending[1]!.finish();
  await Promise.all([queued, between]);
  t.is(server.pending.length, 2);
});
