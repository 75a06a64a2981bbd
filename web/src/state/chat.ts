import { ApiError, describeError } from '../api/errors.js';
import { Realtime } from '../api/realtime.js';
import { RestApi } from '../api/rest.js';
import { Session } from '../api/session.js';
import type { ChatMessage, ChatRoom, Member, MyRoom, NewRoom, ProfilePatch, PublicProfile } from '../api/types.js';
import { freshReads } from './fresh-reads.js';
import { slots } from './slots.js';
import { Store, type AppState, type Timeline } from './store.js';
import { contiguousEnd, lastSeq, firstSeq, markDeleted, mergeMessages, settlePending, type PendingMessage } from './timeline.js';

const PAGE = 50;
const OLDER_RETRY_MS = 1_000;
const TYPING_REPEAT_MS = 2_000;
const TYPING_IDLE_MS = 3_000;
/** A little over the server's 5 s, in case its `typing: false` is lost. */
const TYPING_SHOWN_MS = 6_000;
const SEND_RETRY_MS = [1_000, 2_000, 4_000, 8_000, 15_000];
const NOTICE_MS = 8_000;
/**
 * Rooms that catch up with `sync` at once after a connect. A page can be
 * large, and the gateway closes a connection that holds more unread than
 * its bound (REALTIME_MAX_QUEUED_BYTES): on a slow link, every room's pages
 * asked for together could pass it.
 */
const CATCH_UPS_AT_ONCE = 2;

/**
 * What the UI calls: sign-in, rooms, messages, profiles. It keeps the
 * `Store` in step with the server from REST answers and Socket.IO events,
 * and owns the rules a chat client must get right:
 * - a message typed is shown at once (pending) and sent over the socket with
 *   a `clientMsgId`; the ack replaces it by the real message; a failure that
 *   may pass (offline, timeout, 503, 429) is retried with the same
 *   `clientMsgId`, so the server never makes a second message of it;
 * - sends to one room go one at a time, in the order typed;
 * - on every (re)connect, each room whose history is held catches up with
 *   `sync` from its last seq, and a gap seen in live `message:new` seqs is
 *   filled the same way; the room list is read again for unread counts;
 * - the read marker is moved while the user looks at a room.
 */
export class ChatClient {
  readonly store = new Store();
  readonly session = new Session();
  readonly rest = new RestApi(this.session);
  private realtime: Realtime | null = null;
  private noticeId = 0;
  private readonly sending = new Set<string>();
  private readonly catchingUp = new Set<string>();
  private readonly catchUpSlot = slots(CATCH_UPS_AT_ONCE);
  private sendFailures = 0;
  private sendRetryTimer: ReturnType<typeof setTimeout> | undefined;
  private profileQueue = new Set<string>();
  private profileTimer: ReturnType<typeof setTimeout> | undefined;
  /** The room list and each room's members: read one at a time, each call answered by a read begun after it. */
  private readonly reads = freshReads<string>();
  private typingSent: { roomId: string; at: number } | null = null;
  private typingIdle: ReturnType<typeof setTimeout> | undefined;
  private typingSweep: ReturnType<typeof setInterval> | undefined;

  get state(): AppState {
    return this.store.state;
  }

  start(): void {
    this.session.onChange((event) => {
      if (event === 'signed-in') this.enter();
      else if (event === 'expired') this.leave('Your session has ended. Please sign in again.');
      else if (event === 'signed-out') this.leave(null);
    });
    document.addEventListener('visibilitychange', () => {
      const roomId = this.state.activeRoomId;
      if (document.visibilityState === 'visible' && roomId) this.markRead(roomId);
    });
    if (this.session.restore()) this.enter();
    else this.store.update(() => ({ phase: 'signed-out' }));
  }

  // ---- session

  async signIn(login: string, password: string): Promise<void> {
    this.session.signIn(await this.rest.login(login, password));
  }

  async register(input: { username: string; email: string; password: string; displayName?: string }): Promise<void> {
    this.session.signIn(await this.rest.register(input));
  }

  signOut(): void {
    void this.session.signOut();
  }

