/**
 * What the room capabilities (membership, discovery, direct messages) share:
 * reading a room with the caller's role, the read-modify-write of its member
 * list, and the copies derived from that list (the head's memberCount and
 * ownerId, each user's room index, the public directory), with the events
 * that announce a change.
 *
 * The member list (`members:{roomId}`) is the authority on who is in a room;
 * it changes by read-modify-write under its ETag. The rest is derived from
 * it and written after it, each piece idempotently, so that repeating a
 * request repairs what a crash in the middle left undone: the head's
 * memberCount and ownerId (applied only from a newer member-list version),
 * each user's room index, the public directory.
 */
import { roleIn, type RoomView } from './access.js';
import { setRoomEntry, updateKey, type ChatContext } from './context.js';
import { directoryShardOf, keys } from './keys.js';
import type { MemberList, Role, Room, RoomHead } from './model.js';
import type { ChatEvent, Versioned } from './ports.js';

export function createRoomRecords(ctx: ChatContext) {
  const { store } = ctx;
  const nowIso = () => ctx.now().toISOString();

  async function view(roomId: string, userId: string): Promise<RoomView | undefined> {
    const found = await store.getMany<unknown>([keys.head(roomId), keys.members(roomId)]);
    const head = found.get(keys.head(roomId)) as Versioned<RoomHead> | undefined;
    if (!head) return undefined;
    const members = found.get(keys.members(roomId)) as Versioned<MemberList> | undefined;
    return { head, members, role: roleIn(members?.value, userId) };
  }

  /** Read-modify-write of the member list; `change` returns undefined for "nothing to do". */
  function changeMembers(roomId: string, change: (list: MemberList) => MemberList | undefined) {
    return updateKey<MemberList>(store, keys.members(roomId), (current) => {
      const list = current ?? { version: 0, members: {} };
      const next = change(list);
      return next ? { ...next, version: list.version + 1 } : undefined;
    }).then(({ value, changed }) => ({ list: value ?? { version: 0, members: {} }, changed }));
  }

  /** Copies memberCount and ownerId from a member list into the head, unless the head has a newer copy. */
  async function syncHead(roomId: string, list: MemberList): Promise<RoomHead | undefined> {
    const { value } = await updateKey<RoomHead>(store, keys.head(roomId), (head) => {
      if (!head || head.membersVersion >= list.version) return undefined;
      const owner = Object.entries(list.members).find(([, entry]) => entry.role === 'owner')?.[0];
      return {
        ...head,
        memberCount: Object.keys(list.members).length,
        ownerId: head.kind === 'dm' ? null : (owner ?? head.ownerId),
        membersVersion: list.version,
        updatedAt: nowIso(),
      };
    });
    return value;
  }

  /** Sets (role) or removes (undefined) one room in a user's index. */
  const indexRoom = (userId: string, roomId: string, role: Role | undefined): Promise<void> =>
    setRoomEntry(store, keys.userRooms(userId), roomId, role === undefined ? undefined : { role }, (e) => e.role === role);

  const listInDirectory = (roomId: string, name: string | undefined): Promise<void> =>
    setRoomEntry(store, keys.directoryShard(directoryShardOf(roomId)), roomId, name === undefined ? undefined : { name }, (e) => e.name === name);

  const event = (topic: ChatEvent['topic'], roomId: string, actorId: string, data: unknown): ChatEvent => ({
    topic,
    roomId,
    occurredAt: nowIso(),
    actorId,
    data,
  });

  /** `room.member_joined` / `room.member_left` of one user, with the member-list version the change made. */
  const membershipEvent = (
    topic: 'room.member_joined' | 'room.member_left',
    roomId: string,
    actorId: string,
    userId: string,
    membersVersion: number,
  ): ChatEvent => ({ ...event(topic, roomId, actorId, { roomId, userId }), membersVersion });

  /**
   * Writes the derived copies, then publishes the events whatever became of
   * them (the member list has changed: live sockets must follow it), then
   * fails with the first copy that could not be written. Events after the
   * copies: a client that hears it joined and lists its rooms finds the room.
   */
  async function deriveThenAnnounce(derived: Array<Promise<unknown>>, events: ChatEvent[]): Promise<void> {
    const outcomes = await Promise.allSettled(derived);
    if (events.length > 0) await ctx.publisher.publish(events);
    const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failed) throw failed.reason;
  }

  return { nowIso, view, changeMembers, syncHead, indexRoom, listInDirectory, event, membershipEvent, deriveThenAnnounce };
}

export type RoomRecords = ReturnType<typeof createRoomRecords>;

/** Most recent activity first; the id breaks ties so that the order is stable. */
export function byActivity(a: Room, b: Room): number {
  return b.updatedAt.localeCompare(a.updatedAt) || a.id.localeCompare(b.id);
}

/** What every new room head starts with: no messages yet, member list at version 1. */
export function newHeadState(at: string): Pick<RoomHead, 'lastSeq' | 'createdAt' | 'updatedAt' | 'lastMessageAt' | 'window' | 'membersVersion'> {
  return { lastSeq: 0, createdAt: at, updatedAt: at, lastMessageAt: null, window: [], membersVersion: 1 };
}
