/**
 * The chat domain's records: what the store holds and what clients see
 * (`room` and `message` of docs/api.md). Pure data and pure functions; no I/O.
 */

import type { ChatMessage, ChatRoom } from '@chat/platform';

export type Role = 'owner' | 'admin' | 'member';

/** `room` and `message` of docs/api.md: the shared contract's types, so what is stored is what clients get. */
export type Room = ChatRoom;
export type Message = ChatMessage;
export type RoomKind = Room['kind'];
export type Visibility = Room['visibility'];

/**
 * The room head, key `room:{id}`: the room, its sequence (`lastSeq`) and the
 * newest committed messages (`window`). A send commits by writing the head
 * under its ETag with `lastSeq` advanced and the new messages in `window`:
 * one single-key conditional write, atomic on every store. The messages
 * are then merged into their blocks (message-blocks.ts), which is what
 * history reads; until then a reader takes a message from the window.
 */
export interface RoomHead extends Room {
  /** Time of the newest message (createdAt never goes backwards in a room). */
  lastMessageAt: string | null;
  /** The newest committed messages, ascending by seq; always the last commit's messages. */
  window: Message[];
  /**
   * The outbox marker (domain/outbox.ts): `message.created` of every seq up
   * to this one is published. The messages after it, up to `lastSeq`, are
   * the room's pending events, committed in the same write as the messages.
   * Absent on heads written before the outbox: everything counts as published.
   */
  publishedSeq?: number;
  /** The `version` of the member list that memberCount and ownerId were taken from. */
  membersVersion: number;
  /** The two users of a dm. */
  dmUserIds?: [string, string];
}

export interface MemberEntry {
  role: Role;
  joinedAt: string;
}

/** The member list, key `members:{roomId}`: the authority on who is in a room. */
export interface MemberList {
  /** Grows by one with every change, so that derived copies apply in order. */
  version: number;
  members: Record<string, MemberEntry>;
}

/** A user's rooms, key `user:{userId}:rooms`: the index behind GET /rooms. */
export interface UserRooms {
  rooms: Record<string, { role: Role }>;
}

/** A user's read marker in a room, key `read:{roomId}:{userId}`. */
export interface ReadMarker {
  seq: number;
}

/** Where a user's marker is now: the `read.updated` event's data, a client's `read`. */
export interface ReadPosition {
  roomId: string;
  userId: string;
  seq: number;
}

/** What an idempotency key records, key `idem:{roomId}:{authorId}:{hash of clientMsgId}`. */
export interface IdempotencyRecord {
  seq: number;
  messageId: string;
}

/** One shard of the public room directory, key `directory:public:{n}`. */
export interface DirectoryShard {
  rooms: Record<string, { name: string }>;
}

export const ROLE_RANK: Record<Role, number> = { owner: 0, admin: 1, member: 2 };

export function toRoom(head: RoomHead): Room {
  const { id, kind, name, topic, visibility, ownerId, memberCount, lastSeq, createdAt, updatedAt } = head;
  return { id, kind, name, topic, visibility, ownerId, memberCount, lastSeq, createdAt, updatedAt };
}

/** Members ordered as a client lists them: owner, admins, members, each oldest first. */
export function orderedMembers(list: MemberList): Array<{ userId: string; role: Role; joinedAt: string }> {
  return Object.entries(list.members)
    .map(([userId, entry]) => ({ userId, role: entry.role, joinedAt: entry.joinedAt }))
    .sort((a, b) => ROLE_RANK[a.role] - ROLE_RANK[b.role] || a.joinedAt.localeCompare(b.joinedAt) || a.userId.localeCompare(b.userId));
}

/**
 * Who takes over a room its owner leaves: the oldest admin, else the oldest
 * member (by the time they joined); undefined when nobody is left.
 */
export function successorOf(list: MemberList, leaving: string): string | undefined {
  const rest = orderedMembers(list).filter((m) => m.userId !== leaving && m.role !== 'owner');
  return rest[0]?.userId;
}

/** A room anyone signed in may see: a public channel. Others are seen by their members only. */
export const isPublicChannel = (head: Room): boolean => head.kind === 'channel' && head.visibility === 'public';

/** ISO time that is never before `floor` (an ISO time or null). */
export function notBefore(now: Date, floor: string | null): string {
  const floorMs = floor ? Date.parse(floor) : Number.NEGATIVE_INFINITY;
  return new Date(Math.max(now.getTime(), floorMs)).toISOString();
}
