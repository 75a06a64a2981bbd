/**
 * What a local run of the platform needs besides code: the sidecar tokens, a
 * folder for run-time files (the name-resolution database, stored avatars),
 * and the secret store file with the access-token signing key. Used by
 * `npm start` (run folder `.dapr/run`, kept between runs) and by the test
 * harness (a fresh temporary folder per platform).
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { prepareRunDir } from '@chat/platform';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');

/** The token pair of one app-id: what its app presents to its sidecar, and its sidecar to its app. */
export interface AppTokens {
  /** DAPR_API_TOKEN: the app → its own sidecar. */
  daprApiToken: string;
  /** APP_API_TOKEN: the sidecar → its own app. */
  appApiToken: string;
}

export interface RunEnv {
  runDir: string;
  /** Environment shared by every daprd and app: the PLATFORM_* paths components read via envRef (no tokens). */
  env: Record<string, string>;
  /**
   * The token pair of `appId`, made once per run and app-id (replicas share
   * it). One pair per app: a compromised app holds only its own, so it can
   * reach no other app's sidecar.
   */
  tokens(appId: string): AppTokens;
  /** `env` plus the app-id's DAPR_API_TOKEN and APP_API_TOKEN, for its app and its daprd. */
  appEnv(appId: string): Record<string, string>;
  configPath: string;
  resourcesPath: string;
}

/**
 * Prepares `runDir` for `profile` and returns the environment to run the
 * sidecars and apps with. Existing secrets are kept; missing ones are made.
 * Each app-id's tokens come from `given` (`<APP_ID>_DAPR_API_TOKEN` and
 * `<APP_ID>_APP_API_TOKEN`, e.g. CHAT_SERVICE_DAPR_API_TOKEN) or are
 * generated for this run.
 */
export function prepareRunEnv(options: {
  runDir: string;
  profile: string;
  given?: NodeJS.ProcessEnv;
  /** Isolation slot: the Redis database (and the like) this run uses; 0 for npm start. */
  slot?: number;
  /** The redis profile's server, host:port (default 127.0.0.1:6379); a test may bring its own. */
  redisHost?: string;
}): RunEnv {
  const { runDir, profile } = options;
  const given = options.given ?? {};
  const resourcesPath = join(REPO_ROOT, 'components', profile);
  if (!existsSync(resourcesPath)) {
    throw new Error(`No component profile "${profile}": expected a folder at components/${profile}`);
  }
  const { secretsFile } = prepareRunDir(runDir);

  const token = () => randomBytes(24).toString('base64url');
  const pairs = new Map<string, AppTokens>();
  const tokens = (appId: string): AppTokens => {
    let pair = pairs.get(appId);
    if (!pair) {
      const prefix = appId.toUpperCase().replace(/[^A-Z0-9]/g, '_');
      pair = { daprApiToken: given[`${prefix}_DAPR_API_TOKEN`] || token(), appApiToken: given[`${prefix}_APP_API_TOKEN`] || token() };
      pairs.set(appId, pair);
    }
    return pair;
  };
  const env: Record<string, string> = {
    PLATFORM_NR_DB: join(runDir, 'name-resolution.db'),
    PLATFORM_SECRETS_FILE: secretsFile,
    PLATFORM_DATA_DIR: join(runDir, 'data'),
    PLATFORM_AVATARS_DIR: join(runDir, 'data', 'avatars'),
    // The redis profile's server (components/redis): this machine's;
    // docker-compose.yml sets its own (the `redis` service).
    PLATFORM_REDIS_HOST: options.redisHost ?? '127.0.0.1:6379',
    PLATFORM_REDIS_DB: String(options.slot ?? 0),
    // For the other profiles (docs/profiles.md). Every value is whole
    // because a component's envRef takes a variable as the entire value.
    ...profileEnv(runDir, options.slot ?? 0),
  };
  return {
    runDir,
    resourcesPath,
    configPath: join(resourcesPath, 'config.yaml'),
    env,
    tokens,
    appEnv(appId) {
      const pair = tokens(appId);
      return { ...env, DAPR_API_TOKEN: pair.daprApiToken, APP_API_TOKEN: pair.appApiToken };
    },
  };
}

/**
 * What the non-Redis profiles read with envRef. The slot (0 for npm start,
 * 1..15 for a test platform) keeps concurrent runs apart on the shared
 * servers: its own SQL table, its own durable queues and consumers. SQLite
 * needs no slot: its database is a file of the run folder.
 */
function profileEnv(runDir: string, slot: number): Record<string, string> {
  const suffix = slot === 0 ? '' : `_${slot}`;
  return {
    PLATFORM_SLOT: String(slot),
    // MySQL/MariaDB `tableName` and PostgreSQL v1 `tableName`.
    PLATFORM_STATE_TABLE: `chat_state${suffix}`,
    // PostgreSQL v2 `tablePrefix` (the table is <prefix>state).
    PLATFORM_STATE_TABLE_PREFIX: `chat${suffix}_`,
    PLATFORM_SQLITE_DB: join(runDir, 'data', 'state.db'),
    // The durable consumer of `events` on brokers that name it (RabbitMQ
    // queue <consumer>-<topic>, JetStream durable and queue group): one per
    // app-id, as Dapr's default; daprd fills {appID} in after envRef.
    PLATFORM_EVENTS_CONSUMER: slot === 0 ? '{appID}' : `t${slot}-{appID}`,
    // Where a new JetStream durable starts: all that is kept for npm start;
    // for a test platform, whose durables the harness removes before it
    // starts (prepareProfile freshConsumers), from then on.
    PLATFORM_EVENTS_DELIVER_POLICY: slot === 0 ? 'all' : 'new',
  };
}

/** Where daprd is: DAPRD_PATH, else `$DAPR_RUNTIME_PATH/.dapr/bin/daprd`, else the repo's own build. */
export function daprdPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env['DAPRD_PATH']) return env['DAPRD_PATH'];
  return join(env['DAPR_RUNTIME_PATH'] || REPO_ROOT, '.dapr', 'bin', 'daprd');
}
