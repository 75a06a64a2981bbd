/**
 * The gateway's Socket.IO edge (docs/realtime.md):
 * sockets authenticated at the handshake and closed with `auth:expired` when
 * their token runs out (connections.ts); client commands turned into
 * chat-service calls (ChatApi, sends coalesced per room); every `fanout`
 * event relayed to the Socket.IO rooms of the affected room's members
 * (fanout.ts, fanout-relay.ts), new messages in `seq` order per room
 * (message-delivery.ts); typing and presence (presence-tracker.ts).
 *
 * Before any of that, engine.io connections are limited per client address
 * (transport-admission.ts), and a connection whose client does not read what
 * it is sent is closed (outbound-limit.ts).
 *
 * Each socket is in `user:{userId}` and in `room:{roomId}` for each room of
 * its user. Every replica receives every fanout event, and emits it to its
 * own sockets only (no Socket.IO adapter between replicas).
 */
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import { Server } from 'socket.io';
import { SOCKET_ROOMS, type Logger, type TopicSubscription } from '@chat/platform';
import { clientAddressResolver } from '../http/client-address.js';
import type { ChatApi } from './chat-api.js';
import { acceptConnections } from './connections.js';
import { fanoutSubscriptions, type FanoutPublisher } from './fanout.js';
import { fanoutRelay } from './fanout-relay.js';
import { profileRelay } from './profile-relay.js';
import { EventGuard, type Rate } from './limits.js';
import { MemberAudit } from './member-audit.js';
import { Membership } from './membership.js';
import { messageDelivery } from './message-delivery.js';
import { closeNow, limitOutbound, type EngineConnectionLike, type OutboundLimit } from './outbound-limit.js';
import type { PresenceStore } from './presence.js';
import { PresenceTracker } from './presence-tracker.js';
import { coalescingSends } from './send-coalescer.js';
import type { TokenVerifier } from './session.js';
import { transportAdmission } from './transport-admission.js';
import { TypingRelay } from './typing.js';
import type { RealtimeServer } from './types.js';
import { coalesceFlushWrites } from './write-coalescing.js';

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
  /** Refused events one socket may earn (limits.ts); past it the socket is closed. */
  refusalLimit: Rate;
  /** What one connection may hold that its client has not read, in bytes (outbound-limit.ts). */
  maxQueuedBytes: number;
  /** Engine.IO connections a client address may open (transport-admission.ts). */
  transportLimit: Rate;
  /** Engine.IO connections a client address may hold open at once. */
  maxConnectionsPerAddress: number;
  /** How long a connection may stay open without a socket connected over it. */
  connectTimeoutMs: number;
}

export interface RealtimeDeps {
  logger: Logger;
  tokens: TokenVerifier;
  presence: PresenceStore;
  settings: RealtimeSettings;
  /** chat-service (adapters/dapr/chat-service.ts). */
  chat: ChatApi;
  /** Where typing and presence changes are published for every replica (adapters/dapr/fanout-publisher.ts). */
  fanout: FanoutPublisher;
  /** The client's address behind a handshake request (trusted proxies); defaults to the socket's peer. */
  clientAddress?: (req: IncomingMessage) => string;
}

export interface Realtime {
  /** The fanout subscriptions and the profile relay's (profile-relay.ts), for the Koa app to serve to its sidecar. */
  subscriptions: TopicSubscription[];
  /** Attaches Socket.IO (path /socket.io) to the server; call after the Koa handler is on it. */
  attach(server: HttpServer): void;
  /** Marks this replica's users offline, closes every socket. */
  close(): Promise<void>;
  io: RealtimeServer;
  /** What an engine.io connection holds that its client has not read, in bytes (0 before `attach`). */
  queuedBytes(conn: EngineConnectionLike): number;
}

