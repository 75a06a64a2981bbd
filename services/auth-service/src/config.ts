import { parse, readConfig, serviceSettings } from '@chat/platform';

export const settings = {
  ...serviceSettings,
  tokenIssuer: {
    env: 'TOKEN_ISSUER',
    doc: 'The `iss` claim of the access tokens; the api-gateway must expect the same value.',
    parse: parse.string,
    default: 'chat-platform',
  },
  tokenAudience: {
    env: 'TOKEN_AUDIENCE',
    doc: 'The `aud` claim of the access tokens; the api-gateway must expect the same value.',
    parse: parse.string,
    default: 'chat-platform-api',
  },
  accessTokenTtlSeconds: {
    env: 'ACCESS_TOKEN_TTL_SECONDS',
    doc: 'Lifetime of an access token (JWT), in seconds.',
    parse: parse.int(30, 3_600),
    default: 900,
  },
  refreshTokenTtlSeconds: {
    env: 'REFRESH_TOKEN_TTL_SECONDS',
    doc: 'Lifetime of a refresh token, in seconds; each use replaces it with a new one of the same lifetime.',
    parse: parse.int(60, 365 * 24 * 3_600),
    default: 30 * 24 * 3_600,
  },
  refreshReuseGraceSeconds: {
    env: 'REFRESH_REUSE_GRACE_SECONDS',
    doc: 'For how long after a refresh token was exchanged the same token may be exchanged again, while its successor is unused (the answer was lost: a dropped connection, a reload); the unused successor stops working. Past it, or once the successor was used, a reuse revokes the session. 0 turns it off.',
    parse: parse.int(0, 300),
    default: 30,
  },
  signingKeysRefreshSeconds: {
    env: 'SIGNING_KEYS_REFRESH_SECONDS',
    doc: 'How often the signing keys are re-read from the secret store, so that an appended key (rotation) is used without a restart.',
    parse: parse.int(1, 86_400),
    default: 60,
  },
  scryptLogN: {
    env: 'SCRYPT_LOG_N',
    doc: 'scrypt cost for new password hashes, as log2(N); older hashes with lower parameters are rehashed at login.',
    parse: parse.int(10, 20),
    default: 15,
  },
  scryptR: {
    env: 'SCRYPT_R',
    doc: 'scrypt block size r for new password hashes.',
    parse: parse.int(1, 32),
    default: 8,
  },
  scryptP: {
    env: 'SCRYPT_P',
    doc: 'scrypt parallelism p for new password hashes.',
    parse: parse.int(1, 16),
    default: 1,
  },
  scryptConcurrency: {
    env: 'SCRYPT_CONCURRENCY',
    doc: 'Password hashes computed at once (the rest queue); 0 means one per CPU core, which gives the full throughput and leaves the event loop free.',
    parse: parse.int(0, 64),
    default: 0,
  },
  // Brute force (src/domain/throttle.ts; the reasoning is in the README).
  loginMaxAttemptsPerAccountAndAddress: {
    env: 'LOGIN_MAX_ATTEMPTS_PER_ACCOUNT_AND_ADDRESS',
    doc: 'Failed password checks one client address (an IPv6 /64) may make on one account per window before 429; only that address is refused for that account.',
    parse: parse.int(1, 10_000),
    default: 5,
  },
  loginMaxAttemptsPerAddress: {
    env: 'LOGIN_MAX_ATTEMPTS_PER_ADDRESS',
    doc: 'Failed password checks one client address (an IPv6 /64) may make across all accounts per window before 429.',
    parse: parse.int(1, 100_000),
    default: 50,
  },
  loginMaxAttemptsPerAccount: {
    env: 'LOGIN_MAX_ATTEMPTS_PER_ACCOUNT',
    doc: 'Failed password checks on one account from all addresses together per window; past it, addresses the account does not know are slowed to the slow lane (known ones are not).',
    parse: parse.int(1, 100_000),
    default: 20,
  },
  loginWindowSeconds: {
    env: 'LOGIN_WINDOW_SECONDS',
    doc: 'Length of the brute-force window, in seconds; the counters live in the state store with this TTL.',
    parse: parse.int(1, 86_400),
    default: 900,
  },
  loginSlowLaneSeconds: {
    env: 'LOGIN_SLOW_LANE_SECONDS',
    doc: 'While an account is over LOGIN_MAX_ATTEMPTS_PER_ACCOUNT, the addresses it does not know share one password check per this many seconds.',
    parse: parse.int(1, 86_400),
    default: 30,
  },
  loginKnownAddressDays: {
    env: 'LOGIN_KNOWN_ADDRESS_DAYS',
    doc: "How long a successful login makes its client address known to the account (known addresses are never slowed by other addresses' failures), in days.",
    parse: parse.int(1, 365),
    default: 30,
  },
  registerMaxPerAddress: {
    env: 'REGISTER_MAX_PER_ADDRESS',
    doc: 'Registrations allowed from one client address per registration window before 429 (each costs a password hash); 0 turns the limit off.',
    parse: parse.int(0, 1_000_000),
    default: 20,
  },
  registerWindowSeconds: {
    env: 'REGISTER_WINDOW_SECONDS',
    doc: 'Length of the registration window, in seconds.',
    parse: parse.int(1, 7 * 86_400),
    default: 3_600,
  },
  eventLoopLogIntervalMs: {
    env: 'EVENT_LOOP_LOG_INTERVAL_MS',
    doc: 'How often the event-loop delay (max, p99, mean) is logged, in milliseconds; 0 turns it off.',
    parse: parse.int(0, 3_600_000),
    default: 60_000,
  },
};

export const loadConfig = (env: NodeJS.ProcessEnv = process.env) => readConfig(settings, env);
export type Config = ReturnType<typeof loadConfig>;
