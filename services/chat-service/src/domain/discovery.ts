/** The public directory: finding public channels by name. */
import type { ChatContext } from './context.js';
import { DIRECTORY_SHARDS, keys } from './keys.js';
import { isPublicChannel, toRoom, type DirectoryShard, type Room, type RoomHead } from './model.js';
import { byActivity } from './room-records.js';

/** How many public rooms discovery looks at, at most, before ordering them. */
const DISCOVERY_SCAN = 1_000;

export function createDiscovery(ctx: ChatContext) {
  const { store } = ctx;
  return {
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
  };
}
