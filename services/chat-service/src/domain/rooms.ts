/**
 * Rooms and memberships: channels (public or private) and direct-message
 * rooms, roles, invite, kick, leave, rename, each user's room list and the
 * public directory.
 *
 * The member list (`members:{roomId}`) is the authority on who is in a room;
 * it changes by read-modify-write under its ETag. The rest is derived from
 * it and written after it, each piece idempotently, so that repeating a
 * request repairs what a crash in the middle left undone: the head's
 * memberCount and ownerId (applied only from a newer member-list version),
 * each user's room index, the public directory.
 */
import { forbidden, notFound } from '@chat/platform';
import { NO_SUCH_ROOM, requireManager, requireMember, requireVisible, roleIn, type RoomView } from './access.js';
import { setRoomEntry, updateKey, type ChatContext } from './context.js';
import { DIRECTORY_SHARDS, directoryShardOf, dmRoomId, keys } from './keys.js';
import {
  isPublicChannel,
  orderedMembers,
  successorOf,
  toRoom,
  type DirectoryShard,
  type MemberList,
  type ReadMarker,
  type Role,
  type Room,
  type RoomHead,
  type UserRooms,
  type Visibility,
} from './model.js';
import { StateConflictError, type ChatEvent, type Versioned } from './ports.js';

export interface CreateRoomInput {
  name: string;
  topic?: string | undefined;
  visibility: Visibility;
  memberIds?: string[] | undefined;
}

export type MyRoom = Room & { unread: number; role: Role };
export type RoomDetail = Room & { members: Array<{ userId: string; role: Role }> };

/** How many public rooms discovery looks at, at most, before ordering them. */
const DISCOVERY_SCAN = 1_000;

