/**
 * What a component profile needs on its servers before the sidecars start,
 * made by `npm start` and the test harness so that a fresh machine (or one
 * that restarted) needs no manual step. Decided by the component types in
 * the profile's YAML, not by the profile's name, so a profile that swaps a
 * component gets the matching setup:
 *
 * - `pubsub.jetstream`: the component never creates streams, and a subscribe
 *   or publish on a subject no stream captures fails. One stream per topic
 *   (so one durable name per app-id can consume several topics), named after
 *   the topic. Every stream is sized for `events` (on disk, bounded by count
 *   and age); `fanout` consumers start at new messages anyway. A subject
 *   belongs to one stream whichever component publishes on it, so a topic
 *   must not be published on both components.
 * - `pubsub.rabbitmq` with a vhost in its connectionString: the vhost is
 *   made (rabbitmqctl, once per broker) when it does not exist. The fanout
 *   component of the postgres profile has a vhost of its own because an
 *   exchange is named after the topic: `events` declares it durable and
 *   `fanout` auto-delete, and RabbitMQ refuses the second declaration of a
 *   topic published on both (PRECONDITION_FAILED, inequivalent arg; seen
 *   while chat-service published `message.created` on both).
 * - `state.mysql`: the component creates its table itself, but not safely
 *   when several sidecars start at once (each adds the `row_id` column; all
 *   but one exit with "Duplicate column name 'row_id'"). The table is made
 *   here first, in the component's own final shape, so its checks find
 *   nothing to do.
 *
 * Tooling only: the one place a NATS, AMQP or MySQL client is used, never in
 * services/*\/src (docs/architecture.md: services reach stores only through their sidecar).
 */
import { execFile } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { APP_IDS, EVENT_TOPICS, FANOUT_TOPICS } from '@chat/platform';

export interface ProfileComponent {
  name: string;
  type: string;
  /** Metadata values: `value:` items, and `envRef:` items read from the env given (secretKeyRef items are left out). */
  metadata: Record<string, string>;
  /** The metadata items whose value came from the env (envRef). */
  fromEnv: Set<string>;
}

/** The Component resources of a profile folder. */
export function readProfileComponents(resourcesPath: string, env: Record<string, string | undefined> = {}): ProfileComponent[] {
  const found: ProfileComponent[] = [];
  for (const file of readdirSync(resourcesPath)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()) {
    for (const document of parseAllDocuments(readFileSync(join(resourcesPath, file), 'utf8'))) {
      const resource = document.toJS() as {
        kind?: string;
        metadata?: { name?: string };
        spec?: { type?: string; metadata?: Array<{ name: string; value?: string | number | boolean | null; envRef?: string }> };
      } | null;
      if (resource?.kind !== 'Component' || !resource.metadata?.name || !resource.spec?.type) continue;
      const metadata: Record<string, string> = {};
      const fromEnv = new Set<string>();
      for (const item of resource.spec.metadata ?? []) {
        if (item.value !== undefined && item.value !== null) metadata[item.name] = String(item.value);
        else if (item.envRef && env[item.envRef] !== undefined) {
          metadata[item.name] = env[item.envRef]!;
          fromEnv.add(item.name);
        }
      }
      found.push({ name: resource.metadata.name, type: resource.spec.type, metadata, fromEnv });
    }
  }
  return found;
}

/** Every topic published on any pub/sub component, from the shared names. */
export function allTopics(): string[] {
  return [...new Set([...EVENT_TOPICS, ...Object.values(FANOUT_TOPICS)])].sort();
}

/** A JetStream stream name (no dots, wildcards or spaces) for a topic. */
export function streamName(topic: string): string {
  return `platform_${topic}`.replace(/[^A-Za-z0-9_-]/g, '_');
}

/** Limits of every stream: what `events` needs (a consumer that was down finds what it missed). */
const STREAM_LIMITS = { maxAgeMs: 7 * 24 * 60 * 60_000, maxMsgs: 100_000 };

export interface PrepareResult {
  /** What was made, for the caller to show ("created stream events_user_registered"). */
  actions: string[];
}

export interface PrepareOptions {
  /**
   * Remove this run's durable consumers of `events` first (RabbitMQ queues
   * `<consumerID>-<topic>`, JetStream durables), so that a test platform
   * starts with nothing queued for it: another run on the same broker
   * publishes the same topics, and what a slot's durable queue gathered
   * while unused would be delivered at the next start. Only for names that
   * come from the run's env (a test slot's own); never for npm start.
   */
  freshConsumers?: boolean;
}

/**
 * Makes what the profile's components need on their servers; idempotent.
 * `env` is the run's environment (prepareRunEnv), for envRef values.
 */
