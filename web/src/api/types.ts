/**
 * The shapes of the public contract that this client uses: REST bodies
 * (docs/api.md, the OpenAPI document at /api/openapi.json) and the Socket.IO
 * event maps, which come from the platform's own typed contract so that the
 * client and the server cannot disagree on an event name or payload.
 */
export type {
  AckError,
  AckResponse,
  ChatMessage,
  ChatRoom,
  ClientToServerEvents,
  MembershipChange,
  MessageRef,
  PresenceState,
  ReadMarker,
  ServerToClientEvents,
  TypingState,
} from '@chat/platform/realtime';
import type { ChatRoom } from '@chat/platform/realtime';

/** `user` of `/api/auth/*`. */
export interface User {
  id: string;
  username: string;
  email: string;
  createdAt: string;
}

/** `POST /api/auth/register` and `/login`; `/refresh` answers the same without `user`. */
export interface Tokens {
  accessToken: string;
  refreshToken: string;
  /** Seconds the access token is valid from now. */
  expiresIn: number;
}

export interface AuthResult extends Tokens {
  user: User;
}

export interface Settings {
  theme: 'system' | 'light' | 'dark';
  notifications: 'all' | 'mentions' | 'none';
}

/** `GET /api/profiles/:userId`. */
export interface PublicProfile {
  userId: string;
  username: string;
  displayName: string;
  bio: string;
  avatarUrl: string | null;
  createdAt: string;
  updatedAt: string;
}

/** `GET /api/profiles/me`: the public profile and the user's own settings. */
export interface Profile extends PublicProfile {
  settings: Settings;
}

export type ProfilePatch = Partial<Pick<Profile, 'displayName' | 'bio' | 'avatarUrl'>> & { settings?: Partial<Settings> };

export type Role = 'owner' | 'admin' | 'member';

/** An entry of `GET /api/rooms`: the room with the caller's unread count and role. */
export interface MyRoom extends ChatRoom {
  unread: number;
  role: Role;
}

/** A member in `GET /api/rooms/:roomId`, joined by the gateway with profile and presence. */
export interface Member {
  userId: string;
  role: Role;
  displayName: string | null;
  /** Unique where display names are not; null when the gateway could not read the profile. */
  username: string | null;
  avatarUrl: string | null;
  online: boolean;
}

export interface RoomDetail extends ChatRoom {
  members: Member[];
}

export interface NewRoom {
  name: string;
  topic?: string;
  visibility: 'public' | 'private';
  memberIds?: string[];
}
