import type { ChatEvent, EventPublisher } from '../../domain/ports.js';

export interface MemoryPublisher extends EventPublisher {
  /** Every event the "broker" took, in order (the same event twice when it was published twice). */
  events: ChatEvent[];
  /** While true, publishOrFail rejects and publish drops what it is given, as a broker that is down. */
  down: boolean;
  /** publishOrFail calls that were refused. */
  refused: number;
}

/** Records what would be published, for unit tests. */
export function createMemoryPublisher(): MemoryPublisher {
  const self: MemoryPublisher = {
    events: [],
    down: false,
    refused: 0,
    async publish(batch) {
      if (!self.down) self.events.push(...batch);
    },
    async publishOrFail(batch) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (self.down) {
        self.refused++;
        throw new Error('the broker is down');
      }
      self.events.push(...batch);
    },
  };
  return self;
}