  private enter(): void {
    this.realtime?.stop();
    this.store.reset({ phase: 'signed-in', user: this.session.user });
    const realtime = new Realtime(this.session);
    this.realtime = realtime;
    this.listen(realtime);
    realtime.start();
    void this.loadRooms();
    void this.loadMe();
    clearInterval(this.typingSweep);
    this.typingSweep = setInterval(() => this.sweepTyping(), 1_000);
  }

  private leave(notice: string | null): void {
    this.realtime?.stop();
    this.realtime = null;
    clearInterval(this.typingSweep);
    clearTimeout(this.sendRetryTimer);
    this.store.reset({ phase: 'signed-out', signInNotice: notice });
  }

  private listen(realtime: Realtime): void {
    const socket = realtime.socket;
    realtime.onState((connection) => this.store.update(() => ({ connection })));
    realtime.onConnect(() => this.onConnect());
    socket.on('message:new', (message) => this.onMessage(message));
    socket.on('message:updated', (message) => this.updateTimeline(message.roomId, (t) => ({ messages: mergeMessages(t.messages, [message]) })));
    socket.on('message:deleted', ({ roomId, seq }) => this.updateTimeline(roomId, (t) => ({ messages: markDeleted(t.messages, seq) })));
    socket.on('typing', ({ roomId, userId, typing }) =>
      this.store.update((s) => {
        const room = { ...s.typing[roomId] };
        if (typing) room[userId] = Date.now() + TYPING_SHOWN_MS;
        else delete room[userId];
        return { typing: { ...s.typing, [roomId]: room } };
      }),
    );
    socket.on('presence', ({ userId, status }) => this.store.update((s) => ({ online: { ...s.online, [userId]: status === 'online' } })));
    socket.on('profile:updated', (profile) => this.onProfile(profile));
    socket.on('room:member_joined', ({ roomId, userId }) => {
      if (userId === this.myId || !this.state.rooms[roomId]) void this.loadRooms();
      else if (this.state.members[roomId]) void this.loadMembers(roomId);
    });
    socket.on('room:member_left', ({ roomId, userId }) => {
      if (userId === this.myId) this.dropRoom(roomId, 'You are no longer a member of that room.');
      else if (this.state.members[roomId]) void this.loadMembers(roomId);
    });
    socket.on('room:updated', (room) =>
      this.store.update((s) => (s.rooms[room.id] ? { rooms: { ...s.rooms, [room.id]: { ...s.rooms[room.id]!, ...room } } } : {})),
    );
    socket.on('read', ({ roomId, userId, seq }) => {
      if (userId !== this.myId) return;
      this.store.update((s) => {
        const room = s.rooms[roomId];
        return room ? { rooms: { ...s.rooms, [roomId]: { ...room, unread: Math.max(0, Math.min(room.unread, room.lastSeq - seq)) } } } : {};
      });
    });
  }

  private get myId(): string {
    return this.state.user?.id ?? '';
  }

  /** After every connect: what happened while the socket was away. */
  private onConnect(): void {
    void this.loadRooms();
    for (const roomId of Object.keys(this.state.timelines)) void this.catchUp(roomId);
    this.flushAll();
    const active = this.state.activeRoomId;
    if (active) this.markRead(active);
  }

  // ---- rooms

  /** Reads the room list (see `reads`: a room just created or joined is in the read that answers its caller). */
  loadRooms(): Promise<void> {
    return this.reads('rooms', async () => {
      try {
        const list = await this.rest.rooms();
        this.store.update((s) => {
          const rooms: Record<string, MyRoom> = {};
          for (const room of list) {
            // The active room is being read: its unread count stays at zero.
            rooms[room.id] = room.id === s.activeRoomId && this.looking() ? { ...room, unread: 0 } : room;
          }
          const activeRoomId = s.activeRoomId && rooms[s.activeRoomId] ? s.activeRoomId : null;
          return { rooms, roomOrder: list.map((r) => r.id), activeRoomId };
        });
        // A direct message is named after the other member: read its members now, one room at a time.
        void (async () => {
          for (const room of list) if (room.kind === 'dm' && !this.state.members[room.id]) await this.loadMembers(room.id);
        })();
      } catch (error) {
        this.reportUnlessOffline(error);
      }
    });
  }

