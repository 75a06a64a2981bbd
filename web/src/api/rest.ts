import { ApiError } from './errors.js';
import { query, request, type RequestOptions } from './http.js';
import type { Session } from './session.js';
import type { AuthResult, ChatMessage, ChatRoom, MyRoom, NewRoom, Profile, ProfilePatch, PublicProfile, RoomDetail } from './types.js';

const RETRY_READ_WITHIN_S = 10;

/**
 * The REST half of the contract (docs/api.md), one method per operation this
 * client uses. Authenticated calls take the session's access token; a `401`
 * refreshes the session once and repeats the call, and a `GET` refused with a
 * short `429` is repeated once after its `Retry-After`.
 */
export class RestApi {
  private readonly session: Session;

  constructor(session: Session) {
    this.session = session;
  }

  // ---- /api/auth (no token)

  register(input: { username: string; email: string; password: string; displayName?: string }): Promise<AuthResult> {
    return request('POST', '/api/auth/register', { json: input });
  }

  login(login: string, password: string): Promise<AuthResult> {
    return request('POST', '/api/auth/login', { json: { login, password } });
  }

  // ---- /api/profiles

  myProfile(): Promise<Profile> {
    return this.call('GET', '/api/profiles/me');
  }

  updateProfile(patch: ProfilePatch): Promise<Profile> {
    return this.call('PATCH', '/api/profiles/me', { json: patch });
  }

  /** Raw image bytes; the file's own type (PNG, JPEG or WebP) is the content type. */
  uploadAvatar(image: Blob): Promise<Profile> {
    return this.call('PUT', '/api/profiles/me/avatar', { raw: image });
  }

  profile(userId: string): Promise<PublicProfile> {
    return this.call('GET', `/api/profiles/${encodeURIComponent(userId)}`);
  }

  /** At most 100 ids per call (the contract's limit); unknown ids are left out. */
  async profiles(userIds: string[]): Promise<PublicProfile[]> {
    const out: PublicProfile[] = [];
    for (let i = 0; i < userIds.length; i += 100) {
      const page = await this.call<{ profiles: PublicProfile[] }>('GET', `/api/profiles${query({ ids: userIds.slice(i, i + 100).join(',') })}`);
      out.push(...page.profiles);
    }
    return out;
  }

  // ---- /api/rooms, /api/dms

  async rooms(): Promise<MyRoom[]> {
    return (await this.call<{ rooms: MyRoom[] }>('GET', '/api/rooms')).rooms;
  }

  async publicRooms(search: string, limit = 50): Promise<ChatRoom[]> {
    return (await this.call<{ rooms: ChatRoom[] }>('GET', `/api/rooms/public${query({ query: search.trim(), limit })}`)).rooms;
  }

  createRoom(input: NewRoom): Promise<ChatRoom> {
    return this.call('POST', '/api/rooms', { json: input });
  }

  room(roomId: string): Promise<RoomDetail> {
    return this.call('GET', `/api/rooms/${encodeURIComponent(roomId)}`);
  }

  join(roomId: string): Promise<ChatRoom> {
    return this.call('POST', `/api/rooms/${encodeURIComponent(roomId)}/join`);
  }

  leave(roomId: string): Promise<void> {
    return this.call('POST', `/api/rooms/${encodeURIComponent(roomId)}/leave`);
  }

  addMember(roomId: string, userId: string): Promise<void> {
    return this.call('POST', `/api/rooms/${encodeURIComponent(roomId)}/members`, { json: { userId } });
  }

  /** The one direct-message room of the caller and `userId` (the same room every time). */
  directRoom(userId: string): Promise<ChatRoom> {
    return this.call('POST', '/api/dms', { json: { userId } });
  }

  /** A page of history, ascending by seq: the newest page, or the one just `before` a seq. */
  messages(roomId: string, page: { before?: number; limit?: number } = {}): Promise<{ messages: ChatMessage[]; hasMore: boolean }> {
    return this.call('GET', `/api/rooms/${encodeURIComponent(roomId)}/messages${query({ before: page.before, limit: page.limit })}`);
  }

  private async call<T>(method: string, path: string, options: RequestOptions = {}, retried = false): Promise<T> {
    const token = await this.session.validToken();
    try {
      return await request<T>(method, path, { ...options, token });
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      if (error.status === 401 && !retried) {
        await this.session.refresh(token);
        return this.call(method, path, options, true);
      }
      // A read the app made by itself (not a user's action) waits out a short 429 once instead of failing.
      if (error.code === 'rate_limited' && method === 'GET' && !retried && (error.retryAfterSeconds ?? 1) <= RETRY_READ_WITHIN_S) {
        await new Promise((resolve) => setTimeout(resolve, (error.retryAfterSeconds ?? 1) * 1000));
        return this.call(method, path, options, true);
      }
      throw error;
    }
  }
}
