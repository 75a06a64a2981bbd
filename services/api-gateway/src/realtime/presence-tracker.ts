/**
 * This replica's side of presence: it counts each user's live sockets here,
 * keeps the user's entry in the shared PresenceStore in line with that count
 * (on connect, on disconnect, and on every heartbeat), and tells the user's
 * rooms, through fanout, when the user went online or offline across all
 * replicas.
 */
import { FANOUT_TOPICS, SOCKET_ROOMS, type Logger, type PresenceState } from '@chat/platform';
import type { FanoutPublisher } from './fanout.js';
import type { PresenceChange, PresenceStore } from './presence.js';
import type { RealtimeServer, RealtimeSocket } from './types.js';

export interface PresenceTrackerDeps {
  io: RealtimeServer;
  presence: PresenceStore;
  fanout: FanoutPublisher;
  logger: Logger;
}

/** The ids of the rooms a socket is in. */
export const roomIdsOf = (socket: RealtimeSocket): string[] => [...socket.rooms].filter((name) => name.startsWith('room:')).map((name) => name.slice(5));

export class PresenceTracker {
  /** Live sockets per user on this replica. */
  private readonly localSockets = new Map<string, number>();
  /** Presence writes and publishes in flight (awaited on close). */
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly deps: PresenceTrackerDeps;

  constructor(deps: PresenceTrackerDeps) {
    this.deps = deps;
  }

  /** A socket of the user connected here. */
  opened(userId: string): void {
    this.localSockets.set(userId, (this.localSockets.get(userId) ?? 0) + 1);
  }

  /** A socket of the user closed here; when it was the user's last, their presence is written with `roomsAtClose`. */
  closed(userId: string, roomsAtClose: string[]): void {
    const left = (this.localSockets.get(userId) ?? 1) - 1;
    if (left > 0) this.localSockets.set(userId, left);
    else this.localSockets.delete(userId);
    if (left === 0) void this.reconcile(userId, () => roomsAtClose);
  }

  /** Rooms of a user's connected sockets on this replica, as room ids. */
  roomsOf(userId: string): string[] {
    const { io } = this.deps;
    const rooms = new Set<string>();
    for (const id of io.sockets.adapter.rooms.get(SOCKET_ROOMS.user(userId)) ?? []) {
      const socket = io.sockets.sockets.get(id);
      if (socket) for (const roomId of roomIdsOf(socket)) rooms.add(roomId);
    }
    return [...rooms];
  }

  /**
   * Writes this replica's presence entry for the user, and tells the user's
   * rooms when it went online or offline. `connecting` counts a socket still
   * in its handshake as live.
   */
  reconcile(userId: string, rooms: () => string[], connecting = 0): Promise<void> {
    const { presence, fanout, logger } = this.deps;
    return this.track(
      presence
        .reconcile(userId, () => (this.localSockets.get(userId) ?? 0) + connecting > 0)
        .then((change: PresenceChange) => {
          if (!change) return;
          const state: PresenceState = { userId, status: change };
          return fanout.publish(FANOUT_TOPICS.presence, { roomId: '', roomIds: rooms(), occurredAt: new Date().toISOString(), data: state });
        })
        .catch((error: unknown) => logger.warn({ err: error, userId }, 'presence update failed')),
    );
  }

  /** Refreshes the entry of every user with a socket here. */
  heartbeat(): void {
    for (const userId of this.localSockets.keys()) void this.reconcile(userId, () => this.roomsOf(userId));
  }

  /** Resolves once every presence write and publish under way has settled. */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }

  /** Keeps `promise` among the writes in flight until it settles. */
  private track<T>(promise: Promise<T>): Promise<T> {
    this.inFlight.add(promise);
    void promise.finally(() => this.inFlight.delete(promise)).catch(() => undefined);
    return promise;
  }
}
