/**
 * The access-token signing keys, from the Dapr secret store
 * (https://docs.dapr.io/reference/api/secrets_api/): component `secretstore`,
 * secret `auth-signing-keys`, whose value is a JSON array of keys, newest last.
 * local.file answers `{"auth-signing-keys": "<the JSON string>"}`.
 *
 * The keys are cached and read again every `refreshMs`, so an appended key
 * (rotation) signs new tokens without a restart. A failed re-read keeps the
 * keys already known.
 */
import { COMPONENTS, SIGNING_KEYS_SECRET, unavailable, type Logger, type Sidecar } from '@chat/platform';
import type { KeySet, SigningKeySource } from '../../domain/ports.js';
import { parseSigningKeys } from '../../domain/signing-keys.js';

export interface SecretStoreKeysOptions {
  sidecar: Sidecar;
  logger: Logger;
  refreshMs: number;
  store?: string;
  secretName?: string;
  now?: () => number;
}

export function createSecretStoreSigningKeys(options: SecretStoreKeysOptions): SigningKeySource {
  const store = options.store ?? COMPONENTS.secretStore;
  const name = options.secretName ?? SIGNING_KEYS_SECRET;
  const now = options.now ?? Date.now;
  let cached: { keys: KeySet; at: number } | undefined;
  let loading: Promise<KeySet> | undefined;

  async function load(): Promise<KeySet> {
    const secret = await options.sidecar.secret(store, name);
    const value = secret?.[name];
    if (typeof value !== 'string') throw unavailable(`The secret ${name} is missing from ${store}`);
    const { keys, skipped } = parseSigningKeys(value);
    if (skipped.length > 0) options.logger.warn({ skipped }, 'signing keys skipped: not usable ES256 keys');
    if (cached?.keys.signing.kid !== keys.signing.kid) {
      options.logger.info({ kid: keys.signing.kid, published: keys.publicKeys.map((k) => k.kid) }, 'signing key in use');
    }
    cached = { keys, at: now() };
    return keys;
  }

  return {
    async current() {
      if (cached && now() - cached.at < options.refreshMs) return cached.keys;
      loading ??= load().finally(() => (loading = undefined));
      try {
        return await loading;
      } catch (error) {
        if (cached) {
          options.logger.warn({ err: { message: (error as Error).message } }, 'signing keys could not be re-read; keeping the known ones');
          cached.at = now();
          return cached.keys;
        }
        throw unavailable('The signing keys cannot be read', error);
      }
    },
  };
}
