import { BlockList, isIP } from 'node:net';
import type { IncomingMessage } from 'node:http';

/**
 * The address of the client behind a request, for per-address limits (here
 * and in the auth-service's brute-force throttle).
 *
 * Without trusted proxies it is the socket's peer: a header a client writes
 * is never believed. With `TRUSTED_PROXIES` set (addresses or CIDR blocks of
 * the reverse proxies in front of the gateway), a request whose peer is one
 * of them is attributed to the right-most address of `X-Forwarded-For` that
 * is not itself a trusted proxy: each proxy appends the peer it saw, so the
 * entries left of the first untrusted one are the client's own words and are
 * ignored. A malformed entry stops the walk at the proxy that appended it.
 */
export type ClientAddressOf = (req: IncomingMessage) => string;

/** Parses `TRUSTED_PROXIES` (comma-separated addresses and CIDR blocks); throws on a malformed entry. */
export function parseTrustedProxies(raw: string): BlockList {
  const list = new BlockList();
  for (const entry of raw
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const [address = '', bits] = entry.split('/');
    const family = isIP(address);
    if (family === 0) throw new Error(`"${entry}" is not an IP address or CIDR block`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (bits === undefined) {
      list.addAddress(address, type);
      continue;
    }
    const prefix = /^\d{1,3}$/.test(bits) ? Number(bits) : Number.NaN;
    if (!(prefix >= 0 && prefix <= (family === 4 ? 32 : 128))) throw new Error(`"${entry}" has an invalid prefix length`);
    list.addSubnet(address, prefix, type);
  }
  return list;
}

/** `::ffff:1.2.3.4` (an IPv4 peer on a dual-stack socket) is 1.2.3.4. */
const unmapped = (address: string): string => /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1] ?? address;

export function clientAddressResolver(trusted: BlockList | undefined): ClientAddressOf {
  const isTrusted = (address: string): boolean => {
    const family = isIP(address);
    return family !== 0 && trusted !== undefined && trusted.check(address, family === 4 ? 'ipv4' : 'ipv6');
  };
  return (req) => {
    let client = unmapped(req.socket.remoteAddress ?? '');
    if (!trusted || !isTrusted(client)) return client;
    const header = req.headers['x-forwarded-for'];
    const hops = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',').map((h) => unmapped(h.trim()));
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = hops[i] ?? '';
      if (isIP(hop) === 0) break;
      client = hop;
      if (!isTrusted(hop)) break;
    }
    return client;
  };
}
