#!/usr/bin/env node
// `npm run compose:env`: writes the env file docker-compose.yml reads its
// secrets from (.env by default, or the path given): one DAPR_API_TOKEN /
// APP_API_TOKEN pair per app-id, and the Grafana admin's password of
// deploy/compose/observability.yml; random, readable by the owner only.
// Values already in the file are kept, so running it again changes nothing.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const APP_IDS = ['api-gateway', 'auth-service', 'profile-service', 'chat-service'];

/** The variable names docker-compose.yml interpolates, e.g. AUTH_SERVICE_DAPR_API_TOKEN. */
export const tokenVariables = () =>
  APP_IDS.flatMap((appId) => ['DAPR_API_TOKEN', 'APP_API_TOKEN'].map((name) => `${appId.toUpperCase().replace(/-/g, '_')}_${name}`));

export const secretVariables = () => [...tokenVariables(), 'GRAFANA_ADMIN_PASSWORD'];

export function writeComposeEnv(file = join(root, '.env')) {
  const existing = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const missing = secretVariables().filter((name) => !new RegExp(`^${name}=.+$`, 'm').test(existing));
  if (missing.length === 0) return { file, added: [] };
  const lines = missing.map((name) => `${name}=${randomBytes(24).toString('base64url')}`);
  const text = `${existing}${existing && !existing.endsWith('\n') ? '\n' : ''}${lines.join('\n')}\n`;
  writeFileSync(file, text, { mode: 0o600 });
  return { file, added: missing };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { file, added } = writeComposeEnv(process.argv[2] ? resolve(process.argv[2]) : undefined);
  process.stdout.write(added.length ? `[compose:env] ${file}: added ${added.join(', ')}\n` : `[compose:env] ${file}: every secret already set\n`);
}
