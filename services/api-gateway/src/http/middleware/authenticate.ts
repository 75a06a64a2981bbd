import type { Context, Next } from 'koa';
import { unauthenticated, type RequestState } from '@chat/platform';

declare module '@chat/platform' {
  interface RequestState {
    /** The session (refresh-token chain) of the verified access token, when it names one. */
    sessionId?: string | undefined;
  }
}

/** What a verified access token says about its bearer. */
export interface VerifiedToken {
  userId: string;
  /** The `sid` claim: the session the token was issued to. */
  sessionId?: string;
}

/** Checks an access token; resolves with the user id it was issued to, rejects with 401 `unauthenticated`. */
export interface TokenVerifier {
  verify(token: string): Promise<VerifiedToken>;
}

/**
 * Requires `Authorization: Bearer <accessToken>` and sets `ctx.state.userId`
 * (and `sessionId`) to what the verified token says. Anything else is
 * `401 unauthenticated` (with `WWW-Authenticate: Bearer`).
 */
export function authenticate(verifier: TokenVerifier) {
  return async function requireAccessToken(ctx: Context & { state: RequestState }, next: Next) {
    const header = ctx.get('authorization');
    const match = /^Bearer ([A-Za-z0-9\-_=]+\.[A-Za-z0-9\-_=]+\.[A-Za-z0-9\-_=]*)$/.exec(header);
    if (!match?.[1]) throw unauthenticated('A valid access token is required');
    const { userId, sessionId } = await verifier.verify(match[1]);
    ctx.state.userId = userId;
    ctx.state.sessionId = sessionId;
    await next();
  };
}
