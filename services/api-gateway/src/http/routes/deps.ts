import type { Middleware } from 'koa';
import type { Logger, RequestState } from '@chat/platform';
import type { Config } from '../../config.js';
import type { ClientAddressOf } from '../client-address.js';
import type { Upstream } from '../forward.js';
import type { LimitMiddleware, RatePolicyName } from '../rate-limits.js';
import type { PublicProfiles, UserAccounts } from '../user-directory.js';

/** What every gateway route factory is given. */
export interface RouteDeps {
  config: Config;
  logger: Logger;
  /** The services behind the gateway, as requests are forwarded to them. */
  upstream: Upstream;
  accounts: UserAccounts;
  profiles: PublicProfiles;
  /**
   * Requires a valid access token, sets ctx.state.userId, counts the request
   * against the user's limit, and serves it in one of the user's turns
   * (http/user-turns.ts: a few of one user's requests at a time).
   */
  requireUser: Middleware<RequestState>;
  /** The rate limit of one kind of action (429 with Retry-After past it); after requireUser where it counts per user. */
  limit: (name: RatePolicyName) => LimitMiddleware;
  /** The client's address (TRUSTED_PROXIES decides whether X-Forwarded-For counts). */
  clientAddress: ClientAddressOf;
  /** Who of these users is online (has a live socket on any replica). */
  presence: PresenceReader;
}

export interface PresenceReader {
  online(userIds: string[]): Promise<Set<string>>;
}
