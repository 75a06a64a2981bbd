import Router from '@koa/router';
import { APP_IDS, type AppContext, type RequestState } from '@chat/platform';
import { forward } from '../forward.js';
import type { RouteDeps } from './deps.js';

/**
 * Headers the auth-service trusts from the gateway only. The gateway builds
 * them itself on every call, so a client can never pass its own: the address
 * of the client's socket (per-address brute-force limits), and the session of
 * the verified access token (a password change keeps the caller's session).
 */
export const CLIENT_ADDRESS_HEADER = 'x-client-ip';
export const SESSION_ID_HEADER = 'x-session-id';

/**
 * The client's address as the socket saw it. Never a header a client can
 * write (X-Forwarded-For and the like): behind a reverse proxy, every client
 * would share the proxy's address, which is safe (limits get stricter), not
 * spoofable.
 */
const clientAddress = (ctx: AppContext): string => ctx.req.socket.remoteAddress ?? '';

/** /api/auth/*: forwarded to the auth-service's /auth/* through Dapr service invocation. */
export function authRoutes(deps: RouteDeps): Router<RequestState> {
  const { sidecar, config } = deps;
  const router = new Router<RequestState>({ prefix: '/api/auth' });

  const toAuth = (path: string) => async (ctx: AppContext) => {
    const headers: Record<string, string> = { [CLIENT_ADDRESS_HEADER]: clientAddress(ctx) };
    if (ctx.state.sessionId) headers[SESSION_ID_HEADER] = ctx.state.sessionId;
    const body = ctx.request.body;
    await forward(ctx, sidecar, APP_IDS.auth, `auth/${path}`, {
      ...(body !== undefined ? { body } : {}),
      headers,
      timeoutMs: config.authTimeoutMs,
    });
  };

  for (const path of ['register', 'login', 'refresh', 'logout']) router.post(`/${path}`, toAuth(path));
  router.get('/jwks', toAuth('jwks'));
  router.get('/me', deps.requireUser, toAuth('me'));
  router.post('/password', deps.requireUser, toAuth('password'));
  return router;
}
