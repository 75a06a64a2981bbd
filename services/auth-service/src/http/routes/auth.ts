import type Router from '@koa/router';
import { createRouter, APP_IDS, allowCallers, requireUserId, validate, type AppContext, type RequestState } from '@chat/platform';
import type { Accounts, CallContext } from '../../domain/accounts.js';
import { loginBody, passwordBody, refreshBody, registerBody } from '../validation.js';

/**
 * Headers only the api-gateway sets (it always overwrites them): the client's
 * address as its socket saw it, and the session of the verified access token.
 * Trusted only behind `allowCallers('api-gateway')`.
 */
export const CLIENT_ADDRESS_HEADER = 'x-client-ip';
export const SESSION_ID_HEADER = 'x-session-id';

const callContext = (ctx: AppContext): CallContext => ({
  clientAddress: ctx.get(CLIENT_ADDRESS_HEADER) || undefined,
  log: ctx.state.log,
});

/** Tokens must never be cached by a client or a proxy (RFC 6749, section 5.1). */
const noStore = (ctx: AppContext) => {
  ctx.set('cache-control', 'no-store');
  ctx.set('pragma', 'no-cache');
};

/**
 * The auth routes, as the gateway reaches them (`/api/auth/<x>` is forwarded
 * to `/auth/<x>`). Only the api-gateway may call them.
 */
export function authRoutes(accounts: Accounts): Router<RequestState> {
  const router = createRouter({ prefix: '/auth' });
  router.use(allowCallers(APP_IDS.gateway));

  router.post('/register', async (ctx) => {
    const body = validate(ctx.request.body, registerBody);
    const result = await accounts.register(body, callContext(ctx));
    noStore(ctx);
    ctx.status = 201;
    ctx.body = result;
  });

  router.post('/login', async (ctx) => {
    const body = validate(ctx.request.body, loginBody);
    const result = await accounts.login(body, callContext(ctx));
    noStore(ctx);
    ctx.body = result;
  });

  router.post('/refresh', async (ctx) => {
    const { refreshToken } = validate(ctx.request.body, refreshBody);
    const result = await accounts.refresh(refreshToken, callContext(ctx));
    noStore(ctx);
    ctx.body = result;
  });

  router.post('/logout', async (ctx) => {
    const { refreshToken } = validate(ctx.request.body, refreshBody);
    await accounts.logout(refreshToken, callContext(ctx));
    ctx.status = 204;
  });

  router.get('/me', async (ctx) => {
    const userId = requireUserId(ctx);
    ctx.set('cache-control', 'no-store');
    ctx.body = await accounts.me(userId);
  });

  router.post('/password', async (ctx) => {
    const userId = requireUserId(ctx);
    const body = validate(ctx.request.body, passwordBody);
    await accounts.changePassword(userId, ctx.get(SESSION_ID_HEADER) || undefined, body, callContext(ctx));
    ctx.status = 204;
  });

  router.get('/jwks', async (ctx) => {
    ctx.body = await accounts.jwks();
    ctx.set('cache-control', 'public, max-age=300');
  });

  return router;
}
