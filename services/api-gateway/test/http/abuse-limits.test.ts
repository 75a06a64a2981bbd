import type { IncomingMessage } from 'node:http';
import test from 'ava';
import { AppError } from '@chat/platform';
import { clientAddressResolver, parseTrustedProxies } from '../../src/http/client-address.js';
import { createRateLimits, parseRatePolicies } from '../../src/http/rate-limits.js';

const request = (remoteAddress: string, forwardedFor?: string | string[]) =>
  ({ socket: { remoteAddress }, headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor } }) as unknown as IncomingMessage;

test('when no proxy is trusted, X-Forwarded-For is ignored in every form', (t) => {
  const of = clientAddressResolver(undefined);
  t.is(of(request('198.51.100.7', '203.0.113.1')), '198.51.100.7');
  t.is(of(request('::ffff:198.51.100.7', ['1.1.1.1', '2.2.2.2'])), '198.51.100.7');
  t.is(of(request('2001:db8::1', '203.0.113.1')), '2001:db8::1');
});

test('when the peer is a trusted proxy, the client is the right-most untrusted hop; what the client wrote further left does not count', (t) => {
  const of = clientAddressResolver(parseTrustedProxies('10.0.0.0/8, 192.0.2.10, fd00::/8'));
  t.is(of(request('10.1.2.3', '203.0.113.9')), '203.0.113.9');
  t.is(of(request('10.1.2.3', '6.6.6.6, 203.0.113.9, 10.9.9.9')), '203.0.113.9', 'a spoofed left-most entry is ignored');
  t.is(of(request('10.1.2.3', ['6.6.6.6', '203.0.113.9'])), '203.0.113.9', 'repeated headers are one list');
  t.is(of(request('192.0.2.10', 'not-an-ip, 203.0.113.9')), '203.0.113.9');
  t.is(of(request('10.1.2.3', '203.0.113.9, garbage')), '10.1.2.3', 'a malformed hop stops at the proxy that appended it');
  t.is(of(request('10.1.2.3')), '10.1.2.3', 'no header: the proxy itself');
  t.is(of(request('198.51.100.7', '203.0.113.9')), '198.51.100.7', 'an untrusted peer cannot forward for anyone');
  t.is(of(request('fd00::5', '2001:db8::7')), '2001:db8::7');
});

test('when TRUSTED_PROXIES or RATE_LIMITS is malformed, start-up fails with the reason', (t) => {
  for (const bad of ['10.0.0.0/33', 'example.com', '10.0.0.1/x', '::1/129']) t.throws(() => parseTrustedProxies(bad), undefined, bad);
  for (const bad of [
    '[]',
    '{"nope":{}}',
    '{"send":{"everyone":{"rate":1,"burst":1}}}',
    '{"send":{"user":{"rate":0,"burst":1}}}',
    '{"send":{"user":{"rate":1}}}',
    '{"send":{"user":{"rate":1,"burst":1,"x":1}}}',
  ]) {
    t.throws(() => parseRatePolicies(bad), undefined, bad);
  }
  t.deepEqual(parseRatePolicies('{"send":{"user":{"rate":100,"burst":200}}}'), { send: { user: { rate: 100, burst: 200 } } });
});

test('when a policy is used up, the request is refused with rate_limited and a whole-second Retry-After; per user and per address apart', async (t) => {
  let now = 0;
  const limits = createRateLimits({
    clientAddress: (req) => req.socket.remoteAddress ?? '',
    now: () => now,
    overrides: { send: { user: { rate: 1, burst: 2 } } },
  });
  const send = limits.limit('send');
  const call = (userId: string, address = '198.51.100.1') => send({ state: { userId }, req: request(address) } as never, async () => undefined);
  await call('u1');
  await call('u1');
  const error = await t.throwsAsync(() => call('u1'));
  t.true(error instanceof AppError);
  t.like(error, { code: 'rate_limited', retryAfterSeconds: 1 });
  await t.notThrowsAsync(() => call('u2'), 'another user has a bucket of their own');
  now += 1_000;
  await t.notThrowsAsync(() => call('u1'), 'a token flows back after a second');

  const login = limits.limit('login');
  const attempt = (address: string) => login({ state: {}, req: request(address) } as never, async () => undefined);
  for (let i = 0; i < 10; i++) await attempt('203.0.113.5');
  await t.throwsAsync(() => attempt('203.0.113.5'));
  await t.throwsAsync(() => attempt('::ffff:203.0.113.5'), { message: /Too many/ }, 'the same address, IPv4-mapped');
  await t.notThrowsAsync(() => attempt('203.0.113.6'));
  for (let i = 0; i < 10; i++) await attempt(`2001:db8:1:2::${i + 1}`);
  await t.throwsAsync(() => attempt('2001:db8:1:2:ffff::1'), undefined, 'IPv6 counts per /64');
});
