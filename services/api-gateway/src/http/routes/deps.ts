import type { Middleware } from 'koa';
import type { Logger, RequestState, Sidecar } from '@chat/platform';
import type { Config } from '../../config.js';

/** What every gateway route factory is given. */
export interface RouteDeps {
  config: Config;
  logger: Logger;
  sidecar: Sidecar;
  /** Requires a valid access token and sets ctx.state.userId. */
  requireUser: Middleware<RequestState>;
  /** Who of these users is online (has a live socket on any replica). */
  presence: PresenceReader;
}

export interface PresenceReader {
  online(userIds: string[]): Promise<Set<string>>;
}
