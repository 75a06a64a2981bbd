import { createHash } from 'node:crypto';

/**
 * The chat-service's key layout in the state store (daprd prefixes each key
 * with the app-id). Keys that are ever written "only if absent" are always
 * created that way too: on Redis a first-write is refused only when the
 * existing key was itself written with first-write (docs/profiles.md).
 */
export const keys = {
  /** RoomHead: the room, lastSeq and the newest messages. */
  head: (roomId: string) => `room:${roomId}`,
  /** MemberList. */
  members: (roomId: string) => `members:${roomId}`,
  /** MessageBlock `n` of a room: seqs n×BLOCK_SIZE+1 … (n+1)×BLOCK_SIZE (message-blocks.ts); merged under its ETag. */
  messageBlock: (roomId: string, n: number) => `msgs:${roomId}:${n}`,
  /** Message `seq`, one key per message: how messages were stored before blocks; read only, where a block lacks the message. */
  legacyMessage: (roomId: string, seq: number) => `msg:${roomId}:${seq}`,
  /** IdempotencyRecord; created only if absent, never changed. */
  idempotency: (roomId: string, authorId: string, clientMsgId: string) =>
    `idem:${roomId}:${authorId}:${createHash('sha256').update(clientMsgId).digest('base64url')}`,
  /** UserRooms. */
  userRooms: (userId: string) => `user:${userId}:rooms`,
  /** ReadMarker. */
  readMarker: (roomId: string, userId: string) => `read:${roomId}:${userId}`,
  /** DirectoryShard `n` of the public rooms. */
  directoryShard: (shard: number) => `directory:public:${shard}`,
  /** OutboxShard `n`: rooms that may have unpublished messages (domain/outbox.ts). */
  outboxShard: (shard: number) => `outbox:rooms:${shard}`,
} as const;

/** Public rooms are spread over this many directory keys, so that creating rooms rarely contends. */
export const DIRECTORY_SHARDS = 8;

export function directoryShardOf(roomId: string): number {
  return createHash('sha256').update(roomId).digest()[0]! % DIRECTORY_SHARDS;
}

/** The outbox's room index is spread over this many keys, so that rooms listing themselves rarely contend. */
export const OUTBOX_SHARDS = 16;

export function outboxShardOf(roomId: string): number {
  return createHash('sha256').update(roomId).digest()[1]! % OUTBOX_SHARDS;
}

/**
 * The one direct-message room id of two users, whoever asks: a UUID (version
 * 8, RFC 9562) made from a hash of the sorted pair, so that both asking at
 * once race for the same head key and exactly one creates it.
 */
export function dmRoomId(a: string, b: string): string {
  const [x, y] = [a, b].sort();
  const hex = createHash('sha256').update(`dm\n${x}\n${y}`).digest('hex').slice(0, 32).split('');
  hex[12] = '8';
  hex[16] = ((Number.parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  const h = hex.join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
