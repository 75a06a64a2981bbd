import type { ChatContext } from './context.js';
import { createMessages } from './messages.js';
import { MessageOutbox, type OutboxOptions } from './outbox.js';
import { createRooms } from './rooms.js';
import { MessageSequencer, type SequencerOptions } from './sequencer.js';

/** The chat domain, assembled from its ports. The outbox's sweep runs once `outbox.start()` is called. */
export function createChat(ctx: ChatContext, options: SequencerOptions, outboxOptions: OutboxOptions) {
  // The relay's marker writes trim what the sequencer has stored out of the head's window.
  const outbox: MessageOutbox = new MessageOutbox(ctx, outboxOptions, (roomId, window) => sequencer.trimmedWindow(roomId, window));
  const sequencer = new MessageSequencer(ctx, options, outbox);
  return {
    rooms: createRooms(ctx),
    messages: createMessages(ctx),
    sequencer,
    outbox,
  };
}

export type Chat = ReturnType<typeof createChat>;
