import type { ChatContext } from './context.js';
import { createMessages } from './messages.js';
import { MessageOutbox, type OutboxOptions } from './outbox.js';
import { createRooms } from './rooms.js';
import { MessageSequencer, type SequencerOptions } from './sequencer.js';

/** The chat domain, assembled from its ports. The outbox's sweep runs once `outbox.start()` is called. */
export function createChat(ctx: ChatContext, options: SequencerOptions, outboxOptions: OutboxOptions) {
  const outbox = new MessageOutbox(ctx, outboxOptions);
  return {
    rooms: createRooms(ctx),
    messages: createMessages(ctx),
    sequencer: new MessageSequencer(ctx, options, outbox),
    outbox,
  };
}

export type Chat = ReturnType<typeof createChat>;
