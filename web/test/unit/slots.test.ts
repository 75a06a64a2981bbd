import test from 'ava';
import { slots } from '../../src/state/slots.js';

/** A task the test finishes (or fails) by hand, recording when it started. */
function manualTask(started: string[], name: string) {
  let finish!: () => void;
  let fail!: (error: Error) => void;
  const done = new Promise<string>((resolve, reject) => {
    finish = () => resolve(name);
    fail = reject;
  });
  return {
    run: () => {
      started.push(name);
      return done;
    },
    finish: () => finish(),
    fail: (error: Error) => fail(error),
  };
}

const settle = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

test('no more than the slots run at once; the next waiting task starts, in order, when one ends', async (t) => {
  const inSlot = slots(2);
  const started: string[] = [];
  const tasks = ['a', 'b', 'c', 'd'].map((name) => manualTask(started, name));
  const results = tasks.map((task) => inSlot(task.run));
  await settle();
  t.deepEqual(started, ['a', 'b']);

  tasks[1]!.finish();
  await settle();
  t.deepEqual(started, ['a', 'b', 'c']);

  tasks[0]!.finish();
  await settle();
  t.deepEqual(started, ['a', 'b', 'c', 'd']);

  tasks[2]!.finish();
  tasks[3]!.finish();
  t.deepEqual(await Promise.all(results), ['a', 'b', 'c', 'd']);
});

test('a task that fails gives its slot to the next and its caller gets the error', async (t) => {
  const inSlot = slots(1);
  const started: string[] = [];
  const first = manualTask(started, 'first');
  const second = manualTask(started, 'second');
  const failed = inSlot(first.run);
  const next = inSlot(second.run);
  await settle();
  t.deepEqual(started, ['first']);

  first.fail(new Error('offline'));
  await t.throwsAsync(failed, { message: 'offline' });
  await settle();
  t.deepEqual(started, ['first', 'second']);
  second.finish();
  t.is(await next, 'second');
});
