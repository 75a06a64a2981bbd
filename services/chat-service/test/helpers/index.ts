import { randomUUID } from 'node:crypto';
import { createLogger } from '@chat/platform';
import { createMemoryPublisher } from '../../src/adapters/memory/publisher.js';
import { createMemoryStateStore, type MemoryStateStore } from '../../src/adapters/memory/state-store.js';
import { createChat } from '../../src/domain/chat.js';
import type { ChatContext } from '../../src/domain/context.js';
import type { OutboxOptions } from '../../src/domain/outbox.js';
import type { SequencerOptions } from '../../src/domain/sequencer.js';

export const silent = createLogger({ name: 'test', level: 'silent' });

/**
 * A chat domain over in-memory adapters. `replica()` builds another instance
 * over the same store and publisher, as a second chat-service replica.
 */
export function memoryChat(options: Partial<SequencerOptions> = {}, store: MemoryStateStore = createMemoryStateStore(), outbox: Partial<OutboxOptions> = {}) {
  const publisher = createMemoryPublisher();
  const ctx: ChatContext = { store, publisher, logger: silent, now: () => new Date(), newId: randomUUID };
  const sequencerOptions = { batchMax: 100, batchBytes: 65_536, windowSize: 8, deadlineMs: 10_000, ...options };
  const outboxOptions: OutboxOptions = { markDelayMs: 5, graceMs: 200, sweepMs: 1_000, unlistAfterMs: 60_000, ...outbox };
  const replica = () => createChat(ctx, sequencerOptions, outboxOptions);
  return { store, publisher, ctx, replica, ...replica() };
}

export const uid = () => randomUUID();
