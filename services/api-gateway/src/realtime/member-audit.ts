import { randomUUID } from 'node:crypto';
import { isAppError, SOCKET_ROOMS, type Logger } from '@chat/platform';
import type { ChatApi } from './chat-api.js';
import type { Membership } from './membership.js';
import type { RealtimeServer } from './types.js';

export interface MemberAuditDeps {
  io: RealtimeServer;
  chat: ChatApi;
  membership: Membership;
  logger: Logger;
  /** A room's sockets here are checked against its member list at most this often. */
  intervalMs: number;
}

/** Readers tried per check when the first ones turn out not to be members any more. */
const MAX_READERS = 3;

/**
 * The backstop that keeps live delivery on the member list (chat-service's
 * authority) when a membership event never arrives: the broker lost it, or
 * chat-service gave up publishing it. Whenever an event is relayed to a
 * room, the room's sockets on this replica are checked against its member
 * list, at most once per `intervalMs` per room: a user who is not a member
 * is taken out of the room (and the room told, as for a removal); a member
 * whose sockets here are not in it is put in. A change applied by an event
 * while the list was being read wins over the list, and so does a newer
 * member-list version seen in an event.
 */
export class MemberAudit {
  private readonly checked = new Map<string, number>();
  private readonly deps: MemberAuditDeps;

  constructor(deps: MemberAuditDeps) {
    this.deps = deps;
  }

  /** An event is being relayed to `roomId`: check its sockets if that is due. */
  touch(roomId: string): void {
    const now = Date.now();
    const last = this.checked.get(roomId);
    if (last !== undefined && now - last < this.deps.intervalMs) return;
    this.checked.set(roomId, now);
    this.check(roomId).catch((error: unknown) => this.deps.logger.warn({ err: error, roomId }, 'membership check failed'));
  }

  /** Reads the member list as a member connected here and moves this replica's sockets to match it. */
  async check(roomId: string): Promise<void> {
    const { io, chat } = this.deps;
    const started = Date.now();
    const readers = this.usersIn(roomId).slice(0, MAX_READERS);
    for (const reader of readers) {
      let list: Awaited<ReturnType<ChatApi['members']>>;
      try {
        list = await chat.members({ userId: reader, requestId: randomUUID() }, roomId);
      } catch (error) {
        // Refused: the reader itself is no member (or the room is gone).
        if (isAppError(error) && (error.code === 'forbidden' || error.code === 'not_found')) {
          this.move(roomId, reader, false, started, undefined);
          continue;
        }
        throw error;
      }
      const members = new Set(list.members.map((m) => m.userId));
      for (const userId of this.usersIn(roomId)) {
        if (!members.has(userId)) this.move(roomId, userId, false, started, list.membersVersion);
      }
      const inRoom = io.sockets.adapter.rooms.get(SOCKET_ROOMS.room(roomId));
      for (const userId of members) {
        const sockets = io.sockets.adapter.rooms.get(SOCKET_ROOMS.user(userId));
        if (sockets && [...sockets].some((id) => !inRoom?.has(id))) this.move(roomId, userId, true, started, list.membersVersion);
      }
      return;
    }
  }

  /** Forgets rooms not checked for a while; call now and then. */
  prune(): void {
    const cutoff = Date.now() - this.deps.intervalMs;
    for (const [roomId, at] of this.checked) if (at < cutoff) this.checked.delete(roomId);
  }

  /** The users with a socket in the room on this replica. */
  private usersIn(roomId: string): string[] {
    const { io } = this.deps;
    const users = new Set<string>();
    for (const id of io.sockets.adapter.rooms.get(SOCKET_ROOMS.room(roomId)) ?? []) {
      const userId = io.sockets.sockets.get(id)?.data.userId;
      if (userId) users.add(userId);
    }
    return [...users];
  }

  private move(roomId: string, userId: string, joined: boolean, readAt: number, version: number | undefined): void {
    const { io, membership, logger } = this.deps;
    const changedAt = membership.changedAt(roomId, userId);
    if (changedAt !== undefined && changedAt >= readAt) return;
    if (!membership.isNewer(roomId, userId, version)) return;
    const change = { roomId, userId };
    membership.apply({ ...change, joined, version }, () => io.to(SOCKET_ROOMS.room(roomId)).emit(joined ? 'room:member_joined' : 'room:member_left', change));
    logger.warn({ roomId, userId, joined }, 'sockets moved to match the member list (a membership event was missed)');
  }
}
