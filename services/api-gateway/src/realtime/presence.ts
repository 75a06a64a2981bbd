/**
 * Who is online, across gateway replicas. One record per user,
 * `{replicas: {replicaId: expiresAtMs}}`: each replica with a live socket of
 * that user keeps its entry fresh with a heartbeat, and the record carries a
 * TTL. So a user is online while any entry is fresh, goes offline when the
 * last replica removes its entry, and a crashed replica's entries stop
 * counting once they are `ttlSeconds` old (and the record expires with them
 * when nobody else refreshes it). Writes name the version they read; a lost
 * race reads again.
 */
import { randomUUID } from 'node:crypto';
import { conflict, type Logger } from '@chat/platform';

export type PresenceChange = 'online' | 'offline' | undefined;

export interface PresenceRecord {
  replicas: Record<string, number>;
}

/**
 * The records shared by every replica, with versions (ETags) and expiry:
 * adapters/dapr/presence-records.ts keeps them in the gateway's state store.
 */
export interface PresenceRecords {
  /** One bulk read; users without a record are absent from the map. */
  readMany(userIds: string[]): Promise<Map<string, PresenceRecord>>;
  read(userId: string): Promise<{ record: PresenceRecord; version: string | undefined } | undefined>;
  /**
   * Writes the record if it is still at `version` (absent when undefined),
   * expiring after `ttlSeconds`; false when another write came first.
   */
  write(userId: string, record: PresenceRecord, condition: { version: string | undefined; ttlSeconds: number }): Promise<boolean>;
  /** Deletes the record if it is still at `version`; false when another write came first. */
  remove(userId: string, version: string | undefined): Promise<boolean>;
}

export interface PresenceStoreOptions {
  records: PresenceRecords;
  logger: Logger;
  /** How long an entry stays valid without a heartbeat. */
  ttlSeconds: number;
  /** This replica's id in the records; unique per process so a restart never inherits old entries. */
  replicaId?: string;
  now?: () => number;
}

const MAX_ATTEMPTS = 8;

export class PresenceStore {
  readonly replicaId: string;
  private readonly chains = new Map<string, Promise<unknown>>();
  private readonly options: PresenceStoreOptions;

  constructor(options: PresenceStoreOptions) {
    this.options = options;
    this.replicaId = options.replicaId ?? randomUUID();
  }

  /** One bulk read: the ones among `userIds` with a fresh entry on any replica. */
  async online(userIds: string[]): Promise<Set<string>> {
    const unique = [...new Set(userIds)];
    const found = await this.options.records.readMany(unique);
    const now = this.now();
    const online = new Set<string>();
    for (const userId of unique) {
      const record = found.get(userId);
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
    void run
      .finally(() => {
        if (this.chains.get(userId) === run) this.chains.delete(userId);
      })
      .catch(() => undefined);
    return run;
  }

  private async write(userId: string, local: boolean): Promise<PresenceChange> {
    const { records } = this.options;
    for (let attempt = 1; ; attempt++) {
      const item = await records.read(userId);
      const now = this.now();
      const live = item ? liveEntries(item.record, now) : [];
      const before = live.length > 0;
      const replicas = Object.fromEntries(live.filter(([id]) => id !== this.replicaId));
      if (local) replicas[this.replicaId] = now + this.options.ttlSeconds * 1000;
      const after = Object.keys(replicas).length > 0;
      const written = !after
        ? !item || (await records.remove(userId, item.version))
        : await records.write(userId, { replicas }, { version: item?.version, ttlSeconds: this.options.ttlSeconds });
      if (written) return before === after ? undefined : after ? 'online' : 'offline';
      if (attempt >= MAX_ATTEMPTS) throw conflict(`Presence of ${userId} kept changing while it was written (${attempt} attempts)`);
      this.options.logger.debug({ userId, attempt }, 'presence write raced another replica; reading again');
    }
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }
}

function liveEntries(record: PresenceRecord, now: number): Array<[string, number]> {
  const replicas = record && typeof record === 'object' && record.replicas && typeof record.replicas === 'object' ? record.replicas : {};
  return Object.entries(replicas).filter((entry): entry is [string, number] => typeof entry[1] === 'number' && entry[1] > now);
}