export function createRooms(ctx: ChatContext) {
  const { store, publisher } = ctx;
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
        ownerId: head.kind === 'dm' ? null : owner ?? head.ownerId,
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
   * goes out as soon as the member list has changed; a derived copy that
   * cannot be written fails the request, and repeating it repairs them.
   */
  async function addMember(actorId: string, roomId: string, userId: string): Promise<RoomHead | undefined> {
    let role = 'member' as Role;
    const { list, changed } = await changeMembers(roomId, (current) => {
      if (current.members[userId]) return undefined;
      // Whoever joins a room that everyone left takes it over.
      role = Object.keys(current.members).length === 0 ? 'owner' : 'member';
      return { ...current, members: { ...current.members, [userId]: { role, joinedAt: nowIso() } } };
    });
    const joined = changed ? publisher.publish([membershipEvent('room.member_joined', roomId, actorId, userId, list.version)]) : undefined;
    const head = await syncHead(roomId, list);
    await indexRoom(userId, roomId, list.members[userId]?.role ?? role);
    if (changed && role === 'owner' && head) await publisher.publish([event('room.updated', roomId, actorId, toRoom(head))]);
    await joined;
    return head ?? (await store.get<RoomHead>(keys.head(roomId)))?.value;
  }

  return {
    view,

    /** Creates a channel; the caller is its owner, `memberIds` its first members. */
    async create(userId: string, input: CreateRoomInput): Promise<Room> {
      const id = ctx.newId();
      const at = nowIso();
      const others = [...new Set(input.memberIds ?? [])].filter((m) => m !== userId);
      const list: MemberList = {
        version: 1,
        members: Object.fromEntries([
          [userId, { role: 'owner' as Role, joinedAt: at }],
          ...others.map((m) => [m, { role: 'member' as Role, joinedAt: at }]),
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
        lastSeq: 0,
        createdAt: at,
        updatedAt: at,
        lastMessageAt: null,
        window: [],
        membersVersion: 1,
      };
      await store.writeNew([
        { key: keys.head(id), value: head },
        { key: keys.members(id), value: list },
      ]);
      const room = toRoom(head);
      // The member list exists: the members' sockets may join now, whatever happens to the indexes.
      const published = publisher.publish([
        event('room.created', id, userId, room),
        ...[userId, ...others].map((m) => membershipEvent('room.member_joined', id, userId, m, list.version)),
      ]);
      await Promise.all([
        indexRoom(userId, id, 'owner'),
        ...others.map((m) => indexRoom(m, id, 'member')),
        ...(input.visibility === 'public' ? [listInDirectory(id, input.name)] : []),
      ]);
      await published;
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
      const found = await store.getMany<unknown>([
        ...ids.map(keys.head),
        ...ids.map(keys.members),
        ...ids.map((id) => keys.readMarker(id, userId)),
      ]);
      const rooms: MyRoom[] = [];
      for (const id of ids) {
        const head = found.get(keys.head(id))?.value as RoomHead | undefined;
        const role = roleIn(found.get(keys.members(id))?.value as MemberList | undefined, userId);
        if (!head || role === undefined) continue;
        const read = (found.get(keys.readMarker(id, userId))?.value as ReadMarker | undefined)?.seq ?? 0;
        rooms.push({ ...toRoom(head), unread: Math.max(0, head.lastSeq - read), role });
      }
      return rooms.sort(byActivity);
    },

    /** Public rooms whose name contains `query` (case-insensitively), most recent activity first. */
    async discover(query: string, limit: number): Promise<Room[]> {
      const shards = await store.getMany<DirectoryShard>(Array.from({ length: DIRECTORY_SHARDS }, (_, n) => keys.directoryShard(n)));
      const needle = query.trim().toLocaleLowerCase();
      const matches = [...shards.values()]
        .flatMap((shard) => Object.entries(shard.value.rooms))
        .filter(([, entry]) => entry.name.toLocaleLowerCase().includes(needle))
        .sort(([a, x], [b, y]) => x.name.localeCompare(y.name) || a.localeCompare(b))
        .slice(0, DISCOVERY_SCAN)
        .map(([id]) => id);
      const heads = await store.getMany<RoomHead>(matches.map(keys.head));
      return [...heads.values()]
        .map((h) => h.value)
        .filter(isPublicChannel)
        .map(toRoom)
        .sort(byActivity)
        .slice(0, limit);
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
        if (entry.role === 'owner') throw forbidden('The owner\'s role cannot be changed');
        if (entry.role === role) return undefined;
        return { ...current, members: { ...current.members, [userId]: { ...entry, role } } };
      });
      await indexRoom(userId, roomId, list.members[userId]?.role ?? role);
      if (changed) await publisher.publish([event('room.member_role_changed', roomId, actorId, { roomId, userId, role })]);
      return { userId, role };
    },

    /**
     * The one direct-message room of two users. Its id comes from the pair,
     * so two users asking at once race for the same head key: one creates
     * it (first write), the other finds it. Every call also makes sure of
     * the member list and both users' indexes, which repairs a creation that
     * stopped half-way.
     */
    async openDm(userId: string, otherId: string): Promise<Room> {
      const roomId = dmRoomId(userId, otherId);
      const existing = await view(roomId, userId);
      let head = existing?.head.value;
      let created = false;
      if (!head) {
        const at = nowIso();
        const pair = [userId, otherId].sort() as [string, string];
        const fresh: RoomHead = {
          id: roomId,
          kind: 'dm',
          name: '',
          topic: '',
          visibility: 'private',
          ownerId: null,
          memberCount: 2,
          lastSeq: 0,
          createdAt: at,
          updatedAt: at,
          lastMessageAt: null,
          window: [],
          membersVersion: 1,
          dmUserIds: pair,
        };
        try {
          await store.put(keys.head(roomId), fresh, { ifAbsent: true });
          head = fresh;
          created = true;
        } catch (error) {
          if (!(error instanceof StateConflictError)) throw error;
          head = (await store.get<RoomHead>(keys.head(roomId)))?.value;
          if (!head) throw error;
        }
      }
      if (!existing?.members) {
        const joinedAt = head.createdAt;
        const list: MemberList = {
          version: 1,
          members: { [userId]: { role: 'member', joinedAt }, [otherId]: { role: 'member', joinedAt } },
        };
        await store.insertMissing([{ key: keys.members(roomId), value: list }]);
      }
      const room = toRoom(head);
      const published = created
        ? publisher.publish([
            event('room.created', roomId, userId, room),
            membershipEvent('room.member_joined', roomId, userId, userId, 1),
            membershipEvent('room.member_joined', roomId, userId, otherId, 1),
          ])
        : undefined;
      await Promise.all([indexRoom(userId, roomId, 'member'), indexRoom(otherId, roomId, 'member')]);
      await published;
      return room;
    },

    /** Users who share at least one room with the caller (whom presence concerns). */
    async contacts(userId: string): Promise<string[]> {
      const index = (await store.get<UserRooms>(keys.userRooms(userId)))?.value.rooms ?? {};
      const lists = await store.getMany<MemberList>(Object.keys(index).map(keys.members));
      const users = new Set<string>();
      for (const { value } of lists.values()) {
        if (!value.members[userId]) continue; // a stale index entry: not the caller's room any more
        for (const id of Object.keys(value.members)) users.add(id);
      }
      users.delete(userId);
      return [...users].sort();
    },
  };
}

export type Rooms = ReturnType<typeof createRooms>;

function byActivity(a: Room, b: Room): number {
  return b.updatedAt.localeCompare(a.updatedAt) || a.id.localeCompare(b.id);
}