  /** Reads a room's members (see `reads`: a member just added is in the read that answers its caller). */
  loadMembers(roomId: string): Promise<void> {
    return this.reads(`members:${roomId}`, async () => {
      try {
        const detail = await this.rest.room(roomId);
        this.store.update((s) => {
          const online = { ...s.online };
          for (const m of detail.members) online[m.userId] = m.online;
          const room = s.rooms[roomId];
          return {
            members: { ...s.members, [roomId]: detail.members },
            online,
            ...(room ? { rooms: { ...s.rooms, [roomId]: { ...room, ...withoutMembers(detail) } } } : {}),
          };
        });
      } catch (error) {
        this.reportUnlessOffline(error);
      }
    });
  }

  openRoom(roomId: string | null): void {
    if (!roomId) return this.store.update(() => ({ activeRoomId: null }));
    // Where the read marker is now, before looking at the room moves it.
    const room = this.state.rooms[roomId];
    const readSeqAtOpen = room && room.unread > 0 ? room.lastSeq - room.unread : null;
    this.store.update((s) => {
      const timeline = s.timelines[roomId];
      return {
        activeRoomId: roomId,
        ...(timeline ? { timelines: { ...s.timelines, [roomId]: { ...timeline, readSeqAtOpen } } } : {}),
      };
    });
    if (!this.state.timelines[roomId]) void this.loadLatest(roomId, readSeqAtOpen);
    if (!this.state.members[roomId]) void this.loadMembers(roomId);
    this.markRead(roomId);
  }

  private async loadLatest(roomId: string, readSeqAtOpen: number | null): Promise<void> {
    try {
      const page = await this.rest.messages(roomId, { limit: PAGE });
      this.store.update((s) => {
        const known = s.timelines[roomId];
        const timeline: Timeline = {
          messages: mergeMessages(known?.messages ?? [], page.messages),
          hasOlder: page.hasMore,
          loadingOlder: false,
          readSeqAtOpen: known?.readSeqAtOpen ?? readSeqAtOpen,
        };
        return { timelines: { ...s.timelines, [roomId]: timeline } };
      });
      this.ensureProfiles(page.messages.map((m) => m.authorId));
      // Anything newer that arrived between the page and now.
      void this.catchUp(roomId);
    } catch (error) {
      this.report(error);
    }
  }

  /** The page before the oldest message held (the user scrolled up); a failed load is retried after OLDER_RETRY_MS. */
  async loadOlder(roomId: string): Promise<void> {
    const timeline = this.state.timelines[roomId];
    if (!timeline || !timeline.hasOlder || timeline.loadingOlder) return;
    this.updateTimeline(roomId, () => ({ loadingOlder: true }));
    try {
      const page = await this.rest.messages(roomId, { before: firstSeq(timeline.messages), limit: PAGE });
      this.updateTimeline(roomId, (t) => ({ messages: mergeMessages(t.messages, page.messages), hasOlder: page.hasMore, loadingOlder: false }));
      this.ensureProfiles(page.messages.map((m) => m.authorId));
    } catch (error) {
      this.report(error);
      // Asked again when the list re-arms its observer; not at once, so a failing server is not hammered.
      setTimeout(() => this.updateTimeline(roomId, () => ({ loadingOlder: false })), OLDER_RETRY_MS);
    }
  }

  /** `sync` from the last seq held until nothing is missing. */
  private async catchUp(roomId: string): Promise<void> {
    const realtime = this.realtime;
    if (!realtime?.connected || this.catchingUp.has(roomId)) return;
    this.catchingUp.add(roomId);
    try {
      for (;;) {
        if (!this.state.timelines[roomId]) return;
        // Where the held messages stop being gapless, read once a slot is free (live messages may land meanwhile).
        const page = await this.catchUpSlot(() => realtime.sync(roomId, contiguousEnd(this.state.timelines[roomId]?.messages ?? [])));
        this.updateTimeline(roomId, (t) => ({ messages: mergeMessages(t.messages, page.messages) }));
        this.store.update((s) => ({ pending: settlePending(s.pending, page.messages, this.myId) }));
        this.noteActivity(roomId, page.messages);
        this.ensureProfiles(page.messages.map((m) => m.authorId));
        if (!page.hasMore || page.messages.length === 0) return;
      }
    } catch (error) {
      if (error instanceof ApiError && (error.code === 'not_found' || error.code === 'forbidden')) this.dropRoom(roomId, null);
      // Otherwise the next connect catches up.
    } finally {
      this.catchingUp.delete(roomId);
    }
  }

