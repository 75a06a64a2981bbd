/**
 * Who may connect, and what a connected socket gets. A handshake passes, in
 * order: the per-address rate, the token, the per-user caps, then the user's
 * rooms are joined and presence is written, all before `connect`. A
 * connected socket gets the command handlers (messages, typing, session) and
 * an expiry watch; its closing updates presence.
 */
import type { IncomingMessage } from 'node:http';
import { randomUUID } from 'node:crypto';
import { addressKey, FANOUT_TOPICS, metrics, SOCKET_ROOMS, type ChatMessage, type Logger } from '@chat/platform';
import { toAckError } from './ack.js';
import type { ChatApi } from './chat-api.js';
import type { FanoutPublisher } from './fanout.js';
import { registerMessageHandlers } from './handlers/messages.handlers.js';
import { registerSessionHandlers } from './handlers/session.handlers.js';
import { registerTypingHandlers } from './handlers/typing.handlers.js';
import type { EventGuard, Rate } from './limits.js';
import type { Membership } from './membership.js';
import { roomIdsOf, type PresenceTracker } from './presence-tracker.js';
import { RateLimiter } from './rate-limiter.js';
import type { DeliveryOrderer } from './delivery-orderer.js';
import { expiryWatch, handshake, refusal, type TokenVerifier } from './session.js';
import type { RealtimeServer, RealtimeSocket } from './types.js';

export interface ConnectionSettings {
  /** Sockets one user may hold open on one replica (those in their handshake included). */
  maxSocketsPerUser: number;
  /** Connection attempts per client address, before the token is checked. */
  handshakeLimit: Rate;
  /** Connection attempts (past the token check) per user. */
  connectLimit: Rate;
  typingTtlMs: number;
}

export interface ConnectionDeps {
  io: RealtimeServer;
  tokens: TokenVerifier;
  chat: ChatApi;
  fanout: FanoutPublisher;
  logger: Logger;
  settings: ConnectionSettings;
  membership: Membership;
  guard: EventGuard;
  presence: PresenceTracker;
  sequencer: DeliveryOrderer;
  /** A message a socket sent and chat-service stored. */
  sent: (message: ChatMessage) => void;
  /** The client's address behind a handshake request. */
  addressOf: (req: IncomingMessage) => string;
  /** True once the replica is closing: a socket that connects then is closed at once. */
  closing: () => boolean;
}

/** Tokens without an `exp` claim are treated as living this long (access tokens live 15 min). */
const FALLBACK_TOKEN_MS = 15 * 60_000;
/** A membership change seen shortly before a socket's room list was read is replayed too (replay is idempotent). */
const REPLAY_SLACK_MS = 1_000;

/** Installs the handshake checks and the connection handler on `io`; answers the pruning of its limiters (for the heartbeat). */
export function acceptConnections(deps: ConnectionDeps): { prune(): void } {
  const { io, tokens, chat, logger, settings, membership, guard, presence } = deps;
  const connects = new RateLimiter(settings.connectLimit);
  const handshakes = new RateLimiter(settings.handshakeLimit);

  const authenticateSocket = handshake(tokens, logger, FALLBACK_TOKEN_MS);
  // Per address first: a handshake costs a signature check even when its token is forged. An IPv6 /64 is one address, as for REST.
  io.use((socket, next) => {
    const taken = handshakes.take(addressKey(deps.addressOf(socket.request)));
    next(
      taken.ok
        ? undefined
        : refusal('rate_limited', `Too many connection attempts from this address; retry in ${taken.retryAfterMs} ms`, { retryAfterMs: taken.retryAfterMs }),
    );
  });
  io.use((socket, next) => void authenticateSocket(socket, next));
  io.use((socket, next) => next(admit(socket)));
  io.use(
    (socket, next) =>
      void joinRooms(socket).then(
        // The presence entry is written before the connection is accepted: once
        // a client sees `connect`, every replica counts this socket.
        () =>
          presence
            .reconcile(socket.data.userId, () => [...new Set([...presence.roomsOf(socket.data.userId), ...roomIdsOf(socket)])], 1)
            .then(() => {
              const rooms = roomIdsOf(socket);
              next();
              // A client that left during the handshake never connects (Socket.IO connects it on the next tick): undo its presence.
              setImmediate(() => {
                if (!socket.connected) void presence.reconcile(socket.data.userId, () => rooms);
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
    if (deps.closing()) return void socket.disconnect(true);
    presence.opened(userId);
    metrics.sockets.inc();
    const log = logger.child({ userId, socketId: socket.id });
    log.info({ rooms: socket.rooms.size - 2 }, 'socket connected');
    const expiry = expiryWatch(socket, logger);

    guard.attach(socket);
    registerMessageHandlers(socket, {
      chat,
      logger,
      sent: deps.sent,
      synced: (roomId, lastSeq) => deps.sequencer.synced(roomId, lastSeq),
    });
    registerTypingHandlers(socket, {
      logger,
      refreshMs: Math.max(500, Math.floor(settings.typingTtlMs / 2.5)),
      publish: (state) => deps.fanout.publish(FANOUT_TOPICS.typing, { roomId: state.roomId, occurredAt: new Date().toISOString(), data: state }),
    });
    registerSessionHandlers(socket, { tokens, logger, fallbackMs: FALLBACK_TOKEN_MS, reschedule: expiry.reschedule });

    let roomsAtClose: string[] = [];
    socket.on('disconnecting', () => {
      roomsAtClose = presence.roomsOf(userId);
    });
    socket.on('disconnect', (reason) => {
      metrics.sockets.dec();
      log.info({ reason }, 'socket disconnected');
      presence.closed(userId, roomsAtClose);
    });
  });

  return {
    prune() {
      connects.prune();
      handshakes.prune();
    },
  };
}
