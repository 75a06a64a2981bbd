/**
 * Who is online, across gateway replicas, in the gateway's own state (keys
 * prefixed `api-gateway||` by daprd). One key per user,
 * `presence:{userId}` = `{replicas: {replicaId: expiresAtMs}}`: each replica
 * with a live socket of that user keeps its entry fresh with a heartbeat, and
 * the key carries a TTL. So a user is online while any entry is fresh, goes
 * offline when the last replica removes its entry, and a crashed replica's
 * entries stop counting once they are `ttlSeconds` old (and the key expires
 * with them when nobody else refreshes it). Writes use the key's ETag; a lost
 * race reads again. https://docs.dapr.io/reference/api/state_api/
 */
import { randomUUID } from 'node:crypto';
import { COMPONENTS, StateConflictError, type Logger, type Sidecar } from '@chat/platform';
import type { PresenceReader } from '../http/routes/deps.js';

export type PresenceChange = 'online' | 'offline' | undefined;

interface PresenceRecord {
  replicas: Record<string, number>;
}

export interface PresenceStoreOptions {
  sidecar: Sidecar;
  logger: Logger;
  /** How long an entry stays valid without a heartbeat. */
  ttlSeconds: number;
  /** This replica's id in the records; unique per process so a restart never inherits old entries. */
  replicaId?: string;
  store?: string;
  now?: () => number;
}

const MAX_ATTEMPTS = 8;

export class PresenceStore implements PresenceReader {
  readonly replicaId: string;
  private readonly store: string;
  private readonly chains = new Map<string, Promise<unknown>>();
  private readonly options: PresenceStoreOptions;

  constructor(options: PresenceStoreOptions) {
    this.options = options;
    this.replicaId = options.replicaId ?? randomUUID();
    this.store = options.store ?? COMPONENTS.stateStore;
  }

  /** One bulk read: the ones among `userIds` with a fresh entry on any replica. */
  async online(userIds: string[]): Promise<Set<string>> {
    const unique = [...new Set(userIds)];
    const found = await this.options.sidecar.state.getBulk<PresenceRecord>(this.store, unique.map(keyOf));
    const now = this.now();
    const online = new Set<string>();
    for (const userId of unique) {
      const record = found.get(keyOf(userId))?.value;
      if (record && liveEntries(record, now).length > 0) online.add(userId);
    }
    return online;
  }

  /**
   * Brings this replica's entry for `userId` in line with `isLocal()` (read
   * when the write happens, so bursts of connects and disconnects collapse),
   * refreshing it when present. Calls for one user run one after another.
   * Answers the user's transition across all replicas, if there was one.
   */
  reconcile(userId: string, isLocal: () => boolean): Promise<PresenceChange> {
    const previous = this.chains.get(userId) ?? Promise.resolve();
    const run = previous.then(
      () => this.write(userId, isLocal()),
      () => this.write(userId, isLocal()),
    );
    this.chains.set(userId, run);
    void run.finally(() => {
      if (this.chains.get(userId) === run) this.chains.delete(userId);
    }).catch(() => undefined);
    return run;
  }

  private async write(userId: string, local: boolean): Promise<PresenceChange> {
    const { sidecar } = this.options;
    const key = keyOf(userId);
    for (let attempt = 1; ; attempt++) {
      const item = await sidecar.state.get<PresenceRecord>(this.store, key);
      const now = this.now();
      const live = item ? liveEntries(item.value, now) : [];
      const before = live.length > 0;
      const replicas = Object.fromEntries(live.filter(([id]) => id !== this.replicaId));
      if (local) replicas[this.replicaId] = now + this.options.ttlSeconds * 1000;
      const after = Object.keys(replicas).length > 0;
      try {
        if (!after) {
          if (item) await sidecar.state.delete(this.store, key, item.etag);
        } else {
          await sidecar.state.save<PresenceRecord>(this.store, key, { replicas }, {
            ...(item?.etag ? { etag: item.etag } : { firstWrite: true }),
            ttlSeconds: this.options.ttlSeconds,
          });
        }
        return before === after ? undefined : after ? 'online' : 'offline';
      } catch (error) {
        if (!(error instanceof StateConflictError) || attempt >= MAX_ATTEMPTS) throw error;
        this.options.logger.debug({ userId, attempt }, 'presence write raced another replica; reading again');
      }
    }
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }
}

const keyOf = (userId: string): string => `presence:${userId}`;

function liveEntries(record: PresenceRecord, now: number): Array<[string, number]> {
  const replicas = record && typeof record === 'object' && record.replicas && typeof record.replicas === 'object' ? record.replicas : {};
  return Object.entries(replicas).filter((entry): entry is [string, number] => typeof entry[1] === 'number' && entry[1] > now);
}
