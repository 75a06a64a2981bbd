import { EventEmitter } from 'node:events';
import test from 'ava';
import { isAppError } from '@chat/platform';
import { socketTurns } from '../../src/realtime/socket-turns.js';

/** A call that resolves when told to, recording how many such calls ran at once. */
function calls() {
  let running = 0;
  let peak = 0;
  const started: number[] = [];
  const finish: Array<() => void> = [];
  const call = (id: number) => () => {
    started.push(id);
    running++;
    peak = Math.max(peak, running);
    return new Promise<number>((resolve) =>
      finish.push(() => {
        running--;
        resolve(id);
      }),
    );
  };
  return { call, started, finishNext: () => finish.shift()?.(), peak: () => peak };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

test('when a socket asks for ten calls at once, two run at a time, in the order asked, and each gets its own answer', async (t) => {
  const socket = new EventEmitter();
  const inTurn = socketTurns(socket, 2);
  const { call, started, finishNext, peak } = calls();
  const answers = Array.from({ length: 10 }, (_, i) => inTurn(call(i)));
  await settle();
  t.deepEqual(started, [0, 1]);
  for (let i = 0; i < 10; i++) {
    finishNext();
    await settle();
  }
  t.deepEqual(await Promise.all(answers), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  t.deepEqual(started, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  t.is(peak(), 2);
});

test('when the socket disconnects, the calls still waiting are never made and fail unavailable; later calls fail at once', async (t) => {
  const socket = new EventEmitter();
  const inTurn = socketTurns(socket, 2);
  const { call, started, finishNext } = calls();
  const answers = Array.from({ length: 100 }, (_, i) => inTurn(call(i)).catch((error: unknown) => error));
  await settle();
  socket.emit('disconnect');
  finishNext();
  finishNext();
  const settled = await Promise.all(answers);
  t.deepEqual(started, [0, 1], 'only the two already running were made');
  t.deepEqual(settled.slice(0, 2), [0, 1], 'and they answer as usual');
  t.true(settled.slice(2).every((error) => isAppError(error) && error.code === 'unavailable'));
  const late = await inTurn(call(100)).catch((error: unknown) => error);
  t.true(isAppError(late) && late.code === 'unavailable');
  t.deepEqual(started, [0, 1]);
});

test('when a call fails, its turn passes to the next one', async (t) => {
  const inTurn = socketTurns(new EventEmitter(), 1);
  const failed = inTurn(() => Promise.reject(new Error('upstream down')));
  const next = inTurn(() => Promise.resolve('next'));
  await t.throwsAsync(failed, { message: 'upstream down' });
  t.is(await next, 'next');
});
