/**
 * Verifies access tokens in the gateway itself, against the auth-service's
 * public keys (its JWKS, `GET /auth/jwks`, fetched through Dapr service
 * invocation: https://docs.dapr.io/reference/api/service_invocation_api/).
 *
 * - Only ES256 is accepted: `alg: none`, HS256 (a forgery that uses the public
 *   key as an HMAC secret) or any other algorithm is refused before any key is
 *   looked at, and again by jsonwebtoken's own `algorithms` check.
 * - `iss`, `aud`, `exp` (with a small clock tolerance) and `sub` are checked.
 * - The keys are cached; a token with an unknown `kid` triggers one fetch
 *   (rotation), at most every `minRefetchMs`, so forged kids cannot flood the
 *   auth-service. A failed fetch keeps the keys already known.
 * - Tokens that verified are remembered (at most `verifiedCacheSize`, by the
 *   exact token string) until they expire, so a client's every request does
 *   not pay for an ECDSA verification again: it was most of the gateway's own
 *   CPU per history page. A remembered token is still refused once it has
 *   expired or once its signing key is no longer published. Only tokens that
 *   verified are remembered: garbage cannot fill the cache.
 */
import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { APP_IDS, unauthenticated, unavailable, type Logger, type Sidecar } from '@chat/platform';
import type { TokenVerifier, VerifiedToken } from '../../http/middleware/authenticate.js';

export interface JwksVerifierOptions {
  sidecar: Sidecar;
  logger: Logger;
  issuer: string;
  audience: string;
  /** Cached keys are fetched again after this long. */
  cacheMs: number;
  /** Least time between two fetches caused by an unknown kid. */
  minRefetchMs: number;
  clockToleranceSeconds: number;
  /** The app-id that serves the JWKS (default auth-service). */
  appId?: string;
  timeoutMs?: number;
  now?: () => number;
  /** How many verified tokens are remembered (default 10,000; 0: none). */
  verifiedCacheSize?: number;
}

interface Remembered {
  result: VerifiedToken;
  /** The key it verified with: a token is verified again if its kid now names another key. */
  key: KeyObject;
  kid: string;
  /** `exp` in ms, with the clock tolerance. */
  expiresAt: number;
}

const ALGORITHM = 'ES256';

const refused = () => unauthenticated('A valid access token is required');

export function createJwksVerifier(options: JwksVerifierOptions): TokenVerifier & { keyIds(): string[] } {
  const now = options.now ?? Date.now;
  const appId = options.appId ?? APP_IDS.auth;
  let keys = new Map<string, KeyObject>();
  let fetchedAt = Number.NEGATIVE_INFINITY;
  /** When an unknown kid last caused a fetch (rate-limited on its own, so a rotation is picked up at once). */
  let unknownKidFetchAt = Number.NEGATIVE_INFINITY;
  let fetching: Promise<void> | undefined;
  const verified = new Map<string, Remembered>();
  const verifiedCacheSize = options.verifiedCacheSize ?? 10_000;

  function remember(token: string, entry: Remembered): void {
    if (verifiedCacheSize <= 0) return;
    // Oldest first: a Map iterates in insertion order.
    if (verified.size >= verifiedCacheSize) verified.delete(verified.keys().next().value!);
    verified.set(token, entry);
  }

  /** The remembered result of `token` while it holds; undefined when it must be verified. */
  async function recall(token: string): Promise<VerifiedToken | undefined> {
    const entry = verified.get(token);
    if (!entry) return undefined;
    if (now() >= entry.expiresAt) {
      verified.delete(token);
      throw refused();
    }
    // The key lookup also picks up rotations (keyFor refreshes stale keys).
    if ((await keyFor(entry.kid)) !== entry.key) {
      verified.delete(token);
      return undefined;
    }
    return entry.result;
  }

  async function fetchKeys(): Promise<void> {
    const response = await options.sidecar.invokeJson<{ keys?: unknown }>(appId, 'auth/jwks', {
      ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    });
    const next = new Map<string, KeyObject>();
    for (const jwk of Array.isArray(response?.keys) ? (response.keys as Array<JsonWebKey & { kid?: unknown; alg?: unknown }>) : []) {
      const { kid, kty, crv, x, y, alg } = jwk;
      if (typeof kid !== 'string' || kty !== 'EC' || crv !== 'P-256' || typeof x !== 'string' || typeof y !== 'string') continue;
      if (alg !== undefined && alg !== ALGORITHM) continue;
      try {
        // Only the public parameters are read: a JWKS that carried a private `d` would not make it a signing key here.
        next.set(kid, createPublicKey({ key: { kty, crv, x, y }, format: 'jwk' }));
      } catch {
        // A key we cannot read verifies nothing; the others still do.
      }
    }
    if (next.size === 0) throw unavailable('The auth-service published no usable key');
    const added = [...next.keys()].filter((kid) => !keys.has(kid));
    keys = next;
    fetchedAt = now();
    if (added.length > 0) options.logger.info({ kids: [...next.keys()] }, 'access-token keys loaded');
  }

  /** One fetch at a time; callers share it. */
  function refresh(): Promise<void> {
    fetching ??= fetchKeys().finally(() => (fetching = undefined));
    return fetching;
  }

  async function keyFor(kid: string): Promise<KeyObject> {
    const stale = now() - fetchedAt >= options.cacheMs;
    const unknown = !keys.has(kid) && now() - unknownKidFetchAt >= options.minRefetchMs;
    if (unknown && !stale) unknownKidFetchAt = now();
    if (stale || unknown) {
      try {
        await refresh();
      } catch (error) {
        if (keys.size === 0) throw unavailable('The access-token keys cannot be fetched', error);
        // Keep the known keys; try again no sooner than minRefetchMs.
        fetchedAt = Math.max(fetchedAt, now() - options.cacheMs + options.minRefetchMs);
        options.logger.warn({ err: { message: (error as Error).message } }, 'access-token keys could not be refreshed; keeping the known ones');
      }
    }
    const key = keys.get(kid);
    if (!key) throw refused();
    return key;
  }

  return {
    async verify(token: string): Promise<VerifiedToken> {
      const known = await recall(token);
      if (known) return known;
      const decoded = jwt.decode(token, { complete: true });
      if (!decoded || typeof decoded.payload === 'string') throw refused();
      const { alg, kid } = decoded.header;
      if (alg !== ALGORITHM || typeof kid !== 'string' || kid.length === 0 || kid.length > 200) throw refused();
      const key = await keyFor(kid);
      let payload: jwt.JwtPayload | string;
      try {
        payload = jwt.verify(token, key, {
          algorithms: [ALGORITHM],
          issuer: options.issuer,
          audience: options.audience,
          clockTolerance: options.clockToleranceSeconds,
          clockTimestamp: Math.floor(now() / 1000),
        });
      } catch {
        throw refused();
      }
      if (typeof payload === 'string' || typeof payload.sub !== 'string' || payload.sub.length === 0 || typeof payload.exp !== 'number') {
        throw refused();
      }
      const sid = (payload as { sid?: unknown }).sid;
      const result: VerifiedToken = { userId: payload.sub, ...(typeof sid === 'string' && sid.length > 0 ? { sessionId: sid } : {}) };
      remember(token, { result, key, kid, expiresAt: (payload.exp + options.clockToleranceSeconds) * 1000 });
      return result;
    },
    keyIds: () => [...keys.keys()],
  };
}
