/**
 * Parses the signing keys secret: a JSON array of
 * `{kid, alg: "ES256", privateKeyPem, createdAt}`, newest last. Rotation is
 * appending a key: the newest signs, all of them are published.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import type { KeySet, PublicJwk } from './ports.js';

export class SigningKeysError extends Error {
  override name = 'SigningKeysError';
}

interface ParsedKey {
  kid: string;
  privateKey: KeyObject;
  jwk: PublicJwk;
}

/**
 * Returns the key set, and the kids of entries that were skipped because they
 * are not usable ES256 (P-256) keys. Throws SigningKeysError when no entry is
 * usable. Never puts key material in an error message.
 */
export function parseSigningKeys(json: string): { keys: KeySet; skipped: string[] } {
  let entries: unknown;
  try {
    entries = JSON.parse(json);
  } catch {
    throw new SigningKeysError('The signing keys secret is not JSON');
  }
  if (!Array.isArray(entries)) throw new SigningKeysError('The signing keys secret is not a JSON array');
  const parsed: ParsedKey[] = [];
  const skipped: string[] = [];
  const seen = new Set<string>();
  for (const entry of entries as unknown[]) {
    const { kid, alg, privateKeyPem } = (entry ?? {}) as { kid?: unknown; alg?: unknown; privateKeyPem?: unknown };
    const label = typeof kid === 'string' ? kid : '(no kid)';
    if (typeof kid !== 'string' || kid.length === 0 || seen.has(kid) || alg !== 'ES256' || typeof privateKeyPem !== 'string') {
      skipped.push(label);
      continue;
    }
    try {
      const privateKey = createPrivateKey(privateKeyPem);
      if (privateKey.asymmetricKeyType !== 'ec' || privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
        skipped.push(label);
        continue;
      }
      const { kty, crv, x, y } = createPublicKey(privateKey).export({ format: 'jwk' });
      if (typeof kty !== 'string') throw new Error('no kty');
      seen.add(kid);
      parsed.push({
        kid,
        privateKey,
        jwk: { kty, ...(crv ? { crv } : {}), ...(x ? { x } : {}), ...(y ? { y } : {}), kid, alg: 'ES256', use: 'sig' },
      });
    } catch {
      skipped.push(label);
    }
  }
  const newest = parsed.at(-1);
  if (!newest) throw new SigningKeysError('The signing keys secret holds no usable ES256 key');
  return {
    keys: { signing: { kid: newest.kid, alg: 'ES256', privateKey: newest.privateKey }, publicKeys: parsed.map((k) => k.jwk) },
    skipped,
  };
}
