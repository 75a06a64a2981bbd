/**
 * Where committed messages are stored once they are out of the room head:
 * in blocks of BLOCK_SIZE consecutive seqs, one key each. A history page is
 * then one read of two or three keys, and a commit stores its messages with
 * one write per block it touches. Dapr's bulk state calls cost one store
 * command per key, so a page of 50 message keys cost 50 reads on every store
 * (docs/benchmarks.md has the figures before and after).
 *
 * A block is written by merging, under its ETag: seqs it lacks are added,
 * seqs it has are kept as they are (they may have been edited since). So any
 * writer (the committing replica, another replica storing what a dead one
 * left in the head, an edit) can repeat its write after losing a race, and
 * none undoes another's.
 *
 * Messages stored one key per seq (`msg:{room}:{seq}`, before blocks) are
 * still read where a block lacks them, and are moved into their block when
 * they are edited or deleted.
 */
import { updateKey } from './context.js';
import { keys } from './keys.js';
import type { Message, RoomHead } from './model.js';
import type { KeyValueStore, Versioned, WriteCondition } from './ports.js';

/**
 * Seqs per block. A 50-message page spans two or three blocks; a block is
 * small enough that rewriting it on every commit of a quiet room stays cheap.
 */
export const BLOCK_SIZE = 32;

/** A block's value: its stored messages, ascending by seq (a block being filled has fewer than BLOCK_SIZE). */
export interface MessageBlock {
  messages: Message[];
}

/** What a bulk read found, by key. */
export type Found = Map<string, Versioned<unknown>>;

const blockOf = (seq: number) => Math.floor((seq - 1) / BLOCK_SIZE);

const blockKey = (roomId: string, seq: number) => keys.messageBlock(roomId, blockOf(seq));

/** The keys of the blocks that hold `seqs`, each once. */
export function blockKeys(roomId: string, seqs: Iterable<number>): string[] {
  const out = new Set<string>();
  for (const seq of seqs) out.add(blockKey(roomId, seq));
  return [...out];
}

/** The message at `seq` in the blocks of `found`, when stored there. */
export function storedMessage(found: Found, roomId: string, seq: number): Message | undefined {
  const block = found.get(blockKey(roomId, seq))?.value as MessageBlock | undefined;
  return block?.messages.find((m) => m.seq === seq);
}

/**
 * The messages at `seqs` (up to the head's lastSeq): from their blocks (read
 * now unless `found` holds them already), else the head's window, else their
 * key from before blocks. Seqs found nowhere are absent from the map.
 */
export async function loadMessages(store: KeyValueStore, head: RoomHead, seqs: number[], found?: Found): Promise<Map<number, Message>> {
  const visible = seqs.filter((seq) => seq >= 1 && seq <= head.lastSeq);
  const blocks = found ?? (await store.getMany<unknown>(blockKeys(head.id, visible)));
  const out = new Map<number, Message>();
  const missing: number[] = [];
  for (const seq of visible) {
    const message = storedMessage(blocks, head.id, seq) ?? head.window.find((m) => m.seq === seq);
    if (message) out.set(seq, message);
    else missing.push(seq);
  }
  if (missing.length > 0) {
    const legacy = await store.getMany<Message>(missing.map((seq) => keys.legacyMessage(head.id, seq)));
    for (const seq of missing) {
      const message = legacy.get(keys.legacyMessage(head.id, seq))?.value;
      if (message) out.set(seq, message);
    }
  }
  return out;
}

/** Blocks read already: what a bulk read found, and which keys it asked for (a key asked for and absent there is absent). */
export interface KnownBlocks {
  blocks: Found;
  asked: Set<string>;
}

/**
 * Stores committed messages of one room in their blocks; messages a block
 * has already are left as they are. `found` holds blocks the caller read
 * already, which saves their first read; a block changed since is read again.
 */
export async function storeMessages(store: KeyValueStore, roomId: string, messages: Message[], found?: KnownBlocks): Promise<void> {
  await Promise.all(
    [...byBlock(roomId, messages)].map(([key, adding]) => {
      const known = found?.asked.has(key) ? ((found.blocks.get(key) as Versioned<MessageBlock> | undefined) ?? null) : undefined;
      return updateKey<MessageBlock>(store, key, (block) => merge(block, adding), { known });
    }),
  );
}

/**
 * The writes that store `messages` in their blocks, each starting from the
 * block as `found` holds it (under its ETag, or only if still absent), for
 * a caller that sends them together with other writes. Undefined when a
 * block was not read: then storeMessages it is.
 */
export function blockWrites(
  roomId: string,
  messages: Message[],
  found: KnownBlocks,
): Array<{ key: string; value: MessageBlock; condition: WriteCondition }> | undefined {
  const writes: Array<{ key: string; value: MessageBlock; condition: WriteCondition }> = [];
  for (const [key, adding] of byBlock(roomId, messages)) {
    if (!found.asked.has(key)) return undefined;
    const known = found.blocks.get(key) as Versioned<MessageBlock> | undefined;
    const value = merge(known?.value, adding);
    if (value) writes.push({ key, value, condition: known ? { etag: known.etag } : { ifAbsent: true } });
  }
  return writes;
}

function byBlock(roomId: string, messages: Message[]): Map<string, Message[]> {
  const out = new Map<string, Message[]>();
  for (const message of messages) {
    const key = blockKey(roomId, message.seq);
    out.set(key, [...(out.get(key) ?? []), message]);
  }
  return out;
}

/**
 * Replaces the message at `seq` with what `change` makes of it, under its
 * block's ETag, first moving it into its block when it is only in the head's
 * window or under its key from before blocks. Resolves with the message as
 * stored afterwards (undefined: no such message); `change` returning
 * undefined leaves it as it is.
 */
export async function changeStoredMessage(
  store: KeyValueStore,
  head: RoomHead,
  seq: number,
  change: (message: Message) => Message | undefined,
): Promise<Message | undefined> {
  const key = blockKey(head.id, seq);
  const current = await store.get<MessageBlock>(key);
  let unstored: Message | undefined;
  if (!current?.value.messages.some((m) => m.seq === seq)) {
    unstored = (await loadMessages(store, head, [seq], new Map(current ? [[key, current]] : []))).get(seq);
    if (!unstored) return undefined;
  }
  let result: Message | undefined;
  await updateKey<MessageBlock>(
    store,
    key,
    (block) => {
      const merged = unstored ? (merge(block, [unstored]) ?? block!) : block!;
      const at = merged.messages.findIndex((m) => m.seq === seq);
      result = merged.messages[at]!;
      const next = change(result);
      if (next === undefined) return merged === block ? undefined : merged;
      result = next;
      return { messages: merged.messages.map((m, i) => (i === at ? next : m)) };
    },
    { known: current ?? null },
  );
  return result;
}

/** `block` with `adding`'s messages that it lacks, in seq order; undefined when it has them all. */
function merge(block: MessageBlock | undefined, adding: Message[]): MessageBlock | undefined {
  const have = new Set(block?.messages.map((m) => m.seq));
  const fresh = adding.filter((m) => !have.has(m.seq));
  if (fresh.length === 0) return undefined;
  return { messages: [...(block?.messages ?? []), ...fresh].sort((a, b) => a.seq - b.seq) };
}
