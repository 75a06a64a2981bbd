import test from 'ava';
import { ApiError, describeError } from '../../src/api/errors.js';

const answer = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  ApiError.fromResponse(new Response(typeof body === 'string' ? body : JSON.stringify(body), { status, headers }));

test('when the server answers 429 with Retry-After, the sentence says how long to wait', async (t) => {
  const seconds = await answer(429, { error: { code: 'rate_limited', message: 'Too many requests' }, requestId: 'r' }, { 'retry-after': '12' });
  t.is(seconds.retryAfterSeconds, 12);
  t.is(describeError(seconds), 'Too many attempts. Please wait 12 seconds and try again.');
  const minutes = await answer(429, { error: { code: 'rate_limited', message: 'Too many requests' }, requestId: 'r' }, { 'retry-after': '900' });
  t.is(describeError(minutes), 'Too many attempts. Please wait 15 minutes and try again.');
});

test('when a field is refused, the sentence names the field and the reason', async (t) => {
  const error = await answer(400, {
    error: { code: 'validation_failed', message: 'The request is not valid', details: [{ path: 'body.username', message: 'must be at least 3 characters' }] },
    requestId: 'r',
  });
  t.is(describeError(error), 'Username: must be at least 3 characters.');
});

test("when the answer is not the contract's shape, the error still says what kind of failure it is", async (t) => {
  const error = await answer(502, '<html>Bad gateway</html>');
  t.is(error.code, 'unavailable');
  t.true(error.transient);
  t.regex(describeError(error), /unavailable/);
});

test("a conflict keeps the server's own message, which says what is taken", async (t) => {
  const error = await answer(409, { error: { code: 'conflict', message: 'This username is already taken' }, requestId: 'r' });
  t.false(error.transient);
  t.is(describeError(error), 'This username is already taken');
});
