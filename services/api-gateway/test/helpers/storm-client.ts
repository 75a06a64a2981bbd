import { io } from 'socket.io-client';
import type { AckResponse, ChatMessage } from '@chat/platform';
import type { ClientSocket } from './socket-client.js';
import type { TestUser } from './platform-users.js';

/**
 * A chat client as a real one behaves under faults, for the fault tests:
 * sends one message at a time with a `clientMsgId`, and on an error or a lost
 * answer sends the same `clientMsgId` again until it is acknowledged; when
 * its connection drops it reconnects (its own replica first, else another)
 * and catches up with `sync` from the last seq it holds in each room.
 *
 * It records everything the assertions need: every acknowledged message,
 * every send attempt (outcome, error code, time to answer, whether the
 * connection stayed up), and per connection ("session") the `message:new`
 * seqs it received per room, in arrival order.
 */
export interface SendAttempt {
  clientMsgId: string;
  roomId: string;
  ms: number;
  outcome: 'ok' | 'error' | 'no answer';
  code?: string;
  /** The connection was up from the send to its answer (or to the deadline). */
  connected: boolean;
}

export interface Session {
  replica: number;
  /** roomId → seqs of `message:new`, in arrival order. */
  delivered: Map<string, number[]>;
}

export interface StormClientOptions {
  user: TestUser;
  urls: string[];
  /** Index in `urls` of the replica this client prefers. */
  home: number;
  roomIds: string[];
  /** How long to wait for an ack before counting the answer as lost (the gateway's timeout plus slack). */
  ackTimeoutMs: number;
  /** Pause between two sends, and before resending after an error. */
  pauseMs: number;
}

export class StormClient {
  readonly acked = new Map<string, ChatMessage>();
  readonly attempts: SendAttempt[] = [];
  readonly sessions: Session[] = [];
  /** roomId → seqs received through `sync`. */
  readonly synced = new Map<string, Set<number>>();
  /** Reconnections made because the connection dropped (not asked for). */
  drops = 0;

  private socket: ClientSocket | undefined;
  private connecting: Promise<void> | undefined;
  private stopping = false;
  private closed = false;
  private sent = 0;
  private readonly options: StormClientOptions;

  constructor(options: StormClientOptions) {
    this.options = options;
  }

  get user(): TestUser {
    return this.options.user;
  }

  get connected(): boolean {
    return this.socket?.connected ?? false;
  }

  /** The replica of the current connection. */
  get replica(): number | undefined {
    return this.connected ? this.sessions.at(-1)?.replica : undefined;
  }

  /** Connects (home replica first); after the first connection, catches up with sync. */
  connect(preferred = this.options.home): Promise<void> {
    this.connecting ??= this.open(preferred).finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  /** Closes the connection on purpose and connects to `replica`, then syncs. */
  async moveTo(replica: number): Promise<void> {
    const old = this.socket;
    this.socket = undefined;
    old?.removeAllListeners();
    old?.close();
    await this.connect(replica);
  }

  /** Sends until `finish()`; resolves once the message in flight then is acknowledged. */
  async storm(): Promise<void> {
    while (!this.stopping) {
      const n = this.sent++;
      const roomId = this.options.roomIds[n % this.options.roomIds.length]!;
      await this.sendUntilAcked(roomId, `${this.user.username}-${n}`, `message ${n} from ${this.user.username}`);
      await sleep(this.options.pauseMs);
    }
  }

  /** Asks storm() to stop after the message in flight. */
  finish(): void {
    this.stopping = true;
  }

  /** Every seq of the room this client holds: live deliveries of every session and sync answers. */
  received(roomId: string): Set<number> {
    const seqs = new Set(this.synced.get(roomId) ?? []);
    for (const session of this.sessions) for (const seq of session.delivered.get(roomId) ?? []) seqs.add(seq);
    return seqs;
  }

  close(): void {
    this.closed = true;
    this.stopping = true;
    this.socket?.removeAllListeners();
    this.socket?.close();
  }

  private async sendUntilAcked(roomId: string, clientMsgId: string, body: string): Promise<void> {
    while (!this.closed) {
      if (!this.connected) {
        await this.connect();
        continue;
      }
      const socket = this.socket!;
      const started = Date.now();
      let response: AckResponse<{ message: ChatMessage }> | undefined;
      try {
        response = await socket.timeout(this.options.ackTimeoutMs).emitWithAck('message:send', { roomId, body, clientMsgId });
      } catch {
        response = undefined;
      }
      const ms = Date.now() - started;
      const connected = socket === this.socket && socket.connected;
      if (response?.ok) {
        this.attempts.push({ clientMsgId, roomId, ms, outcome: 'ok', connected });
        this.acked.set(clientMsgId, response.message);
        return;
      }
      this.attempts.push({
        clientMsgId,
        roomId,
        ms,
        outcome: response ? 'error' : 'no answer',
        ...(response && !response.ok ? { code: response.error.code } : {}),
        connected,
      });
      await sleep(this.options.pauseMs);
    }
  }

  private async open(preferred: number): Promise<void> {
    const { urls } = this.options;
    for (let attempt = 0; !this.closed; attempt++) {
      const replica = (preferred + attempt) % urls.length;
      try {
        await this.openOn(replica);
      } catch {
        // That replica is down or cannot load our rooms yet (its store is down): try the next, then again.
        await sleep(attempt < urls.length ? 50 : 300);
        continue;
      }
      try {
        await this.catchUp();
        return;
      } catch {
        // History cannot be read right now: start over on a fresh connection.
        const socket = this.socket;
        this.socket = undefined;
        socket?.removeAllListeners();
        socket?.close();
        await sleep(300);
      }
    }
  }

  private openOn(replica: number): Promise<void> {
    const socket: ClientSocket = io(this.options.urls[replica], {
      path: '/socket.io',
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      timeout: 5_000,
      auth: { token: this.user.token },
    });
    const session: Session = { replica, delivered: new Map() };
    socket.on('message:new', (message) => {
      const seqs = session.delivered.get(message.roomId) ?? [];
      seqs.push(message.seq);
      session.delivered.set(message.roomId, seqs);
    });
    return new Promise<void>((resolve, reject) => {
      socket.once('connect', () => {
        socket.off('connect_error');
        this.socket = socket;
        this.sessions.push(session);
        socket.on('disconnect', () => {
          if (this.socket !== socket || this.closed) return;
          // The replica died: reconnect and catch up, as a client does.
          this.drops++;
          void this.connect();
        });
        resolve();
      });
      socket.once('connect_error', (error) => {
        socket.removeAllListeners();
        socket.close();
        reject(error);
      });
    });
  }

  /** `sync` of every room from the last seq held without a gap, to the end. */
  private async catchUp(): Promise<void> {
    if (this.sessions.length <= 1) return;
    for (const roomId of this.options.roomIds) {
      const held = this.received(roomId);
      let after = 0;
      while (held.has(after + 1)) after++;
      for (;;) {
        const socket = this.socket;
        if (!socket?.connected) throw new Error('disconnected during sync');
        const page = await socket.timeout(this.options.ackTimeoutMs).emitWithAck('sync', { roomId, afterSeq: after, limit: 100 });
        if (!page.ok) throw new Error(`sync answered ${page.error.code}`);
        const seqs = this.synced.get(roomId) ?? new Set<number>();
        for (const message of page.messages) seqs.add(message.seq);
        this.synced.set(roomId, seqs);
        after = page.messages.at(-1)?.seq ?? after;
        if (!page.hasMore) break;
      }
    }
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
