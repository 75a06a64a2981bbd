import test from 'ava';
import { accountKey, addressKey } from '../../src/domain/throttle.js';

test('when addresses are given in their usual forms, IPv4 counts per address and IPv6 per /64', (t) => {
  t.is(addressKey('203.0.113.9'), 'ip:203.0.113.9');
  t.is(addressKey('::ffff:203.0.113.9'), 'ip:203.0.113.9');
  t.is(addressKey('2001:db8:1:2:aaaa::1'), 'ip6:2001:db8:1:2::/64');
  t.is(addressKey('2001:0db8:0001:0002:ffff:0:0:9'), 'ip6:2001:db8:1:2::/64');
  t.is(addressKey('::1'), 'ip6:0:0:0:0::/64');
  t.is(addressKey(undefined), 'ip:unknown');
  t.is(addressKey('1.2.3.4, 5.6.7.8'), 'ip:unknown');
});

test('when an account exists it is counted by id, else by the login string, case-insensitively', (t) => {
  t.is(accountKey('u-1', 'Alice'), 'acct:u-1');
  t.is(accountKey(undefined, ' Alice '), accountKey(undefined, 'alice'));
  t.regex(accountKey(undefined, 'alice'), /^login:[0-9a-f]{40}$/);
});
