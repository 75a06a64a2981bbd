/**
 * Channels and their members: creating a channel, reading it and its member
 * list, renaming it, joining, leaving, inviting, kicking and roles, each
 * user's room list and the users they share a room with. Every change goes
 * through the member list first (see `room-records.ts`).
 */
import { forbidden, notFound } from '@chat/platform';
import { NO_SUCH_ROOM, requireManager, requireMember, requireVisible, roleIn } from './access.js';
import { updateKey, type ChatContext } from './context.js';
import { keys } from './keys.js';
import {
  isPublicChannel,
  orderedMembers,
  successorOf,
  toRoom,
  type MemberList,
  type ReadMarker,
  type Role,
  type Room,
  type RoomHead,
  type UserRooms,
  type Visibility,
} from './model.js';
import { byActivity, newHeadState, type RoomRecords } from './room-records.js';

export interface CreateRoomInput {
  name: string;
  topic?: string | undefined;
  visibility: Visibility;
  memberIds?: string[] | undefined;
}

export type MyRoom = Room & { unread: number; role: Role };
export type RoomDetail = Room & { members: Array<{ userId: string; role: Role }> };

export function createMembership(ctx: ChatContext, records: RoomRecords) {
  const { store, publisher } = ctx;
  const { nowIso, view, changeMembers, syncHead, indexRoom, listInDirectory, event, membershipEvent, deriveThenAnnounce } = records;

  /**
   * The member lists of the rooms in the user's index that still hold the
   * user, by room id: the index only says where to look, and an entry a
   * failed write left behind is not the user's room any more.
   */
  async function memberListsOfRooms(userId: string): Promise<Map<string, MemberList>> {
    const ids = Object.keys((await store.get<UserRooms>(keys.userRooms(userId)))?.value.rooms ?? {});
    const found = await store.getMany<MemberList>(ids.map(keys.members));
    const lists = new Map<string, MemberList>();
    for (const id of ids) {
      const list = found.get(keys.members(id))?.value;
      if (list && roleIn(list, userId) !== undefined) lists.set(id, list);
    }
    return lists;
  }

  /**
   * Removes a member; hands an owner's room on. Once the member list (the
   * authority) has changed, `room.member_left` goes out first, so that live
   * delivery stops whatever happens next. The derived copies are then
   * updated as far as the store lets them: one that cannot be written is
   * logged, not answered as a failure, because every read of them checks
   * the member list (`list`, `contacts`) and the next change rewrites them.
   */
  async function removeMember(actorId: string, roomId: string, userId: string, rule?: (list: MemberList) => void) {
    let successor: string | undefined;
    const { list, changed } = await changeMembers(roomId, (current) => {
      const entry = current.members[userId];
      if (!entry) return undefined;
      rule?.(current);
      const members = { ...current.members };
      successor = entry.role === 'owner' ? successorOf(current, userId) : undefined;
      delete members[userId];
      if (successor) members[successor] = { ...members[successor]!, role: 'owner' };
      return { ...current, members };
    });
    const left = changed ? publisher.publish([membershipEvent('room.member_left', roomId, actorId, userId, list.version)]) : undefined;
    const [head, ...others] = await Promise.allSettled([
      syncHead(roomId, list),
      indexRoom(userId, roomId, undefined),
      store.delete(keys.readMarker(roomId, userId)),
      ...(successor ? [indexRoom(successor, roomId, 'owner')] : []),
    ]);
    const failed = [head, ...others].filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed.length > 0) {
      ctx.logger.warn(
        { roomId, userId, err: { message: (failed[0]!.reason as Error).message } },
        'member removed; derived copies not all updated (reads check the member list)',
      );
    }
    if (changed && successor && head.status === 'fulfilled' && head.value) {
      await publisher.publish([event('room.updated', roomId, actorId, toRoom(head.value))]);
    }
    await left;
  }

  /**
   * Adds a member (if not one yet) and everything derived. `room.member_joined`
   * goes out once the derived copies were written or failed (it goes out
   * whenever the member list has changed); a derived copy that cannot be
   * written fails the request, and repeating it repairs them.
   */
  async function addMember(actorId: string, roomId: string, userId: string): Promise<RoomHead | undefined> {
    let role = 'member' as Role;
    const { list, changed } = await changeMembers(roomId, (current) => {
      if (current.members[userId]) return undefined;
      // Whoever joins a room that everyone left takes it over.
      role = Object.keys(current.members).length === 0 ? 'owner' : 'member';
      return { ...current, members: { ...current.members, [userId]: { role, joinedAt: nowIso() } } };
    });
    let head: RoomHead | undefined;
    await deriveThenAnnounce(
      [syncHead(roomId, list).then((synced) => (head = synced)), indexRoom(userId, roomId, list.members[userId]?.role ?? role)],
      changed ? [membershipEvent('room.member_joined', roomId, actorId, userId, list.version)] : [],
    );
    if (changed && role === 'owner' && head) await publisher.publish([event('room.updated', roomId, actorId, toRoom(head))]);
    return head ?? (await store.get<RoomHead>(keys.head(roomId)))?.value;
  }

  return {
    /** Creates a channel; the caller is its owner, `memberIds` its first members. */
    async create(userId: string, input: CreateRoomInput): Promise<Room> {
      const id = ctx.newId();
      const at = nowIso();
      const others = [...new Set(input.memberIds ?? [])].filter((m) => m !== userId);
      const list: MemberList = {
        version: 1,
        members: Object.fromEntries<MemberList['members'][string]>([
          [userId, { role: 'owner', joinedAt: at }],
          ...others.map((m) => [m, { role: 'member', joinedAt: at }] as const),
        ]),
      };
      const head: RoomHead = {
        id,
        kind: 'channel',
        name: input.name,
        topic: input.topic ?? '',
        visibility: input.visibility,
        ownerId: userId,
        memberCount: others.length + 1,
        ...newHeadState(at),
      };
      await store.writeNew([
        { key: keys.head(id), value: head },
        { key: keys.members(id), value: list },
      ]);
      const room = toRoom(head);
      // The member list exists: the members' sockets join whatever happens to the indexes.
      await deriveThenAnnounce(
        [
          indexRoom(userId, id, 'owner'),
          ...others.map((m) => indexRoom(m, id, 'member')),
          ...(input.visibility === 'public' ? [listInDirectory(id, input.name)] : []),
        ],
        [event('room.created', id, userId, room), ...[userId, ...others].map((m) => membershipEvent('room.member_joined', id, userId, m, list.version))],
      );
      return room;
    },

    /** A room with its members (role only; the gateway adds profiles and presence). */
    async get(userId: string, roomId: string): Promise<RoomDetail> {
      const v = await view(roomId, userId);
      requireVisible(v);
      const members = v.members ? orderedMembers(v.members.value).map(({ userId: id, role }) => ({ userId: id, role })) : [];
      return { ...toRoom(v.head.value), memberCount: members.length, members };
    },

    /**
     * The member list and its version, for members only: the real-time edge
     * checks its sockets against it (the version orders it among the
     * membership events).
     */
    async members(userId: string, roomId: string): Promise<{ members: Array<{ userId: string; role: Role }>; membersVersion: number }> {
      const v = await view(roomId, userId);
      requireMember(v, 'list its members');
      const list = v.members?.value;
      return {
        members: list ? orderedMembers(list).map(({ userId: id, role }) => ({ userId: id, role })) : [],
        membersVersion: list?.version ?? 0,
      };
    },

    /**
     * The caller's rooms with role and unread count, most recent activity
     * first. The index only says where to look: each room is checked against
     * its member list, so a room the caller was removed from is never listed
     * (even when removing it from the index failed), and the role is the
     * member list's. The gateway joins a connecting socket to exactly these.
     */
    async list(userId: string): Promise<MyRoom[]> {
      const index = (await store.get<UserRooms>(keys.userRooms(userId)))?.value.rooms ?? {};
      const ids = Object.keys(index);
      const found = await store.getMany<unknown>([...ids.map(keys.head), ...ids.map(keys.members), ...ids.map((id) => keys.readMarker(id, userId))]);
      const rooms: MyRoom[] = [];
      for (const id of ids) {
        const head = found.get(keys.head(id))?.value as RoomHead | undefined;
        const role = roleIn(found.get(keys.members(id))?.value as MemberList | undefined, userId);
        if (!head || role === undefined) continue;
        const marker = (found.get(keys.readMarker(id, userId))?.value as ReadMarker | undefined)?.seq ?? 0;
        // A sender has read what they sent; their marker is moved just after
        // the send is answered, so a message still in the head counts too.
        const read = head.window.reduce((seq, m) => (m.authorId === userId && m.seq > seq ? m.seq : seq), marker);
        rooms.push({ ...toRoom(head), unread: Math.max(0, head.lastSeq - read), role });
      }
      return rooms.sort(byActivity);
    },

    /**
     * The ids of the caller's rooms, checked like `list` against each room's
     * member list, without the heads and read markers `list` reads: what a
     * connecting socket joins. A head holds up to nine recent messages of up
     * to 4,000 characters each, and others can add a user to rooms.
     */
    async ids(userId: string): Promise<string[]> {
      return [...(await memberListsOfRooms(userId)).keys()];
    },

    /** Owner or admin: rename or change the topic. */
    async update(userId: string, roomId: string, change: { name?: string | undefined; topic?: string | undefined }): Promise<Room> {
      requireManager(await view(roomId, userId), 'rename the room or change its topic');
      let renamed = false;
      const { value, changed } = await updateKey<RoomHead>(store, keys.head(roomId), (head) => {
        if (!head) return undefined;
        const name = change.name ?? head.name;
        const topic = change.topic ?? head.topic;
        if (name === head.name && topic === head.topic) return undefined;
        renamed = name !== head.name;
        return { ...head, name, topic, updatedAt: nowIso() };
      });
      if (!value) throw notFound(NO_SUCH_ROOM);
      if (renamed && isPublicChannel(value)) await listInDirectory(roomId, value.name);
      const room = toRoom(value);
      if (changed) await publisher.publish([event('room.updated', roomId, userId, room)]);
      return room;
    },

    /** Joins a public channel; a member joining again gets the room again. */
    async join(userId: string, roomId: string): Promise<Room> {
      const v = await view(roomId, userId);
      if (v?.role !== undefined) {
        await indexRoom(userId, roomId, v.role); // repairs an index a crash left behind
        return toRoom(v.head.value);
      }
      if (!v || !isPublicChannel(v.head.value)) throw notFound(NO_SUCH_ROOM);
      const head = await addMember(userId, roomId, userId);
      if (!head) throw notFound(NO_SUCH_ROOM);
      return toRoom(head);
    },

    /**
     * Leaves a room; an owner hands it to the oldest admin, else the oldest
     * member. Not being a member of a public channel changes nothing. A dm
     * cannot be left (it always has its two users).
     */
    async leave(userId: string, roomId: string): Promise<void> {
      const v = await view(roomId, userId);
      requireVisible(v);
      if (v.role === undefined) return;
      if (v.head.value.kind === 'dm') throw forbidden('A direct-message room cannot be left');
      await removeMember(userId, roomId, userId);
    },

    /** Owner or admin: adds a user as a member (a member already changes nothing). */
    async invite(actorId: string, roomId: string, userId: string): Promise<void> {
      const v = await view(roomId, actorId);
      requireManager(v, 'add members');
      await addMember(actorId, roomId, userId);
    },

    /**
     * Owner or admin: removes a member. Nobody removes the owner, and only the
     * owner removes an admin. Removing oneself is leaving.
     */
    async kick(actorId: string, roomId: string, userId: string): Promise<void> {
      if (userId === actorId) {
        const v = await view(roomId, actorId);
        requireMember(v, 'leave it');
        if (v.head.value.kind === 'dm') throw forbidden('A direct-message room cannot be left');
        return removeMember(actorId, roomId, actorId);
      }
      const v = await view(roomId, actorId);
      requireManager(v, 'remove members');
      const actorRole = v.role;
      const rule = (list: MemberList) => {
        const target = list.members[userId]?.role;
        if (target === 'owner') throw forbidden('The owner cannot be removed');
        if (target === 'admin' && actorRole !== 'owner') throw forbidden('Only the owner can remove an admin');
      };
      if (!v.members?.value.members[userId]) throw notFound('This user is not a member of the room');
      rule(v.members.value);
      await removeMember(actorId, roomId, userId, rule);
    },

    /** Owner only: makes a member an admin, or an admin a member. */
    async setRole(actorId: string, roomId: string, userId: string, role: 'admin' | 'member'): Promise<{ userId: string; role: Role }> {
      const v = await view(roomId, actorId);
      requireManager(v, 'change roles');
      if (v.role !== 'owner') throw forbidden('Only the owner can change roles');
      const { list, changed } = await changeMembers(roomId, (current) => {
        const entry = current.members[userId];
        if (!entry) throw notFound('This user is not a member of the room');
        if (entry.role === 'owner') throw forbidden("The owner's role cannot be changed");
        if (entry.role === role) return undefined;
        return { ...current, members: { ...current.members, [userId]: { ...entry, role } } };
      });
      await indexRoom(userId, roomId, list.members[userId]?.role ?? role);
      if (changed) await publisher.publish([event('room.member_role_changed', roomId, actorId, { roomId, userId, role })]);
      return { userId, role };
    },

    /** Users who share at least one room with the caller (whom presence concerns). */
    async contacts(userId: string): Promise<string[]> {
      const users = new Set<string>();
      for (const list of (await memberListsOfRooms(userId)).values()) {
        for (const id of Object.keys(list.members)) users.add(id);
      }
      users.delete(userId);
      return [...users].sort();
    },
  };
}
