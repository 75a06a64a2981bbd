/**
 * Rooms, as the HTTP routes see them: one object assembled from the room
 * capabilities, each in its own module over the shared room records:
 *
 * - `membership.ts`: channels, their members, roles and each user's rooms;
 * - `discovery.ts`: the public directory;
 * - `direct-messages.ts`: the one room of two users.
 */
import type { ChatContext } from './context.js';
import { createDirectMessages } from './direct-messages.js';
import { createDiscovery } from './discovery.js';
import { createMembership } from './membership.js';
import { createRoomRecords } from './room-records.js';

export type { CreateRoomInput, MyRoom, RoomDetail } from './membership.js';

export function createRooms(ctx: ChatContext) {
  const records = createRoomRecords(ctx);
  return {
    view: records.view,
    ...createMembership(ctx, records),
    ...createDiscovery(ctx),
    ...createDirectMessages(ctx, records),
  };
}

export type Rooms = ReturnType<typeof createRooms>;
