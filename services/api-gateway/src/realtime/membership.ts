import { SOCKET_ROOMS } from '@chat/platform';
import type { RealtimeServer, RealtimeSocket } from './types.js';

interface Change {
  roomId: string;
  joined: boolean;
  at: number;
}

/** How long the last member-list version applied for a member is kept (far longer than pub/sub reorders). */
const VERSIONS_KEEP_MS = 10 * 60_000;

/**
 * Keeps live sockets' Socket.IO rooms in line with room membership. A
 * membership change moves every socket of that user on this replica at once
 * (each replica gets every event). Changes are applied in the order of the
 * room's member list: a change older than the last one applied for that
 * member (by `membersVersion`) is ignored, so a join delivered after the
 * removal that followed it cannot put the member back.
 *
 * A socket still in its handshake is not reachable that way, so the last
 * few seconds of changes are kept per user and replayed onto a socket once
 * its room list has loaded.
 */
export class Membership {
  private readonly recent = new Map<string, Change[]>();
  /** `roomId\0userId` → the member-list version of the last change applied, and when. */
  private readonly versions = new Map<string, { version: number; at: number }>();
  private readonly io: RealtimeServer;
  private readonly keepMs: number;

  constructor(io: RealtimeServer, keepMs = 30_000) {
    this.io = io;
    this.keepMs = keepMs;
  }

  /**
   * Applies one change unless a newer one for this member was applied:
   * joins the user's sockets, then `announce`s; or `announce`s, then takes
   * them out (so a leaver hears of its own leaving). Answers whether it
   * applied the change. Without a version (an older publisher) it applies.
   */
  apply(change: { roomId: string; userId: string; joined: boolean; version?: number | undefined }, announce: () => void = () => undefined): boolean {
    const { roomId, userId, joined } = change;
    if (!this.isNewer(roomId, userId, change.version)) return false;
    const at = Date.now();
    if (change.version !== undefined) this.versions.set(versionKey(roomId, userId), { version: change.version, at });
    this.record(userId, { roomId, joined, at });
    const sockets = this.io.in(SOCKET_ROOMS.user(userId));
    if (joined) sockets.socketsJoin(SOCKET_ROOMS.room(roomId));
    announce();
    if (!joined) sockets.socketsLeave(SOCKET_ROOMS.room(roomId));
    return true;
  }

  /** Whether a change with `version` is newer than the last one applied for this member. */
  isNewer(roomId: string, userId: string, version: number | undefined): boolean {
    const last = this.versions.get(versionKey(roomId, userId));
    return version === undefined || last === undefined || version > last.version;
  }

  /** When the last change for this member was applied here (ms), if within the kept window. */
  changedAt(roomId: string, userId: string): number | undefined {
    return this.recent.get(userId)?.findLast((c) => c.roomId === roomId)?.at;
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

  /** Forgets changes older than keepMs, and versions older than ten minutes. */
  prune(): void {
    const now = Date.now();
    for (const [userId, list] of this.recent) {
      const kept = list.filter((c) => c.at >= now - this.keepMs);
      if (kept.length === 0) this.recent.delete(userId);
      else this.recent.set(userId, kept);
    }
    for (const [key, entry] of this.versions) if (entry.at < now - VERSIONS_KEEP_MS) this.versions.delete(key);
  }
}

const versionKey = (roomId: string, userId: string) => `${roomId}\u0000${userId}`;
