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
}
