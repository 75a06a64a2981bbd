import { ApiError } from './errors.js';
import { request } from './http.js';
import type { AuthResult, Tokens, User } from './types.js';

/**
 * The signed-in session: the user and the token pair of `/api/auth`.
 *
 * - The access token (15 minutes) is refreshed in the background before it
 *   expires, so a session lasts as long as its refresh token is valid; a REST
 *   call or a socket handshake refused with `401` also refreshes once.
 * - Refresh tokens rotate: each `POST /api/auth/refresh` spends the old one,
 *   and presenting a spent one again revokes the whole session (reuse
 *   detection), except the last refresh repeated within 30 s while its new
 *   token is unused: an answer lost to a dropped connection or a reload, so
 *   trying again after a network error is safe. Tabs of one browser share
 *   the session (localStorage), so a refresh runs under a Web Lock, and
 *   inside it the stored pair is read again: if another tab refreshed
 *   meanwhile, its pair is adopted instead of spending ours a second time.
 * - Signing out in one tab signs out the others (the `storage` event).
 */
export interface SessionData {
  user: User;
  accessToken: string;
  refreshToken: string;
  /** Epoch milliseconds when the access token expires. */
  accessExpiresAt: number;
}

export type SessionEvent = 'signed-in' | 'refreshed' | 'signed-out' | 'expired';

const STORAGE_KEY = 'chat.session';
const LOCK_NAME = 'chat.session.refresh';
/** Refresh this long before expiry at most (and a quarter of the token's life at least). */
const REFRESH_LEAD_MS = 60_000;
const RETRY_MS = [1_000, 2_000, 5_000, 10_000, 30_000];

export class Session {
  private data: SessionData | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private inFlight: Promise<string> | null = null;
  private failures = 0;
  private readonly listeners = new Set<(event: SessionEvent) => void>();
  private readonly storage: Storage;

  constructor(storage: Storage = window.localStorage) {
    this.storage = storage;
  }

  get user(): User | null {
    return this.data?.user ?? null;
  }

  get accessToken(): string | null {
    return this.data?.accessToken ?? null;
  }

  get accessExpiresAt(): number {
    return this.data?.accessExpiresAt ?? 0;
  }

  onChange(listener: (event: SessionEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Restores the stored session (if any) and follows other tabs' changes. Returns whether one was found. */
  restore(): boolean {
    window.addEventListener('storage', (event) => {
      if (event.key !== STORAGE_KEY) return;
      const stored = this.read();
      if (!stored) {
        if (this.data) this.end('signed-out', false);
      } else if (stored.refreshToken !== this.data?.refreshToken) {
        const wasSignedIn = this.data !== null;
        this.adopt(stored);
        this.emit(wasSignedIn ? 'refreshed' : 'signed-in');
      }
    });
    // A tab that slept past its timer refreshes as soon as it is looked at.
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible' && this.data && this.expiresSoon()) void this.refresh().catch(() => undefined);
    });
    const stored = this.read();
    if (!stored) return false;
    this.adopt(stored);
    return true;
  }

  /** After register or login. */
  signIn(result: AuthResult): void {
    this.adopt(this.toData(result.user, result));
    this.write();
    this.emit('signed-in');
  }

  /** A token that is good for at least a few more seconds, refreshing first when needed. */
  async validToken(): Promise<string> {
    if (!this.data) throw new ApiError('unauthenticated', 'Not signed in', { status: 401 });
    if (this.expiresSoon(5_000)) return this.refresh();
    return this.data.accessToken;
  }

  /**
   * Trades the refresh token for a new pair (one refresh at a time per tab,
   * and per browser through the lock). `staleToken`: the access token a
   * caller saw refused; if the session already moved past it, the current one
   * is returned without another refresh. A refused refresh token ends the
   * session (`expired`); a transient failure keeps it and retries later.
   */
  refresh(staleToken?: string): Promise<string> {
    if (staleToken && this.data && this.data.accessToken !== staleToken) return Promise.resolve(this.data.accessToken);
    this.inFlight ??= this.refreshLocked().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  /** Ends the session here and on the server (the refresh token is revoked). */
  async signOut(): Promise<void> {
    const refreshToken = this.data?.refreshToken;
    this.end('signed-out', true);
    if (refreshToken) await request('POST', '/api/auth/logout', { json: { refreshToken } }).catch(() => undefined);
  }

  private async refreshLocked(): Promise<string> {
    const run = () => this.refreshNow();
    // Web Locks exist in secure contexts (https:, or http: on localhost/127.0.0.1).
    return navigator.locks ? navigator.locks.request(LOCK_NAME, run) : run();
  }

  private async refreshNow(): Promise<string> {
    const mine = this.data;
    if (!mine) throw new ApiError('unauthenticated', 'Not signed in', { status: 401 });
    const stored = this.read();
    if (stored && stored.refreshToken !== mine.refreshToken && stored.user.id === mine.user.id) {
      // Another tab already spent our refresh token and stored the new pair.
      this.adopt(stored);
      this.emit('refreshed');
      return stored.accessToken;
    }
    try {
      const tokens = await request<Tokens>('POST', '/api/auth/refresh', { json: { refreshToken: mine.refreshToken } });
      this.failures = 0;
      this.adopt(this.toData(mine.user, tokens));
      this.write();
      this.emit('refreshed');
      return tokens.accessToken;
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        this.end('expired', true);
      } else {
        // Offline, 429 or 503: keep the session and try again (honouring Retry-After).
        const retryMs =
          error instanceof ApiError && error.retryAfterSeconds ? error.retryAfterSeconds * 1000 : RETRY_MS[Math.min(this.failures, RETRY_MS.length - 1)]!;
        this.failures++;
        this.schedule(retryMs);
      }
      throw error;
    }
  }

  private toData(user: User, tokens: Tokens): SessionData {
    return { user, accessToken: tokens.accessToken, refreshToken: tokens.refreshToken, accessExpiresAt: Date.now() + tokens.expiresIn * 1000 };
  }

  private adopt(data: SessionData): void {
    this.data = data;
    const life = data.accessExpiresAt - Date.now();
    this.schedule(life - Math.min(REFRESH_LEAD_MS, life / 4));
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.refresh().catch(() => undefined), Math.max(0, delayMs));
  }

  private expiresSoon(marginMs = REFRESH_LEAD_MS): boolean {
    return this.accessExpiresAt - Date.now() < marginMs;
  }

  private end(event: 'signed-out' | 'expired', clearStorage: boolean): void {
    clearTimeout(this.timer);
    this.data = null;
    if (clearStorage) this.storage.removeItem(STORAGE_KEY);
    this.emit(event);
  }

  private read(): SessionData | null {
    try {
      const raw = this.storage.getItem(STORAGE_KEY);
      const data = raw ? (JSON.parse(raw) as SessionData) : null;
      return data && typeof data.refreshToken === 'string' && typeof data.user?.id === 'string' ? data : null;
    } catch {
      return null;
    }
  }

  private write(): void {
    if (this.data) this.storage.setItem(STORAGE_KEY, JSON.stringify(this.data));
  }

  private emit(event: SessionEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}
