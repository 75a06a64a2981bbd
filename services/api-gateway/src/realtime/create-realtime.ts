/**
 * The gateway's Socket.IO edge (docs/realtime.md):
 * sockets authenticated at the handshake and closed with `auth:expired` when
 * their token runs out; client commands turned into chat-service calls
 * through Dapr; every `fanout` event relayed to the Socket.IO rooms of the
 * affected room's members, in `seq` order per room; typing and presence.
 *
 * Each socket is in `user:{userId}` and in `room:{roomId}` for each room of
 * its user. Every replica receives every fanout event, and emits it to its
 * own sockets only (no Socket.IO adapter between replicas).
 */
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import { Server } from 'socket.io';
import {
  COMPONENTS,
  FANOUT_TOPICS,
  SOCKET_ROOMS,
  activeSpan,
  metrics,
  secondsSince,
  startSpan,
  withSpanContext,
  type SpanContext,
  type ChatMessage,
  type MessagesCreated,
  type ChatRoom,
  type FanoutEnvelope,
  type FanoutTopic,
  type Logger,
  type MembershipChange,
  type MessageRef,
  type PresenceState,
  type ReadMarker,
  type Sidecar,
  type TopicSubscription,
  type TypingState,
} from '@chat/platform';
import { randomUUID } from 'node:crypto';
import type { TokenVerifier } from '../http/middleware/authenticate.js';
import { toAckError } from './ack.js';
import { chatApiOverDapr, type ChatApi } from './chat-api.js';
import { coalescingSends } from './send-coalescer.js';
import { fanoutSubscriptions } from './fanout.js';
import { registerMessageHandlers } from './handlers/messages.handlers.js';
import { registerSessionHandlers } from './handlers/session.handlers.js';
import { registerTypingHandlers } from './handlers/typing.handlers.js';
import { MemberAudit } from './member-audit.js';
import { Membership } from './membership.js';
import type { PresenceChange, PresenceStore } from './presence.js';
import { EventGuard, type Rate } from './limits.js';
import { RateLimiter } from './rate-limiter.js';
import { RoomSequencer } from './sequencer.js';
import { expiryWatch, handshake, refusal } from './session.js';
import { TypingRelay } from './typing.js';
import type { RealtimeServer, RealtimeSocket } from './types.js';

export interface RealtimeSettings {
  reorderWindowMs: number;
  gapHoldMs: number;
  sendRatePerSecond: number;
  sendBurst: number;
  typingTtlMs: number;
  presenceHeartbeatMs: number;
  upstreamTimeoutMs: number;
  /** Sockets one user may hold open on one replica (those in their handshake included). */
  maxSocketsPerUser: number;
  /** Connection attempts per client address, before the token is checked. */
  handshakeLimit: Rate;
  /** Connection attempts (past the token check) per user. */
  connectLimit: Rate;
  syncLimit: Rate;
  readLimit: Rate;
  typingLimit: Rate;
  refreshLimit: Rate;
  /** Every incoming event, whatever it is. */
  eventLimit: Rate;
  /** A room's sockets here are checked against its member list at most this often (when events are relayed to it). */
  membershipCheckMs: number;
}

export interface RealtimeDeps {
  logger: Logger;
  sidecar: Sidecar;
  tokens: TokenVerifier;
  presence: PresenceStore;
  settings: RealtimeSettings;
  /** Defaults to chat-service over Dapr invocation. */
  chat?: ChatApi;
  /** The client's address behind a handshake request (trusted proxies); defaults to the socket's peer. */
  clientAddress?: (req: IncomingMessage) => string;
}

export interface Realtime {
  /** The fanout subscriptions, for the Koa app to serve to its sidecar. */
  subscriptions: TopicSubscription[];
  /** Attaches Socket.IO (path /socket.io) to the server; call after the Koa handler is on it. */
  attach(server: HttpServer): void;
  /** Marks this replica's users offline, closes every socket. */
  close(): Promise<void>;
  io: RealtimeServer;
}

/** Tokens without an `exp` claim are treated as living this long (access tokens live 15 min). */
const FALLBACK_TOKEN_MS = 15 * 60_000;
/** A membership change seen shortly before a socket's room list was read is replayed too (replay is idempotent). */
const REPLAY_SLACK_MS = 1_000;