export async function prepareProfile(
  resourcesPath: string,
  env: Record<string, string | undefined> = {},
  options: PrepareOptions = {},
): Promise<PrepareResult> {
  const actions: string[] = [];
  const components = readProfileComponents(resourcesPath, env);
  const jetstream = components.filter((c) => c.type === 'pubsub.jetstream');
  if (jetstream.length > 0) actions.push(...(await ensureJetStreamStreams(jetstream, options)));
  for (const component of components.filter((c) => c.type === 'pubsub.rabbitmq')) {
    actions.push(...(await ensureRabbitVhost(component)));
    if (options.freshConsumers) actions.push(...(await removeRabbitQueues(component)));
  }
  for (const component of components.filter((c) => c.type === 'state.mysql')) {
    actions.push(...(await ensureMySqlTables(component)));
  }
  return { actions };
}

/** A Go MySQL DSN (`user:password@tcp(host:port)/db?params`), as the component takes it. */
export function parseMySqlDsn(dsn: string): { user: string; password: string; host: string; port: number } {
  const match = /^(?:([^:@]*)(?::([^@]*))?@)?(?:tcp\(([^)]*)\))?\//.exec(dsn);
  if (!match) throw new Error(`cannot read the MySQL connectionString "${dsn}" (expected user:password@tcp(host:port)/...)`);
  const [host = '127.0.0.1', port = '3306'] = (match[3] || '127.0.0.1:3306').split(':');
  return { user: match[1] || 'root', password: match[2] ?? '', host, port: Number.parseInt(port, 10) };
}

const SQL_NAME = /^[A-Za-z0-9_]+$/;

