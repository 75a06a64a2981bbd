import type { Context, Next } from 'koa';
import { addressKey, AppError, type RequestState } from '@chat/platform';
import { RateLimiter } from '../realtime/rate-limiter.js';
import type { ClientAddressOf } from './client-address.js';

/** A token bucket: `rate` requests a second flow in, at most `burst` are kept. */
export interface Bucket {
  rate: number;
  burst: number;
}

/** A limit counted per verified user, per client address, or both. */
export interface RatePolicy {
  user?: Bucket;
  address?: Bucket;
}

/**
 * The gateway's REST limits, per replica (docs/security.md). `request`
 * covers every client request (per address, before its body is read; not
 * the sidecar's own calls, see `admission` of createHttpApp),
 * `authenticated` every request with a valid access token (per user); the
 * others are the expensive or abusable actions, counted on top of those. Socket commands have their own
 * (src/realtime).
 */
export const DEFAULT_RATE_POLICIES = {
  request: { address: { rate: 50, burst: 100 } },
  authenticated: { user: { rate: 20, burst: 60 } },
  register: { address: { rate: 0.2, burst: 5 } },
  login: { address: { rate: 1, burst: 10 } },
  tokenRefresh: { address: { rate: 2, burst: 20 } },
  passwordChange: { user: { rate: 0.1, burst: 3 } },
  send: { user: { rate: 10, burst: 20 } },
  messageChange: { user: { rate: 5, burst: 20 } },
  history: { user: { rate: 10, burst: 30 } },
  readMarker: { user: { rate: 5, burst: 20 } },
  roomCreate: { user: { rate: 0.2, burst: 5 } },
  roomChange: { user: { rate: 1, burst: 10 } },
  membership: { user: { rate: 2, burst: 10 } },
  discovery: { user: { rate: 2, burst: 10 } },
  profileWrite: { user: { rate: 1, burst: 5 } },
  avatarUpload: { user: { rate: 0.1, burst: 3 } },
} satisfies Record<string, RatePolicy>;

export type RatePolicyName = keyof typeof DEFAULT_RATE_POLICIES;

/**
 * Parses `RATE_LIMITS`: JSON that overrides some buckets of the defaults,
 * e.g. `{"send":{"user":{"rate":100,"burst":200}}}`. Unknown policies,
 * scopes or fields and non-positive numbers are refused at start-up.
 */
export function parseRatePolicies(raw: string): Partial<Record<RatePolicyName, RatePolicy>> {
  const parsed = JSON.parse(raw) as unknown;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('expected a JSON object');
  const out: Partial<Record<RatePolicyName, RatePolicy>> = {};
  for (const [name, policy] of Object.entries(parsed)) {
    if (!Object.hasOwn(DEFAULT_RATE_POLICIES, name)) throw new Error(`unknown policy "${name}"`);
    if (typeof policy !== 'object' || policy === null) throw new Error(`policy "${name}" must be an object`);
    const checked: RatePolicy = {};
    for (const [scope, bucket] of Object.entries(policy as Record<string, unknown>)) {
      if (scope !== 'user' && scope !== 'address') throw new Error(`policy "${name}": scope must be user or address`);
      const { rate, burst, ...rest } = (bucket ?? {}) as Record<string, unknown>;
      if (Object.keys(rest).length > 0 || !(typeof rate === 'number' && rate > 0) || !(typeof burst === 'number' && burst >= 1)) {
        throw new Error(`policy "${name}".${scope} must be {"rate": >0, "burst": >=1}`);
      }
      checked[scope] = { rate, burst };
    }
    out[name as RatePolicyName] = checked;
  }
  return out;
}

export interface RateLimitOptions {
  /** Overrides of single buckets (RATE_LIMITS). */
  overrides?: Partial<Record<RatePolicyName, RatePolicy>>;
  /** Multiplies every rate and burst (RATE_LIMIT_SCALE; test platforms raise it). */
  scale?: number;
  clientAddress: ClientAddressOf;
  now?: () => number;
}

export type LimitMiddleware = (ctx: Context & { state: RequestState }, next: Next) => Promise<unknown>;

/**
 * Builds the limiters and `limit(name)`, a Koa middleware that takes one
 * token from the policy's per-user bucket (when the request is
 * authenticated) and per-address bucket, and refuses the request with
 * `429 rate_limited` and `Retry-After` when either is empty. Put it after
 * `requireUser` on routes whose policy counts per user.
 */
export function createRateLimits(options: RateLimitOptions) {
  const scale = options.scale ?? 1;
  const limiters = new Map<string, RateLimiter>();
  let takes = 0;

  const limiterOf = (key: string, bucket: Bucket | undefined): RateLimiter | undefined => {
    if (!bucket) return undefined;
    let limiter = limiters.get(key);
    if (!limiter) {
      limiter = new RateLimiter({
        ratePerSecond: bucket.rate * scale,
        burst: Math.max(1, Math.round(bucket.burst * scale)),
        ...(options.now ? { now: options.now } : {}),
      });
      limiters.set(key, limiter);
    }
    return limiter;
  };

  /** Keeps memory bounded under a flood of addresses: full buckets are forgotten now and then. */
  const pruneNowAndThen = () => {
    if (++takes % 10_000 === 0) for (const limiter of limiters.values()) limiter.prune();
  };

  function limit(name: RatePolicyName): LimitMiddleware {
    const policy: RatePolicy = { ...DEFAULT_RATE_POLICIES[name], ...options.overrides?.[name] };
    const perUser = limiterOf(`${name}:user`, policy.user);
    const perAddress = limiterOf(`${name}:address`, policy.address);
    return async function rateLimit(ctx, next) {
      pruneNowAndThen();
      const userId = ctx.state.userId;
      const waits: number[] = [];
      if (perUser && userId) {
        const taken = perUser.take(userId);
        if (!taken.ok) waits.push(taken.retryAfterMs);
      }
      if (perAddress) {
        const taken = perAddress.take(addressKey(options.clientAddress(ctx.req)));
        if (!taken.ok) waits.push(taken.retryAfterMs);
      }
      if (waits.length > 0) {
        const retryAfterSeconds = Math.max(1, Math.ceil(Math.max(...waits) / 1000));
        throw new AppError('rate_limited', `Too many requests; try again in ${retryAfterSeconds} s`, { retryAfterSeconds });
      }
      await next();
    };
  }

  return { limit };
}

export type RateLimits = ReturnType<typeof createRateLimits>;