export function createRealtime(deps: RealtimeDeps): Realtime {
  const { sidecar, tokens, presence, settings } = deps;
  const logger = deps.logger.child({ component: 'realtime' });
  const startedAt = Date.now();
  const chat = coalescingSends(deps.chat ?? chatApiOverDapr(sidecar, { timeoutMs: settings.upstreamTimeoutMs }));
  // 64 KiB per packet, as for a REST JSON body.
  const io: RealtimeServer = new Server({ path: '/socket.io', serveClient: false, maxHttpBufferSize: 64 * 1024 });
  const membership = new Membership(io);
  const audit = new MemberAudit({ io, chat, membership, logger, intervalMs: settings.membershipCheckMs });
  const guard = new EventGuard({
    message: { ratePerSecond: settings.sendRatePerSecond, burst: settings.sendBurst },
    sync: settings.syncLimit,
    read: settings.readLimit,
    typing: settings.typingLimit,
    session: settings.refreshLimit,
    event: settings.eventLimit,
  });
  const connects = new RateLimiter(settings.connectLimit);
  const handshakes = new RateLimiter(settings.handshakeLimit);
  const addressOf = deps.clientAddress ?? ((req: IncomingMessage) => req.socket.remoteAddress ?? '');
  /** Live sockets per user on this replica. */
  const localSockets = new Map<string, number>();
  /** Presence writes and publishes in flight (awaited on close). */
  const inFlight = new Set<Promise<unknown>>();
  let closing = false;

  const track = <T>(promise: Promise<T>): Promise<T> => {
    inFlight.add(promise);
    void promise.finally(() => inFlight.delete(promise)).catch(() => undefined);
    return promise;
  };

  const publish = <T>(topic: FanoutTopic, envelope: FanoutEnvelope<T>) => sidecar.publish(COMPONENTS.fanout, topic, envelope);

  // --- Ordered delivery of messages ---------------------------------------

  /**
   * The trace each message came in (the delivery, or the socket send that
   * stored it), for its emit: the sequencer may emit it later, from another
   * message's delivery.
   */
  const messageTraces = new WeakMap<ChatMessage, SpanContext>();
  const arrived = (message: ChatMessage) => {
    const span = activeSpan();
    if (span) messageTraces.set(message, span);
    sequencer.push(message);
  };

  /** Emits a real-time event as a span of its trace, and measures how late it is. */
  function emitTraced(event: string, parent: SpanContext | undefined, occurredAt: string | undefined, emit: () => void): void {
    const span = startSpan(`socket emit ${event}`, { kind: 'PRODUCER', parent, tags: { 'socket.event': event } });
    withSpanContext(span.context, () => {
      emit();
      logger.debug({ event }, 'emitted to sockets');
    });
    span.end();
    const lag = secondsSince(occurredAt);
    if (lag !== undefined) metrics.emitLag.observe({ event }, lag);
  }

  const sequencer = new RoomSequencer({
    windowMs: settings.reorderWindowMs,
    unreadableHoldMs: settings.gapHoldMs,
    logger,
    emit: (message) =>
      emitTraced('message:new', messageTraces.get(message), message.createdAt, () =>
        io.to(SOCKET_ROOMS.room(message.roomId)).emit('message:new', message),
      ),
    fetchAfter: async (roomId, afterSeq, limit) => {
      // History is read as a member connected here; with nobody here, there is nobody to deliver to.
      const reader = localMemberOf(roomId);
      if (!reader) return [];
      const page = await chat.history({ userId: reader, requestId: randomUUID() }, roomId, afterSeq, limit);
      return page.messages;
    },
  });

  function localMemberOf(roomId: string): string | undefined {
    for (const id of io.sockets.adapter.rooms.get(SOCKET_ROOMS.room(roomId)) ?? []) {
      const userId = io.sockets.sockets.get(id)?.data.userId;
      if (userId) return userId;
    }
    return undefined;
  }

  // --- Typing and presence --------------------------------------------------

  const typing = new TypingRelay({
    ttlMs: settings.typingTtlMs,
    emit: (state) => io.to(SOCKET_ROOMS.room(state.roomId)).except(SOCKET_ROOMS.user(state.userId)).emit('typing', state),
  });

  const roomIdsOf = (socket: RealtimeSocket): string[] =>
    [...socket.rooms].filter((name) => name.startsWith('room:')).map((name) => name.slice(5));

  /** Rooms of a user's connected sockets on this replica, as room ids. */
  function roomsOf(userId: string): string[] {
    const rooms = new Set<string>();
    for (const id of io.sockets.adapter.rooms.get(SOCKET_ROOMS.user(userId)) ?? []) {
      const socket = io.sockets.sockets.get(id);
      if (socket) for (const roomId of roomIdsOf(socket)) rooms.add(roomId);
    }
    return [...rooms];
  }

  /**
   * Writes this replica's presence entry for the user, and tells the user's
   * rooms when it went online or offline. `connecting` counts a socket still
   * in its handshake as live.
   */
  function reconcilePresence(userId: string, rooms: () => string[], connecting = 0): Promise<void> {
    return track(
      presence
        .reconcile(userId, () => (localSockets.get(userId) ?? 0) + connecting > 0)
        .then((change: PresenceChange) => {
          if (!change) return;
          const state: PresenceState = { userId, status: change };
          return publish(FANOUT_TOPICS.presence, { roomId: '', roomIds: rooms(), occurredAt: new Date().toISOString(), data: state });
        })
        .catch((error: unknown) => logger.warn({ err: error, userId }, 'presence update failed')),
    );
  }

  const heartbeat = setInterval(() => {
    for (const userId of localSockets.keys()) void reconcilePresence(userId, () => roomsOf(userId));
    guard.prune();
    connects.prune();
    handshakes.prune();
    membership.prune();
    audit.prune();
  }, settings.presenceHeartbeatMs);
  heartbeat.unref();

  // --- Fanout events from every replica and from chat-service ---------------

  const subscriptions = fanoutSubscriptions({
    startedAt,
    logger,
    handle(topic, envelope) {
      const data = envelope.data;
      const room = SOCKET_ROOMS.room(envelope.roomId);
      // Live delivery follows the member list: rooms that get events are checked against it now and then.
      if (envelope.roomId) audit.touch(envelope.roomId);
      switch (topic) {
        case FANOUT_TOPICS.messagesCreated:
          for (const message of (data as unknown as MessagesCreated).messages ?? []) arrived(message);
          return undefined;
        case FANOUT_TOPICS.messageUpdated: {
          const message = data as unknown as ChatMessage;
          return sequencer.afterEmitted(message.roomId, message.seq, () => io.to(room).emit('message:updated', message));
        }
        case FANOUT_TOPICS.messageDeleted: {
          const ref = data as unknown as MessageRef;
          return sequencer.afterEmitted(ref.roomId, ref.seq, () => io.to(room).emit('message:deleted', ref));
        }
        case FANOUT_TOPICS.memberJoined:
        case FANOUT_TOPICS.memberLeft: {
          const change = data as unknown as MembershipChange;
          const joined = topic === FANOUT_TOPICS.memberJoined;
          // A join puts the sockets in first, so the new member hears of its own joining; a
          // removal tells the room (the leaver included) and then stops delivering at once.
          // A change older than one already applied for this member is dropped (pub/sub reorders).
          membership.apply({ roomId: change.roomId, userId: change.userId, joined, version: envelope.membersVersion }, () =>
            io.to(SOCKET_ROOMS.room(change.roomId)).emit(joined ? 'room:member_joined' : 'room:member_left', change),
          );
          return undefined;
        }
        case FANOUT_TOPICS.roomUpdated:
          return void io.to(room).emit('room:updated', data as unknown as ChatRoom);
        case FANOUT_TOPICS.readUpdated:
          return void io.to(room).emit('read', data as unknown as ReadMarker);
        case FANOUT_TOPICS.typing:
          return typing.apply(data as unknown as TypingState);
        case FANOUT_TOPICS.presence: {
          const state = data as unknown as PresenceState;
          const rooms = (envelope.roomIds ?? []).map(SOCKET_ROOMS.room);
          if (rooms.length === 0) return;
          return void io.to(rooms).except(SOCKET_ROOMS.user(state.userId)).emit('presence', state);
        }
        default:
          return undefined;
      }
    },
  });

  // --- Connections ----------------------------------------------------------

  const authenticateSocket = handshake(tokens, logger, FALLBACK_TOKEN_MS);
  // Per address first: a handshake costs a signature check even when its token is forged.
  io.use((socket, next) => {
    const taken = handshakes.take(addressOf(socket.request));
    next(taken.ok ? undefined : refusal('rate_limited', `Too many connection attempts from this address; retry in ${taken.retryAfterMs} ms`, { retryAfterMs: taken.retryAfterMs }));
  });
  io.use((socket, next) => void authenticateSocket(socket, next));
  io.use((socket, next) => next(admit(socket)));
  io.use((socket, next) =>
    void joinRooms(socket).then(
      // The presence entry is written before the connection is accepted: once
      // a client sees `connect`, every replica counts this socket.
      () =>
        reconcilePresence(socket.data.userId, () => [...new Set([...roomsOf(socket.data.userId), ...roomIdsOf(socket)])], 1).then(() => {
          const rooms = roomIdsOf(socket);
          next();
          // A client that left during the handshake never connects (Socket.IO connects it on the next tick): undo its presence.
          setImmediate(() => {
            if (!socket.connected) void reconcilePresence(socket.data.userId, () => rooms);
          });
        }),
      (error: unknown) => {
        const ack = toAckError(error, logger);
        next(refusal(ack.code === 'unauthenticated' ? 'unauthenticated' : 'unavailable', 'Could not load your rooms; retry shortly'));
      },
    ),
  );

  /**
   * Caps a user's sockets on this replica and the rate of their connection
   * attempts (each one reads the user's rooms and writes presence). The
   * check and the socket's joining `user:{id}` happen in one synchronous
   * step, so parallel handshakes cannot overshoot; a socket leaves that room
   * when it closes or its handshake fails, which frees its place.
   */
  function admit(socket: RealtimeSocket): Error | undefined {
    const { userId } = socket.data;
    const userRoom = SOCKET_ROOMS.user(userId);
    const open = io.sockets.adapter.rooms.get(userRoom)?.size ?? 0;
    if (open >= settings.maxSocketsPerUser) {
      return refusal('rate_limited', `Too many open connections for this user (at most ${settings.maxSocketsPerUser}); close one first`);
    }
    const taken = connects.take(userId);
    if (!taken.ok) {
      return refusal('rate_limited', `Too many connection attempts; retry in ${taken.retryAfterMs} ms`, { retryAfterMs: taken.retryAfterMs });
    }
    void socket.join(userRoom);
    return undefined;
  }

  /** Puts a connecting socket in its user's room and in the rooms of every room its user belongs to. */
  async function joinRooms(socket: RealtimeSocket): Promise<void> {
    const { userId } = socket.data;
    const since = Date.now() - REPLAY_SLACK_MS;
    await socket.join(SOCKET_ROOMS.user(userId));
    const roomIds = await chat.roomIds({ userId, requestId: randomUUID() });
    await socket.join(roomIds.map(SOCKET_ROOMS.room));
    membership.replay(socket, since);
  }

  io.on('connection', (socket) => {
    const { userId } = socket.data;
    if (closing) return void socket.disconnect(true);
    localSockets.set(userId, (localSockets.get(userId) ?? 0) + 1);
    metrics.sockets.inc();
    const log = logger.child({ userId, socketId: socket.id });
    log.info({ rooms: socket.rooms.size - 2 }, 'socket connected');
    const expiry = expiryWatch(socket, logger);

    guard.attach(socket);
    registerMessageHandlers(socket, {
      chat,
      logger,
      sent: arrived,
      synced: (roomId, lastSeq) => sequencer.synced(roomId, lastSeq),
    });
    registerTypingHandlers(socket, {
      logger,
      refreshMs: Math.max(500, Math.floor(settings.typingTtlMs / 2.5)),
      publish: (state) => publish(FANOUT_TOPICS.typing, { roomId: state.roomId, occurredAt: new Date().toISOString(), data: state }),
    });
    registerSessionHandlers(socket, { tokens, logger, fallbackMs: FALLBACK_TOKEN_MS, reschedule: expiry.reschedule });

    let roomsAtClose: string[] = [];
    socket.on('disconnecting', () => {
      roomsAtClose = roomsOf(userId);
    });
    socket.on('disconnect', (reason) => {
      metrics.sockets.dec();
      const left = (localSockets.get(userId) ?? 1) - 1;
      if (left > 0) localSockets.set(userId, left);
      else localSockets.delete(userId);
      log.info({ reason }, 'socket disconnected');
      if (left === 0) void reconcilePresence(userId, () => roomsAtClose);
    });
  });

  return {
    io,
    subscriptions,
    attach(server) {
      io.attach(server);
    },
    async close() {
      closing = true;
      clearInterval(heartbeat);
      // Disconnecting every socket runs each user's presence write (offline); wait for them.
      io.disconnectSockets(true);
      await Promise.allSettled([...inFlight]);
      sequencer.close();
      typing.close();
      io.engine?.close();
    },
  };
}