/** Builds the parts of the real-time edge and wires them together; nothing listens until `attach`. */
export function createRealtime(deps: RealtimeDeps): Realtime {
  const { settings } = deps;
  const logger = deps.logger.child({ component: 'realtime' });
  const startedAt = Date.now();
  const chat = coalescingSends(deps.chat);
  const addressOf = deps.clientAddress ?? clientAddressResolver(undefined);
  const admission = transportAdmission({ rate: settings.transportLimit, maxOpen: settings.maxConnectionsPerAddress }, addressOf);
  const io: RealtimeServer = new Server({
    path: '/socket.io',
    serveClient: false,
    // 64 KiB per packet, as for a REST JSON body.
    maxHttpBufferSize: 64 * 1024,
    allowRequest: admission.allowRequest,
    connectTimeout: settings.connectTimeoutMs,
  });
  let outbound: OutboundLimit | undefined;
  const membership = new Membership(io);
  const audit = new MemberAudit({ io, chat, membership, logger, intervalMs: settings.membershipCheckMs });
  const guard = new EventGuard({
    limits: {
      message: { ratePerSecond: settings.sendRatePerSecond, burst: settings.sendBurst },
      sync: settings.syncLimit,
      read: settings.readLimit,
      typing: settings.typingLimit,
      session: settings.refreshLimit,
      event: settings.eventLimit,
    },
    refusals: settings.refusalLimit,
    cutOff(socket) {
      const queuedBytes = outbound?.queuedBytes(socket.conn) ?? 0;
      logger.warn({ userId: socket.data.userId, socketId: socket.id, queuedBytes }, 'socket closed: too many refused events');
      closeNow(socket.conn);
    },
  });
  // The same start as the fanout filter's: a message created before it never sets where a room starts here.
  const delivery = messageDelivery({ io, chat, logger, reorderWindowMs: settings.reorderWindowMs, gapHoldMs: settings.gapHoldMs, startedAt });
  const typing = new TypingRelay({
    ttlMs: settings.typingTtlMs,
    emit: (state) => io.to(SOCKET_ROOMS.room(state.roomId)).except(SOCKET_ROOMS.user(state.userId)).emit('typing', state),
  });
  const presence = new PresenceTracker({ io, presence: deps.presence, fanout: deps.fanout, logger });
  const subscriptions = [
    ...fanoutSubscriptions({ startedAt, logger, handlers: fanoutRelay({ io, delivery, membership, audit, typing }) }),
    profileRelay({ chat: deps.chat, fanout: deps.fanout }),
  ];
  let closing = false;
  const connections = acceptConnections({
    io,
    tokens: deps.tokens,
    chat,
    fanout: deps.fanout,
    logger,
    settings,
    membership,
    guard,
    presence,
    sequencer: delivery.sequencer,
    sent: delivery.arrived,
    addressOf,
    closing: () => closing,
  });

  const heartbeat = setInterval(() => {
    presence.heartbeat();
    guard.prune();
    admission.prune();
    connections.prune();
    membership.prune();
    audit.prune();
  }, settings.presenceHeartbeatMs);
  heartbeat.unref();

  return {
    io,
    subscriptions,
    attach(server) {
      io.attach(server);
      admission.track(io.engine);
      outbound = limitOutbound(io.engine, {
        maxQueuedBytes: settings.maxQueuedBytes,
        onOverflow(conn, queuedBytes) {
          logger.warn(
            { address: addressOf(conn.request), queuedBytes, maxQueuedBytes: settings.maxQueuedBytes },
            'connection closed: its client does not read what it is sent',
          );
        },
      });
      coalesceFlushWrites(io.engine);
    },
    queuedBytes: (conn) => outbound?.queuedBytes(conn) ?? 0,
    async close() {
      closing = true;
      clearInterval(heartbeat);
      // Disconnecting every socket runs each user's presence write (offline); wait for them.
      io.disconnectSockets(true);
      await presence.drain();
      delivery.sequencer.close();
      typing.close();
      io.engine?.close();
    },
  };
}
