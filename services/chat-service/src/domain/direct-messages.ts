/** Direct messages: the one room of two users, opened (and repaired) on demand. */
import type { ChatContext } from './context.js';
import { dmRoomId, keys } from './keys.js';
import { toRoom, type MemberList, type Room, type RoomHead } from './model.js';
import { StateConflictError } from './ports.js';
import { newHeadState, type RoomRecords } from './room-records.js';

export function createDirectMessages(ctx: ChatContext, records: RoomRecords) {
  const { store } = ctx;
  const { nowIso, view, indexRoom, event, membershipEvent, deriveThenAnnounce } = records;
  return {
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
          ...newHeadState(at),
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
      await deriveThenAnnounce(
        [indexRoom(userId, roomId, 'member'), indexRoom(otherId, roomId, 'member')],
        created
          ? [
              event('room.created', roomId, userId, room),
              membershipEvent('room.member_joined', roomId, userId, userId, 1),
              membershipEvent('room.member_joined', roomId, userId, otherId, 1),
            ]
          : [],
      );
      return room;
    },
  };
}
