import { io, type Socket } from 'socket.io-client';
import { ApiError } from './errors.js';
import type { Session } from './session.js';
import type { AckResponse, ChatMessage, ClientToServerEvents, ServerToClientEvents } from './types.js';

export type ConnectionState = 'connecting' | 'online' | 'reconnecting' | 'offline';

export type ChatSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

const COMMAND_TIMEOUT_MS = 10_000;
const BACKOFF_MS = [0, 1_000, 2_000, 5_000, 10_000];

/**
 * The Socket.IO half of the contract (docs/realtime.md,
 * packages/platform/src/realtime/events.ts): one connection per signed-in
 * tab, to the same origin, `path: '/socket.io'`, websocket only (the gateway
 * replicas share no session store, so long-polling's several requests could
 * land on different replicas).
 *
 * Staying connected:
 * - the handshake reads the session's current access token each time
 *   (`auth` is a function), so every reconnect uses a fresh one;
 * - a refreshed token is handed to the live socket with `auth:refresh`,
 *   so the server does not close it at the old token's expiry;
 * - if it does (`auth:expired`, then `io server disconnect`) or a handshake is
 *   refused as `unauthenticated`, the session is refreshed and the socket
 *   connects again; `unavailable` is retried with a backoff;
 * - the browser going offline closes the socket at once (an open websocket
 *   may otherwise linger unnoticed), and coming back online reconnects at once.
 *
 * Every successful connect is reported to `onConnect` listeners: that is when
 * the client catches up with `sync` (events are not replayed by the server).
 */
export class Realtime {
  readonly socket: ChatSocket;
  private state: ConnectionState = 'connecting';
  private stopped = false;
  private offline = false;
  private failures = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly stateListeners = new Set<(state: ConnectionState) => void>();
  private readonly connectListeners = new Set<() => void>();
  private readonly cleanups: Array<() => void> = [];
  private readonly session: Session;

  constructor(session: Session) {
    this.session = session;
    this.socket = io({
      path: '/socket.io',
      transports: ['websocket'],
      autoConnect: false,
      auth: (cb) => cb({ token: this.session.accessToken ?? '' }),
      reconnectionDelay: 500,
      reconnectionDelayMax: 5_000,
    });
    this.socket.on('connect', () => {
      this.failures = 0;
      this.setState('online');
      for (const listener of this.connectListeners) listener();
    });
    this.socket.on('disconnect', (reason) => {
      if (this.stopped) return;
      if (this.offline) return this.setState('offline');
      this.setState('reconnecting');
      // After a server-side close (token expired, replica shutting down) Socket.IO does not reconnect by itself.
      if (reason === 'io server disconnect') this.reconnect(false);
    });
    this.socket.on('connect_error', (error) => {
      if (this.stopped) return;
      this.setState(this.offline ? 'offline' : 'reconnecting');
      // `active`: a transport failure that Socket.IO retries itself; otherwise the server refused the handshake.
      if (this.socket.active) return;
      this.reconnect(error.message === 'unauthenticated');
    });
    this.cleanups.push(
      this.session.onChange((event) => {
        if (event === 'refreshed' && this.socket.connected) {
          // If the server refuses it, the old expiry stands: `auth:expired` then a reconnect.
          this.socket.emit('auth:refresh', { token: this.session.accessToken ?? '' }, () => undefined);
        }
      }),
    );
    const goneOffline = () => {
      this.offline = true;
      this.socket.disconnect();
      this.setState('offline');
    };
    const backOnline = () => {
      this.offline = false;
      this.failures = 0;
      this.reconnect(false);
    };
    window.addEventListener('offline', goneOffline);
    window.addEventListener('online', backOnline);
    this.cleanups.push(
      () => window.removeEventListener('offline', goneOffline),
      () => window.removeEventListener('online', backOnline),
    );
  }

