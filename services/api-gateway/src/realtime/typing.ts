import type { TypingState } from '@chat/platform';

/**
 * The receiving side of typing indicators, on every replica: relays each
 * state to the room, and when a `typing: true` is not refreshed within
 * `ttlMs`, relays `typing: false` by itself, so an indicator never sticks
 * when its sender vanished. Each replica expires on its own clock, with the
 * same result for its own sockets.
 */
export class TypingRelay {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly options: { ttlMs: number; emit: (state: TypingState) => void };

  constructor(options: { ttlMs: number; emit: (state: TypingState) => void }) {
    this.options = options;
  }

  apply(state: TypingState): void {
    const key = `${state.roomId}\u0000${state.userId}`;
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
    if (state.typing) {
      const timer = setTimeout(() => {
        this.timers.delete(key);
        this.options.emit({ roomId: state.roomId, userId: state.userId, typing: false });
      }, this.options.ttlMs);
      timer.unref();
      this.timers.set(key, timer);
    }
    this.options.emit(state);
  }

  /** Who is typing now, as `roomId\0userId` keys (tests, diagnostics). */
  get active(): number {
    return this.timers.size;
  }

  close(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}

/**
 * The sending side, per socket: a client repeats `typing: true` while its
 * user types; only changes, and a refresh every `refreshMs`, go out on
 * pub/sub (refreshMs well below the receivers' ttl keeps the indicator on).
 */
export class TypingThrottle {
  private readonly last = new Map<string, { typing: boolean; at: number }>();
  private readonly options: { refreshMs: number; now?: () => number };

  constructor(options: { refreshMs: number; now?: () => number }) {
    this.options = options;
  }

  /** Whether this state should be published now. */
  shouldPublish(roomId: string, typing: boolean): boolean {
    const now = this.options.now?.() ?? Date.now();
    const previous = this.last.get(roomId);
    if (previous && previous.typing === typing && (!typing || now - previous.at < this.options.refreshMs)) return false;
    this.last.set(roomId, { typing, at: now });
    return true;
  }

  /** Rooms where this socket last said it was typing. */
  typingRooms(): string[] {
    return [...this.last].filter(([, state]) => state.typing).map(([roomId]) => roomId);
  }
}
