import type { ChatContext } from './context.js';
import { createMessages } from './messages.js';
import { createRooms } from './rooms.js';
import { MessageSequencer, type SequencerOptions } from './sequencer.js';

/** The chat domain, assembled from its ports. */
export function createChat(ctx: ChatContext, options: SequencerOptions) {
  return {
    rooms: createRooms(ctx),
    messages: createMessages(ctx),
    sequencer: new MessageSequencer(ctx, options),
  };
}

export type Chat = ReturnType<typeof createChat>;
