/**
 * The run folder's files that the sidecars read at run time: the secret
 * store file with the access-token signing key, and the avatars folder.
 * Made by `npm start` and the test harness (@chat/devkit) and by Compose's
 * `init` service, which runs in the production image.
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Name of the secret (in the `secretstore` component) holding the signing keys. */
export const SIGNING_KEYS_SECRET = 'auth-signing-keys';

/** One access-token signing key as stored in the secret store (JSON array, newest last). */
export interface SigningKeyRecord {
  kid: string;
  alg: 'ES256';
  privateKeyPem: string;
  createdAt: string;
}

export function newSigningKey(): SigningKeyRecord {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    kid: randomUUID(),
    alg: 'ES256',
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    createdAt: new Date().toISOString(),
  };
}

/**
 * The run folder's files that the sidecars read: `data/avatars/` for the
 * avatars binding, and `secrets.json` for the secret store with an
 * access-token signing key, made only when missing (a key kept across runs
 * keeps issued tokens valid). Also what Compose's `init` service runs on its
 * volume (deploy/compose/init-run-dir.mjs).
 */
export function prepareRunDir(runDir: string): { secretsFile: string; avatarsDir: string } {
  const avatarsDir = join(runDir, 'data', 'avatars');
  mkdirSync(avatarsDir, { recursive: true });
  const secretsFile = join(runDir, 'secrets.json');
  const secrets: Record<string, string> = existsSync(secretsFile) ? (JSON.parse(readFileSync(secretsFile, 'utf8')) as Record<string, string>) : {};
  if (!secrets[SIGNING_KEYS_SECRET]) {
    secrets[SIGNING_KEYS_SECRET] = JSON.stringify([newSigningKey()]);
    writeFileSync(secretsFile, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  }
  return { secretsFile, avatarsDir };
}