async function ensureMySqlTables(component: ProfileComponent): Promise<string[]> {
  const { createConnection } = await import('mysql2/promise');
  const dsn = component.metadata['connectionString'] ?? component.metadata['url'];
  if (!dsn) throw new Error(`component ${component.name}: no connectionString (a secretKeyRef is not read by the setup)`);
  // The component's defaults (contrib state/mysql).
  const schema = component.metadata['schemaName'] || 'dapr_state_store';
  const table = component.metadata['tableName'] || 'state';
  const metadataTable = component.metadata['metadataTableName'] || 'dapr_metadata';
  for (const name of [schema, table, metadataTable]) {
    if (!SQL_NAME.test(name)) throw new Error(`component ${component.name}: "${name}" is not a plain SQL name`);
  }
  const { user, password, host, port } = parseMySqlDsn(dsn);
  let connection;
  try {
    connection = await createConnection({ host, port, user, password, connectTimeout: 5_000 });
  } catch (error) {
    throw new Error(`cannot reach MySQL/MariaDB at ${host}:${port} to create the state table (${(error as Error).message})`);
  }
  try {
    const [existing] = await connection.query('SELECT TABLE_NAME FROM information_schema.tables WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [schema, table]);
    await connection.query(`CREATE DATABASE IF NOT EXISTS \`${schema}\``);
    // contrib's CREATE TABLE plus the row_id column it adds after (v1.17+).
    await connection.query(`CREATE TABLE IF NOT EXISTS \`${schema}\`.\`${table}\` (
      id VARCHAR(255) NOT NULL PRIMARY KEY,
      value JSON NOT NULL,
      isbinary BOOLEAN NOT NULL,
      insertDate TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
      updateDate TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
      eTag VARCHAR(36) NOT NULL,
      expiredate TIMESTAMP NULL,
      row_id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
      INDEX expiredate_idx (expiredate),
      UNIQUE KEY row_id_uidx (row_id)
    )`);
    await connection.query(`CREATE TABLE IF NOT EXISTS \`${schema}\`.\`${metadataTable}\` (id VARCHAR(255) NOT NULL PRIMARY KEY, value TEXT NOT NULL)`);
    return (existing as unknown[]).length === 0 ? [`created MySQL table ${schema}.${table}`] : [];
  } finally {
    await connection.end();
  }
}

/** The durable consumer names a component gives each app-id, when set from the env per run; else none. */
function durableNames(component: ProfileComponent, key: string): string[] {
  const template = component.metadata[key];
  if (!template || !component.fromEnv.has(key) || !template.includes('{appID}')) return [];
  return Object.values(APP_IDS).map((appId) => template.replaceAll('{appID}', appId));
}

async function ensureJetStreamStreams(components: ProfileComponent[], options: PrepareOptions): Promise<string[]> {
  // Loaded only for a profile that needs it.
  const { connect, nanos, DiscardPolicy, RetentionPolicy, StorageType } = await import('nats');
  const actions: string[] = [];
  const urlOf = (c: ProfileComponent) => c.metadata['natsURL'] ?? 'nats://127.0.0.1:4222';
  for (const url of new Set(components.map(urlOf))) {
    const group = components.filter((c) => urlOf(c) === url);
    let nc;
    try {
      nc = await connect({ servers: url, timeout: 5_000, name: 'chat-platform setup' });
    } catch (error) {
      throw new Error(`cannot reach NATS at ${url} to create the JetStream streams (${(error as Error).message}); start nats-server with -js`);
    }
    try {
      const jsm = await nc.jetstreamManager({ timeout: 5_000 });
      for (const topic of allTopics()) {
        const name = streamName(topic);
        const existing = await jsm.streams.find(topic).catch(() => undefined);
        if (existing !== undefined) continue;
        // A stream that already captures the topic (made here before, or by
        // hand) serves as it is: its data and consumers stay.
        await jsm.streams.add({
          name,
          subjects: [topic],
          retention: RetentionPolicy.Limits,
          discard: DiscardPolicy.Old,
          storage: StorageType.File,
          max_age: nanos(STREAM_LIMITS.maxAgeMs),
          max_msgs: STREAM_LIMITS.maxMsgs,
          num_replicas: 1,
        });
        actions.push(`created JetStream stream ${name} (${topic})`);
      }
      if (options.freshConsumers) {
        const durables = group.flatMap((c) => durableNames(c, 'durableName'));
        for (const topic of durables.length > 0 ? allTopics() : []) {
          const stream = await jsm.streams.find(topic).catch(() => undefined);
          if (stream === undefined) continue;
          for (const durable of durables) await jsm.consumers.delete(stream, durable).catch(() => false);
        }
      }
    } finally {
      await nc.close();
    }
  }
  return actions;
}

const run = promisify(execFile);

/** Deletes the queues a RabbitMQ component's per-run consumerID names (see PrepareOptions). */
async function removeRabbitQueues(component: ProfileComponent): Promise<string[]> {
  const consumers = durableNames(component, 'consumerID');
  const connectionString = component.metadata['connectionString'];
  if (consumers.length === 0 || !connectionString) return [];
  const amqp = await import('amqplib');
  const connection = await amqp.connect(connectionString, { timeout: 5_000 });
  try {
    const channel = await connection.createChannel();
    let messages = 0;
    for (const consumer of consumers) {
      for (const topic of allTopics()) messages += (await channel.deleteQueue(`${consumer}-${topic}`)).messageCount;
    }
    await channel.close();
    return messages > 0 ? [`dropped ${messages} stale message(s) of component ${component.name}`] : [];
  } finally {
    await connection.close();
  }
}

/** Makes the vhost a RabbitMQ component's connectionString names, if it is missing. */
async function ensureRabbitVhost(component: ProfileComponent): Promise<string[]> {
  const connectionString = component.metadata['connectionString'];
  if (!connectionString) return [];
  const url = new URL(connectionString);
  const vhost = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (vhost === '' || vhost === '/') return [];
  const amqp = await import('amqplib');
  const opens = async (): Promise<boolean> => {
    try {
      const connection = await amqp.connect(connectionString, { timeout: 5_000 });
      await connection.close();
      return true;
    } catch (error) {
      const message = (error as Error).message;
      // The server closes the connection at Connection.Open (530
      // NOT_ALLOWED) when the vhost is missing or the user has no permission
      // on it; amqplib says "Expected ConnectionOpenOk; got <ConnectionClose>".
      if (/ConnectionOpenOk|ConnectionClose|530|NOT_ALLOWED|vhost/i.test(message)) return false;
      throw new Error(`cannot reach RabbitMQ at ${url.host} for component ${component.name} (${message}); start it: rabbitmq-server -detached`);
    }
  };
  if (await opens()) return [];
  const user = decodeURIComponent(url.username || 'guest');
  const hint = `make it once: rabbitmqctl add_vhost ${vhost} && rabbitmqctl set_permissions -p ${vhost} ${user} ".*" ".*" ".*"`;
  try {
    await run('rabbitmqctl', ['-q', 'add_vhost', vhost], { timeout: 60_000 });
  } catch (error) {
    // Made meanwhile by a run starting at the same time: fine.
    const said = `${(error as { stderr?: string }).stderr ?? ''} ${(error as Error).message}`;
    if (!/already.?exists/i.test(said)) {
      throw new Error(`RabbitMQ has no vhost "${vhost}" (component ${component.name}) and rabbitmqctl could not make it (${said.trim()}); ${hint}`);
    }
  }
  await run('rabbitmqctl', ['-q', 'set_permissions', '-p', vhost, user, '.*', '.*', '.*'], { timeout: 60_000 });
  if (!(await opens())) throw new Error(`RabbitMQ vhost "${vhost}" was made but ${user} cannot open it; ${hint}`);
  return [`created RabbitMQ vhost ${vhost}`];
}