  start(): void {
    if (navigator.onLine) {
      this.socket.connect();
    } else {
      this.offline = true;
      this.setState('offline');
    }
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    for (const cleanup of this.cleanups) cleanup();
    this.socket.disconnect();
  }

  get connectionState(): ConnectionState {
    return this.state;
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  onState(listener: (state: ConnectionState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  /** Called on every connect, the first one and each reconnect. */
  onConnect(listener: () => void): () => void {
    this.connectListeners.add(listener);
    return () => this.connectListeners.delete(listener);
  }

  // ---- commands, each answered through its ack

  async send(roomId: string, body: string, clientMsgId: string): Promise<ChatMessage> {
    return (await this.ask<{ message: ChatMessage }>('message:send', { roomId, body, clientMsgId })).message;
  }

  async edit(roomId: string, seq: number, body: string): Promise<ChatMessage> {
    return (await this.ask<{ message: ChatMessage }>('message:edit', { roomId, seq, body })).message;
  }

  async remove(roomId: string, seq: number): Promise<void> {
    await this.ask('message:delete', { roomId, seq });
  }

  /** The messages after `afterSeq`, ascending; `hasMore` when there are more than `limit`. */
  sync(roomId: string, afterSeq: number, limit = 100): Promise<{ messages: ChatMessage[]; hasMore: boolean }> {
    return this.ask('sync', { roomId, afterSeq, limit });
  }

  async read(roomId: string, seq: number): Promise<void> {
    await this.ask('read', { roomId, seq });
  }

  /** Fire and forget: the server throttles and expires it. */
  typing(roomId: string, typing: boolean): void {
    if (this.socket.connected) this.socket.emit('typing', { roomId, typing });
  }

  /**
   * Emits a command and waits for its ack. Rejects with the ack's error, with
   * `timeout` when no ack comes in time, and with `network` at once when the
   * socket is not connected or drops before the answer (the caller decides
   * whether to repeat: a send carries its `clientMsgId`, so repeating it never
   * makes a second message).
   */
  private ask<T extends object>(event: keyof ClientToServerEvents, payload: unknown): Promise<T & { ok: true }> {
    const socket = this.socket;
    if (!socket.connected) return Promise.reject(new ApiError('network', 'Not connected'));
    return new Promise((resolve, reject) => {
      let settled = false;
      const settle = (finish: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.off('disconnect', dropped);
        finish();
      };
      const dropped = () => settle(() => reject(new ApiError('network', 'The connection was lost')));
      const timer = setTimeout(() => settle(() => reject(new ApiError('timeout', 'No answer from the server'))), COMMAND_TIMEOUT_MS);
      socket.on('disconnect', dropped);
      const emit = socket.emit.bind(socket) as unknown as (event: string, payload: unknown, ack: (response: AckResponse<T>) => void) => void;
      emit(event, payload, (response) => settle(() => (response.ok ? resolve(response) : reject(ApiError.fromAck(response.error)))));
    });
  }

  /** Connects again, with a refreshed token first when the last one was refused; backs off on repeated failures. */
  private reconnect(refreshToken: boolean): void {
    clearTimeout(this.retryTimer);
    const delay = BACKOFF_MS[Math.min(this.failures, BACKOFF_MS.length - 1)]!;
    this.failures++;
    const stale = this.session.accessToken ?? undefined;
    this.retryTimer = setTimeout(() => {
      void (refreshToken ? this.session.refresh(stale) : this.session.validToken()).then(
        () => {
          if (this.stopped || this.offline || this.socket.connected) return;
          this.setState('connecting');
          this.socket.connect();
        },
        () => {
          // The session ended (the app signs out) or the refresh must wait: try again later.
          if (this.session.user && !this.stopped) this.reconnect(refreshToken);
        },
      );
    }, delay);
  }

  private setState(state: ConnectionState): void {
    if (state === this.state) return;
    this.state = state;
    for (const listener of this.stateListeners) listener(state);
  }
}