  private onMessage(message: ChatMessage): void {
    const { roomId } = message;
    const timeline = this.state.timelines[roomId];
    if (timeline) {
      const gap = timeline.messages.length > 0 && message.seq > lastSeq(timeline.messages) + 1;
      this.updateTimeline(roomId, (t) => ({ messages: mergeMessages(t.messages, [message]) }));
      if (gap) void this.catchUp(roomId);
    }
    this.store.update((s) => {
      const typing = s.typing[roomId];
      const { [message.authorId]: _stopped, ...others } = typing ?? {};
      return {
        pending: settlePending(s.pending, [message], this.myId),
        ...(typing ? { typing: { ...s.typing, [roomId]: others } } : {}),
      };
    });
    if (!this.state.rooms[roomId]) void this.loadRooms();
    this.noteActivity(roomId, [message]);
    this.ensureProfiles([message.authorId]);
  }

  /** New messages move the room to the top and count as unread unless the user is looking at it. */
  private noteActivity(roomId: string, messages: ChatMessage[]): void {
    const room = this.state.rooms[roomId];
    if (!room || messages.length === 0) return;
    const newest = Math.max(...messages.map((m) => m.seq));
    if (newest <= room.lastSeq) return;
    const looking = this.state.activeRoomId === roomId && this.looking();
    const fromOthers = messages.filter((m) => m.seq > room.lastSeq && m.authorId !== this.myId).length;
    this.store.update((s) => ({
      rooms: { ...s.rooms, [roomId]: { ...room, lastSeq: newest, unread: looking ? 0 : room.unread + fromOthers } },
      roomOrder: [roomId, ...s.roomOrder.filter((id) => id !== roomId)],
    }));
    if (looking) this.markRead(roomId);
  }

  private looking(): boolean {
    return document.visibilityState === 'visible';
  }

  /** Moves the read marker to the room's last message (over the socket; the next connect does it if offline). */
  markRead(roomId: string): void {
    const room = this.state.rooms[roomId];
    if (!room || !this.looking()) return;
    if (room.unread > 0) this.store.update((s) => ({ rooms: { ...s.rooms, [roomId]: { ...room, unread: 0 } } }));
    if (room.lastSeq > 0 && this.realtime?.connected) void this.realtime.read(roomId, room.lastSeq).catch(() => undefined);
  }

  private dropRoom(roomId: string, notice: string | null): void {
    if (!this.state.rooms[roomId]) return;
    this.store.update((s) => {
      const { [roomId]: _room, ...rooms } = s.rooms;
      const { [roomId]: _timeline, ...timelines } = s.timelines;
      return { rooms, timelines, roomOrder: s.roomOrder.filter((id) => id !== roomId), activeRoomId: s.activeRoomId === roomId ? null : s.activeRoomId };
    });
    if (notice) this.notify(notice, 'info');
  }

  async createRoom(input: NewRoom): Promise<void> {
    const room = await this.rest.createRoom(input);
    await this.loadRooms();
    this.openRoom(room.id);
  }

  searchPublicRooms(search: string): Promise<ChatRoom[]> {
    return this.rest.publicRooms(search);
  }

  async joinRoom(roomId: string): Promise<void> {
    await this.rest.join(roomId);
    await this.loadRooms();
    this.openRoom(roomId);
  }

  async leaveRoom(roomId: string): Promise<void> {
    await this.rest.leave(roomId);
    this.dropRoom(roomId, null);
  }

  async invite(roomId: string, userId: string): Promise<void> {
    await this.rest.addMember(roomId, userId);
    await this.loadMembers(roomId);
  }

  /** Opens the direct-message room with a user (the same room every time). */
  async startDirect(userId: string): Promise<void> {
    const room = await this.rest.directRoom(userId);
    if (!this.state.rooms[room.id]) await this.loadRooms();
    this.openRoom(room.id);
  }

  // ---- messages

  send(roomId: string, text: string): void {
    const body = text.trim();
    if (!body) return;
    const pending: PendingMessage = { clientMsgId: crypto.randomUUID(), roomId, body, status: 'sending', createdAt: new Date().toISOString() };
    this.store.update((s) => ({ pending: [...s.pending, pending] }));
    this.stopTyping(roomId);
    void this.flush(roomId);
  }

