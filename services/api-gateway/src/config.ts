import type { BlockList } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parse, readConfig, serviceSettings } from '@chat/platform';
import { parseTrustedProxies } from './http/client-address.js';
import { parseRatePolicies } from './http/rate-limits.js';

/** `<per second>/<burst>`, e.g. `5/20`: a token bucket (the rate may be a fraction, `0.2/3`). */
const rate = (raw: string): { ratePerSecond: number; burst: number } => {
  const match = /^\s*(\d+(?:\.\d+)?)\s*\/\s*(\d+)\s*$/.exec(raw);
  const ratePerSecond = Number(match?.[1]);
  const burst = Number(match?.[2]);
  if (!match || !(ratePerSecond > 0) || !(burst >= 1) || burst > 1_000_000) throw new Error('expected <per second>/<burst>, e.g. 5/20');
  return { ratePerSecond, burst };
};

export const settings = {
  ...serviceSettings,
  host: { ...serviceSettings.host, doc: 'Address the gateway binds to (clients connect here).' },
  healthTimeoutMs: {
    env: 'HEALTH_TIMEOUT_MS',
    doc: 'How long /api/health waits for each service before marking it down, in milliseconds.',
    parse: parse.int(100, 10_000),
    default: 1_500,
  },
  upstreamTimeoutMs: {
    env: 'UPSTREAM_TIMEOUT_MS',
    doc: 'Deadline for one call from the gateway to a service, in milliseconds; past it the client gets 503.',
    parse: parse.int(100, 60_000),
    default: 8_000,
  },
  // Access tokens (src/adapters/dapr/jwks-verifier.ts); must match auth-service's TOKEN_ISSUER/TOKEN_AUDIENCE.
  tokenIssuer: {
    env: 'TOKEN_ISSUER',
    doc: 'The `iss` claim an access token must carry.',
    parse: parse.string,
    default: 'chat-platform',
  },
  tokenAudience: {
    env: 'TOKEN_AUDIENCE',
    doc: 'The `aud` claim an access token must carry.',
    parse: parse.string,
    default: 'chat-platform-api',
  },
  jwksCacheSeconds: {
    env: 'JWKS_CACHE_SECONDS',
    doc: "How long the auth-service's public keys (JWKS) are kept before they are fetched again, in seconds.",
    parse: parse.int(1, 86_400),
    default: 600,
  },
  jwksMinRefetchMs: {
    env: 'JWKS_MIN_REFETCH_MS',
    doc: 'Least time between two JWKS fetches caused by tokens with an unknown key id, in milliseconds (forged kids cannot flood the auth-service).',
    parse: parse.int(0, 600_000),
    default: 5_000,
  },
  authTimeoutMs: {
    env: 'AUTH_UPSTREAM_TIMEOUT_MS',
    doc: "Deadline for a call to the auth-service, in milliseconds: a login waits its turn for a password hash, which under a login storm takes seconds (keep in step with the resiliency policy's authInvoke).",
    parse: parse.int(100, 300_000),
    default: 60_000,
  },
  tokenClockToleranceSeconds: {
    env: 'TOKEN_CLOCK_TOLERANCE_SECONDS',
    doc: 'Clock skew allowed when checking exp/iat of an access token, in seconds.',
    parse: parse.int(0, 300),
    default: 5,
  },
  // Abuse limits (src/http/rate-limits.ts, docs/security.md).
  trustedProxies: {
    env: 'TRUSTED_PROXIES',
    doc: 'Addresses or CIDR blocks (comma-separated) of the reverse proxies in front of the gateway. A request from one of them is attributed to the client named in X-Forwarded-For; unset, the socket peer is the client and X-Forwarded-For is ignored.',
    parse: (raw: string): BlockList | undefined => parseTrustedProxies(raw),
    default: undefined,
  },
  rateLimits: {
    env: 'RATE_LIMITS',
    doc: 'JSON overriding REST rate-limit buckets, e.g. {"send":{"user":{"rate":100,"burst":200}}} (policies in src/http/rate-limits.ts).',
    parse: parseRatePolicies,
    default: {},
  },
  rateLimitScale: {
    env: 'RATE_LIMIT_SCALE',
    doc: "Multiplies every REST rate limit (rate and burst) and the number of one user's requests served at once; test platforms raise it. 1 is the documented limits.",
    parse: (raw: string): number => {
      const value = Number(raw);
      if (!(value > 0 && value <= 1_000_000)) throw new Error('expected a number above 0');
      return value;
    },
    default: 1,
  },
  webRoot: {
    env: 'WEB_ROOT',
    doc: 'Folder of the built web client (index.html and assets/) served at / (src/http/routes/web.ts); "none" serves no client.',
    parse: (raw: string) => (raw === 'none' ? '' : raw),
    default: fileURLToPath(new URL('../../../web/dist', import.meta.url)),
  },
  // Real time (src/realtime, docs/realtime.md).
  reorderWindowMs: {
    env: 'REALTIME_REORDER_WINDOW_MS',
    doc: "How long a gap in a room's message sequence may stay open before it is filled from history, in milliseconds.",
    parse: parse.int(10, 5_000),
    default: 300,
  },
  gapHoldMs: {
    env: 'REALTIME_GAP_HOLD_MS',
    doc: "How long a gap in a room's message sequence is held while history cannot be read (chat-service unreachable), in milliseconds; its messages may still arrive by pub/sub meanwhile. Past it the gap is skipped (clients catch up with sync).",
    parse: parse.int(0, 600_000),
    default: 30_000,
  },
  sendRatePerSecond: {
    env: 'REALTIME_SEND_RATE',
    doc: 'Socket message commands (send, edit, delete) a user may make per second, per gateway replica.',
    parse: parse.int(1, 10_000),
    default: 10,
  },
  sendBurst: {
    env: 'REALTIME_SEND_BURST',
    doc: 'Socket message commands a user may make in a burst above the rate.',
    parse: parse.int(1, 100_000),
    default: 20,
  },
  typingTtlMs: {
    env: 'REALTIME_TYPING_TTL_MS',
    doc: 'How long a typing indicator lasts without a refresh, in milliseconds.',
    parse: parse.int(500, 60_000),
    default: 5_000,
  },
  // Socket limits per user and replica (src/realtime/limits.ts; docs/realtime.md "Limits").
  maxSocketsPerUser: {
    env: 'REALTIME_MAX_SOCKETS_PER_USER',
    doc: 'Sockets one user may have open on one gateway replica; past it a connection is refused with rate_limited.',
    parse: parse.int(1, 1_000),
    default: 10,
  },
  handshakeLimit: {
    env: 'REALTIME_HANDSHAKE_LIMIT',
    doc: 'Socket connection attempts per client address (TRUSTED_PROXIES decides the address), checked before the token, as <per second>/<burst>.',
    parse: rate,
    default: { ratePerSecond: 10, burst: 50 },
  },
  connectLimit: {
    env: 'REALTIME_CONNECT_LIMIT',
    doc: 'Socket connection attempts per user (each reads the rooms and writes presence), as <per second>/<burst>.',
    parse: rate,
    default: { ratePerSecond: 1, burst: 10 },
  },
  syncLimit: {
    env: 'REALTIME_SYNC_LIMIT',
    doc: 'Socket `sync` requests per user, as <per second>/<burst> (a reconnect syncs each room at once).',
    parse: rate,
    default: { ratePerSecond: 20, burst: 100 },
  },
  readLimit: {
    env: 'REALTIME_READ_LIMIT',
    doc: 'Socket `read` markers per user, as <per second>/<burst>.',
    parse: rate,
    default: { ratePerSecond: 5, burst: 20 },
  },
  typingLimit: {
    env: 'REALTIME_TYPING_LIMIT',
    doc: 'Socket `typing` updates per user, as <per second>/<burst>; past it they are dropped (an indicator refreshes every 2 s).',
    parse: rate,
    default: { ratePerSecond: 5, burst: 10 },
  },
  refreshLimit: {
    env: 'REALTIME_REFRESH_LIMIT',
    doc: 'Socket `auth:refresh` calls per user, as <per second>/<burst>.',
    parse: rate,
    default: { ratePerSecond: 0.2, burst: 5 },
  },
  eventLimit: {
    env: 'REALTIME_EVENT_LIMIT',
    doc: 'Every incoming socket event per user, known or not, as <per second>/<burst>.',
    parse: rate,
    default: { ratePerSecond: 50, burst: 200 },
  },
  refusalLimit: {
    env: 'REALTIME_REFUSAL_LIMIT',
    doc: 'Refused events one socket may earn (rate_limited, not_found, validation_failed), as <per second>/<burst>; past it the socket is closed instead of answered.',
    parse: rate,
    default: { ratePerSecond: 10, burst: 1_000 },
  },
  maxQueuedBytes: {
    env: 'REALTIME_MAX_QUEUED_BYTES',
    doc: "What the gateway may hold for one connection that its client has not read yet (queued packets and the WebSocket's send buffer), in bytes; past it the connection is closed (the client reconnects and catches up with sync).",
    parse: parse.int(65_536, 1_073_741_824),
    default: 8 * 1024 * 1024,
  },
  // Connections per client address, before any Socket.IO packet (src/realtime/transport-admission.ts).
  transportLimit: {
    env: 'REALTIME_TRANSPORT_LIMIT',
    doc: 'Engine.IO connections (the transport under every socket, polling or WebSocket) one client address may open, as <per second>/<burst> (TRUSTED_PROXIES decides the address).',
    parse: rate,
    default: { ratePerSecond: 20, burst: 200 },
  },
  maxConnectionsPerAddress: {
    env: 'REALTIME_MAX_CONNECTIONS_PER_ADDRESS',
    doc: 'Engine.IO connections one client address may hold open on one gateway replica, sockets and connections still in their handshake alike (an IPv6 /64 is one address); raise it for many users behind one NAT.',
    parse: parse.int(1, 1_000_000),
    default: 256,
  },
  connectTimeoutMs: {
    env: 'REALTIME_CONNECT_TIMEOUT_MS',
    doc: "How long a connection may stay open without a socket connected over it, in milliseconds; then it is closed. Keep it above twice UPSTREAM_TIMEOUT_MS: a handshake may wait for the token's keys and for the user's rooms.",
    parse: parse.int(1_000, 300_000),
    default: 20_000,
  },
  membershipCheckMs: {
    env: 'REALTIME_MEMBERSHIP_CHECK_MS',
    doc: "How often at most a room's sockets on this replica are checked against its member list when events are relayed to it, in milliseconds (the bound on delivery to a removed member whose removal event was lost).",
    parse: parse.int(100, 3_600_000),
    default: 30_000,
  },
  presenceTtlSeconds: {
    env: 'PRESENCE_TTL_SECONDS',
    doc: "How long a replica's presence entry counts without a heartbeat (a crashed replica's users go offline after it).",
    parse: parse.int(3, 3_600),
    default: 30,
  },
  presenceHeartbeatMs: {
    env: 'PRESENCE_HEARTBEAT_MS',
    doc: "How often a replica refreshes its users' presence entries, in milliseconds; keep it well under PRESENCE_TTL_SECONDS.",
    parse: parse.int(200, 600_000),
    default: 10_000,
  },
};

export const loadConfig = (env: NodeJS.ProcessEnv = process.env) => readConfig(settings, env);
export type Config = ReturnType<typeof loadConfig>;
