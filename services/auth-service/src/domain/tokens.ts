/**
 * Access tokens (short-lived ES256 JWTs) and refresh tokens (opaque random
 * strings, stored only as their SHA-256).
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { SigningKeySource } from './ports.js';

export interface AccessTokenOptions {
  keys: SigningKeySource;
  issuer: string;
  audience: string;
  ttlSeconds: number;
  now?: () => number;
}

export interface IssuedAccessToken {
  accessToken: string;
  expiresIn: number;
}

/**
 * Signs access tokens with the newest key: header `{alg: ES256, kid}`, claims
 * `iss`, `aud`, `sub` (the user id), `jti`, `iat`, `exp`, and `sid` (the
 * session, so that a password change can keep the caller's own session).
 */
export function createAccessTokenIssuer(options: AccessTokenOptions) {
  const now = options.now ?? Date.now;
  return {
    async issue(userId: string, sessionId: string): Promise<IssuedAccessToken> {
      const { signing } = await options.keys.current();
      const accessToken = jwt.sign({ sid: sessionId, iat: Math.floor(now() / 1000) }, signing.privateKey, {
        algorithm: 'ES256',
        keyid: signing.kid,
        issuer: options.issuer,
        audience: options.audience,
        subject: userId,
        jwtid: randomUUID(),
        expiresIn: options.ttlSeconds,
      });
      return { accessToken, expiresIn: options.ttlSeconds };
    },
  };
}

export type AccessTokenIssuer = ReturnType<typeof createAccessTokenIssuer>;

const REFRESH_TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** 256 random bits, base64url: nothing to guess, nothing derived from the user. */
export const newRefreshToken = (): string => randomBytes(32).toString('base64url');

/** Whether a string can be a refresh token at all (cheap refusal before any lookup). */
export const looksLikeRefreshToken = (token: string): boolean => REFRESH_TOKEN.test(token);

/** What is stored in place of the token: a plain SHA-256 suffices for 256 random bits. */
export const hashRefreshToken = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');