  retrySend(clientMsgId: string): void {
    const pending = this.state.pending.find((p) => p.clientMsgId === clientMsgId);
    if (!pending) return;
    this.setPending(clientMsgId, { status: 'sending' });
    void this.flush(pending.roomId);
  }

  discardSend(clientMsgId: string): void {
    this.store.update((s) => ({ pending: s.pending.filter((p) => p.clientMsgId !== clientMsgId) }));
  }

  private flushAll(): void {
    for (const roomId of new Set(this.state.pending.map((p) => p.roomId))) void this.flush(roomId);
  }

  /** Sends a room's pending messages one after another, in order. */
  private async flush(roomId: string): Promise<void> {
    const realtime = this.realtime;
    if (!realtime?.connected || this.sending.has(roomId)) return;
    this.sending.add(roomId);
    try {
      for (;;) {
        const next = this.state.pending.find((p) => p.roomId === roomId && p.status === 'sending');
        if (!next) return;
        try {
          const message = await realtime.send(roomId, next.body, next.clientMsgId);
          this.sendFailures = 0;
          this.updateTimeline(roomId, (t) => ({ messages: mergeMessages(t.messages, [message]) }));
          this.store.update((s) => ({ pending: s.pending.filter((p) => p.clientMsgId !== next.clientMsgId) }));
          this.noteActivity(roomId, [message]);
        } catch (error) {
          if (error instanceof ApiError && error.transient) {
            // Offline: the next connect flushes. Otherwise try again shortly, with the same clientMsgId.
            if (realtime.connected) this.retrySendsLater();
            return;
          }
          this.setPending(next.clientMsgId, { status: 'failed', error: describeError(error) });
        }
      }
    } finally {
      this.sending.delete(roomId);
    }
  }

  private retrySendsLater(): void {
    clearTimeout(this.sendRetryTimer);
    const delay = SEND_RETRY_MS[Math.min(this.sendFailures, SEND_RETRY_MS.length - 1)]!;
    this.sendFailures++;
    this.sendRetryTimer = setTimeout(() => this.flushAll(), delay);
  }

  private setPending(clientMsgId: string, change: Partial<PendingMessage>): void {
    this.store.update((s) => ({ pending: s.pending.map((p) => (p.clientMsgId === clientMsgId ? { ...p, ...change } : p)) }));
  }

  /** Edits one's own message; throws (after telling the user) when refused, so the editor stays open. */
  async edit(roomId: string, seq: number, body: string): Promise<void> {
    try {
      const message = await this.command().edit(roomId, seq, body.trim());
      this.updateTimeline(roomId, (t) => ({ messages: mergeMessages(t.messages, [message]) }));
    } catch (error) {
      this.report(error);
      throw error;
    }
  }

  async remove(roomId: string, seq: number): Promise<void> {
    try {
      await this.command().remove(roomId, seq);
      this.updateTimeline(roomId, (t) => ({ messages: markDeleted(t.messages, seq) }));
    } catch (error) {
      this.report(error);
    }
  }

  private command(): Realtime {
    if (!this.realtime?.connected) throw new ApiError('network', 'Not connected');
    return this.realtime;
  }

  /** The user typed in a room's composer: `typing: true`, repeated while typing, `false` after a pause. */
  typed(roomId: string): void {
    const now = Date.now();
    if (!this.typingSent || this.typingSent.roomId !== roomId || now - this.typingSent.at > TYPING_REPEAT_MS) {
      if (this.typingSent && this.typingSent.roomId !== roomId) this.stopTyping(this.typingSent.roomId);
      this.realtime?.typing(roomId, true);
      this.typingSent = { roomId, at: now };
    }
    clearTimeout(this.typingIdle);
    this.typingIdle = setTimeout(() => this.stopTyping(roomId), TYPING_IDLE_MS);
  }

  stopTyping(roomId: string): void {
    clearTimeout(this.typingIdle);
    if (this.typingSent?.roomId !== roomId) return;
    this.typingSent = null;
    this.realtime?.typing(roomId, false);
  }

