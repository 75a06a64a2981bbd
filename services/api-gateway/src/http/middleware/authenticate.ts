import type { Context, Next } from 'koa';
import { unauthenticated, type RequestState } from '@chat/platform';

/** Checks an access token; resolves with the user id it was issued to. */
export interface TokenVerifier {
  verify(token: string): Promise<{ userId: string }>;
}

/**
 * Requires `Authorization: Bearer <accessToken>` and sets `ctx.state.userId`
 * to the verified user. Anything else is `401 unauthenticated` (with
 * `WWW-Authenticate: Bearer`).
 */
export function authenticate(verifier: TokenVerifier) {
  return async function requireAccessToken(ctx: Context & { state: RequestState }, next: Next) {
    const header = ctx.get('authorization');
    const match = /^Bearer ([A-Za-z0-9\-_=]+\.[A-Za-z0-9\-_=]+\.[A-Za-z0-9\-_=]*)$/.exec(header);
    if (!match?.[1]) throw unauthenticated('A valid access token is required');
    const { userId } = await verifier.verify(match[1]);
    ctx.state.userId = userId;
    return next();
  };
}
