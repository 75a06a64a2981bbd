import type { ConnectionState } from '../api/realtime.js';
import type { ChatMessage, Member, MyRoom, Profile, PublicProfile, User } from '../api/types.js';
import type { PendingMessage } from './timeline.js';

export interface Timeline {
  messages: ChatMessage[];
  /** Older messages exist before the first one held. */
  hasOlder: boolean;
  loadingOlder: boolean;
  /** The read marker when the room was opened: the "new messages" divider goes after it. */
  readSeqAtOpen: number | null;
}

export interface Notice {
  id: number;
  text: string;
  kind: 'error' | 'info';
}

export interface AppState {
  phase: 'starting' | 'signed-out' | 'signed-in';
  user: User | null;
  me: Profile | null;
  connection: ConnectionState;
  /** The caller's rooms by id, and their order (most recent activity first). */
  rooms: Record<string, MyRoom>;
  roomOrder: string[];
  members: Record<string, Member[]>;
  activeRoomId: string | null;
  timelines: Record<string, Timeline>;
  pending: PendingMessage[];
  profiles: Record<string, PublicProfile>;
  online: Record<string, boolean>;
  /** roomId → userId → when the indicator lapses (epoch ms). */
  typing: Record<string, Record<string, number>>;
  notices: Notice[];
  /** Shown on the sign-in screen (e.g. why the session ended). */
  signInNotice: string | null;
}

export const initialState = (): AppState => ({
  phase: 'starting',
  user: null,
  me: null,
  connection: 'connecting',
  rooms: {},
  roomOrder: [],
  members: {},
  activeRoomId: null,
  timelines: {},
  pending: [],
  profiles: {},
  online: {},
  typing: {},
  notices: [],
  signInNotice: null,
});

/** The app's state, replaced (never mutated) on each change; the UI re-renders on `subscribe`. */
export class Store {
  private current: AppState = initialState();
  private readonly listeners = new Set<() => void>();

  get state(): AppState {
    return this.current;
  }

  update(change: (state: AppState) => Partial<AppState>): void {
    this.current = { ...this.current, ...change(this.current) };
    for (const listener of this.listeners) listener();
  }

  reset(patch: Partial<AppState>): void {
    this.current = { ...initialState(), ...patch };
    for (const listener of this.listeners) listener();
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
