import { SOCKET_ROOMS } from '@chat/platform';
import type { RealtimeServer, RealtimeSocket } from './types.js';

interface Change {
  roomId: string;
  joined: boolean;
  at: number;
}

/**
 * Keeps live sockets' Socket.IO rooms in line with room membership. A
 * membership event moves every socket of that user on this replica at once
 * (each replica gets every event). A socket still in its handshake is not
 * reachable that way, so the last few seconds of changes are kept per user
 * and replayed onto a socket once its room list has loaded.
 */
export class Membership {
  private readonly recent = new Map<string, Change[]>();
  private readonly io: RealtimeServer;
  private readonly keepMs: number;

  constructor(io: RealtimeServer, keepMs = 30_000) {
    this.io = io;
    this.keepMs = keepMs;
  }

  joined(roomId: string, userId: string): void {
    this.record(userId, { roomId, joined: true, at: Date.now() });
    this.io.in(SOCKET_ROOMS.user(userId)).socketsJoin(SOCKET_ROOMS.room(roomId));
  }

  left(roomId: string, userId: string): void {
    this.record(userId, { roomId, joined: false, at: Date.now() });
    this.io.in(SOCKET_ROOMS.user(userId)).socketsLeave(SOCKET_ROOMS.room(roomId));
  }

  /** Applies the changes for the socket's user recorded since `since` (ms). */
  replay(socket: RealtimeSocket, since: number): void {
    for (const change of this.recent.get(socket.data.userId) ?? []) {
      if (change.at < since) continue;
      if (change.joined) void socket.join(SOCKET_ROOMS.room(change.roomId));
      else void socket.leave(SOCKET_ROOMS.room(change.roomId));
    }
  }

  private record(userId: string, change: Change): void {
    const cutoff = change.at - this.keepMs;
    const list = (this.recent.get(userId) ?? []).filter((c) => c.at >= cutoff);
    list.push(change);
    this.recent.set(userId, list);
  }

  /** Forgets changes older than keepMs. */
  prune(): void {
    const cutoff = Date.now() - this.keepMs;
    for (const [userId, list] of this.recent) {
      const kept = list.filter((c) => c.at >= cutoff);
      if (kept.length === 0) this.recent.delete(userId);
      else this.recent.set(userId, kept);
    }
  }
}
