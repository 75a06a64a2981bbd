import type Router from '@koa/router';
import { createRouter, APP_IDS, type AppContext, type RequestState } from '@chat/platform';
import { forward, type UpstreamMethod } from '../forward.js';
import type { RouteDeps } from './deps.js';

/**
 * Headers the auth-service trusts from the gateway only. The gateway builds
 * them itself on every call, so a client can never pass its own: the address
 * of the client's socket (per-address brute-force limits), and the session of
 * the verified access token (a password change keeps the caller's session).
 */
export const CLIENT_ADDRESS_HEADER = 'x-client-ip';
export const SESSION_ID_HEADER = 'x-session-id';

/** /api/auth/*: forwarded to the auth-service's /auth/*. */
export function authRoutes(deps: RouteDeps): Router<RequestState> {
  const { upstream, config, limit } = deps;
  const router = createRouter({ prefix: '/api/auth' });

  const toAuth = (method: UpstreamMethod, path: string) => async (ctx: AppContext) => {
    // The address the per-address limits count (TRUSTED_PROXIES decides whether X-Forwarded-For counts).
    const headers: Record<string, string> = { [CLIENT_ADDRESS_HEADER]: deps.clientAddress(ctx.req) };
    if (ctx.state.sessionId) headers[SESSION_ID_HEADER] = ctx.state.sessionId;
    const body = ctx.request.body;
    await forward(ctx, upstream, APP_IDS.auth, `auth/${path}`, {
      method,
      ...(body !== undefined ? { body } : {}),
      headers,
      timeoutMs: config.authTimeoutMs,
    });
  };

  router.post('/register', limit('register'), toAuth('POST', 'register'));
  router.post('/login', limit('login'), toAuth('POST', 'login'));
  router.post('/refresh', limit('tokenRefresh'), toAuth('POST', 'refresh'));
  router.post('/logout', limit('tokenRefresh'), toAuth('POST', 'logout'));
  router.get('/jwks', toAuth('GET', 'jwks'));
  router.get('/me', deps.requireUser, toAuth('GET', 'me'));
  router.post('/password', deps.requireUser, limit('passwordChange'), toAuth('POST', 'password'));
  return router;
}
