import type { ChatEvent, EventPublisher } from '../../domain/ports.js';

/** Records what would be published, for unit tests. */
export function createMemoryPublisher(): EventPublisher & { events: ChatEvent[] } {
  const events: ChatEvent[] = [];
  return {
    events,
    async publish(batch) {
      events.push(...batch);
    },
  };
}
