import { isIPv4, isIPv6 } from 'node:net';

/**
 * The bucket a client address is counted in by per-address limits. IPv6
 * clients usually hold a whole /64, so they are counted per /64; IPv4 (also
 * IPv4-mapped IPv6) per address. A missing or malformed address shares one
 * bucket.
 */
export function addressKey(address: string | undefined): string {
  const raw = (address ?? '').trim();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(raw)?.[1];
  if (mapped && isIPv4(mapped)) return `ip:${mapped}`;
  if (isIPv4(raw)) return `ip:${raw}`;
  if (isIPv6(raw)) return `ip6:${expandIPv6(raw).slice(0, 4).join(':')}::/64`;
  return 'ip:unknown';
}

function expandIPv6(address: string): string[] {
  const [head = '', tail = ''] = address.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = address.includes('::') && tail ? tail.split(':') : [];
  const missing = 8 - left.length - right.length;
  return [...left, ...Array.from({ length: Math.max(0, missing) }, () => '0'), ...right].map((part) => part.replace(/^0+(?=.)/, ''));
}