  private sweepTyping(): void {
    const now = Date.now();
    const stale = Object.entries(this.state.typing).some(([, users]) => Object.values(users).some((until) => until <= now));
    if (!stale) return;
    this.store.update((s) => ({
      typing: Object.fromEntries(
        Object.entries(s.typing).map(([roomId, users]) => [roomId, Object.fromEntries(Object.entries(users).filter(([, until]) => until > now))]),
      ),
    }));
  }

  private updateTimeline(roomId: string, change: (timeline: Timeline) => Partial<Timeline>): void {
    this.store.update((s) => {
      const timeline = s.timelines[roomId];
      return timeline ? { timelines: { ...s.timelines, [roomId]: { ...timeline, ...change(timeline) } } } : {};
    });
  }

  // ---- profiles

  private async loadMe(): Promise<void> {
    try {
      const me = await this.rest.myProfile();
      this.store.update((s) => ({ me, profiles: { ...s.profiles, [me.userId]: me } }));
    } catch (error) {
      this.reportUnlessOffline(error);
    }
  }

  async saveProfile(patch: ProfilePatch): Promise<void> {
    const me = await this.rest.updateProfile(patch);
    this.store.update((s) => ({ me, profiles: { ...s.profiles, [me.userId]: me } }));
  }

  async uploadAvatar(image: Blob): Promise<void> {
    const me = await this.rest.uploadAvatar(image);
    this.store.update((s) => ({ me, profiles: { ...s.profiles, [me.userId]: me } }));
  }

  /**
   * Someone who shares a room changed their profile (`profile:updated`, the
   * caller too, from another tab): the new name and avatar show wherever they
   * appear, beside old messages too. Events may arrive out of order: one
   * older than the profile held is stale.
   */
  private onProfile(profile: PublicProfile): void {
    this.store.update((s) => {
      const held = s.profiles[profile.userId];
      if (held && Date.parse(held.updatedAt) > Date.parse(profile.updatedAt)) return {};
      const { displayName, username, avatarUrl } = profile;
      const members: Record<string, Member[]> = {};
      for (const [roomId, list] of Object.entries(s.members)) {
        members[roomId] = list.some((m) => m.userId === profile.userId)
          ? list.map((m) => (m.userId === profile.userId ? { ...m, displayName, username, avatarUrl } : m))
          : list;
      }
      const me = s.me?.userId === profile.userId ? { ...s.me, ...profile } : s.me;
      return { members, me, profiles: { ...s.profiles, [profile.userId]: profile } };
    });
  }

  async viewProfile(userId: string): Promise<PublicProfile> {
    const profile = await this.rest.profile(userId);
    this.store.update((s) => ({ profiles: { ...s.profiles, [userId]: profile } }));
    return profile;
  }

  /** Reads the profiles of authors not seen yet, batched (one `GET /api/profiles?ids=` per burst). */
  private ensureProfiles(userIds: string[]): void {
    for (const id of userIds) if (!this.state.profiles[id]) this.profileQueue.add(id);
    if (this.profileQueue.size === 0 || this.profileTimer) return;
    this.profileTimer = setTimeout(() => {
      const ids = [...this.profileQueue];
      this.profileQueue = new Set();
      this.profileTimer = undefined;
      void this.rest.profiles(ids).then(
        (found) => this.store.update((s) => ({ profiles: { ...s.profiles, ...Object.fromEntries(found.map((p) => [p.userId, p])) } })),
        () => undefined,
      );
    }, 50);
  }

  // ---- notices

  notify(text: string, kind: 'error' | 'info' = 'error'): void {
    const id = ++this.noticeId;
    this.store.update((s) => ({ notices: [...s.notices.filter((n) => n.text !== text), { id, text, kind }] }));
    setTimeout(() => this.dismiss(id), NOTICE_MS);
  }

  dismiss(id: number): void {
    this.store.update((s) => ({ notices: s.notices.filter((n) => n.id !== id) }));
  }

  report(error: unknown): void {
    if (error instanceof ApiError && error.code === 'unauthenticated') return; // the session handler says it
    this.notify(describeError(error));
  }

  /** While offline the connection banner says it already. */
  private reportUnlessOffline(error: unknown): void {
    if (error instanceof ApiError && error.code === 'network') return;
    this.report(error);
  }
}

function withoutMembers<T extends { members: unknown }>(detail: T): Omit<T, 'members'> {
  const { members: _members, ...room } = detail;
  return room;
}
