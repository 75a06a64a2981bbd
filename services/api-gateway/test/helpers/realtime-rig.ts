import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import {
  AppError,
  FANOUT_TOPICS,
  createLogger,
  forbidden,
  unauthenticated,
  type ChatMessage,
  type FanoutEnvelope,
  type TopicSubscription,
} from '@chat/platform';
import { settings } from '../../src/config.js';
import type { BatchedSend, ChatApi } from '../../src/realtime/chat-api.js';
import { createRealtime, type Realtime, type RealtimeDeps, type RealtimeSettings } from '../../src/realtime/create-realtime.js';
import { PresenceStore } from '../../src/realtime/presence.js';
import { fakePresenceRecords } from './fake-presence-records.js';

/**
 * Gateway replicas in-process, with fakes for what is behind the sidecar:
 * a pub/sub bus that hands every event to every replica (as the fanout
 * component does), an in-memory chat-service that publishes like the real
 * one, and tokens that are unsigned JWTs (`sig` must be "ok").
 */
const logger = createLogger({ name: 'test', level: process.env['TEST_LOG_LEVEL'] ?? 'silent' });

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

export function fakeToken(userId: string, options: { expiresInMs?: number; valid?: boolean } = {}): string {
  const exp = Math.ceil((Date.now() + (options.expiresInMs ?? 15 * 60_000)) / 1000);
  return `${b64({ alg: 'none' })}.${b64({ sub: userId, exp })}.${options.valid === false ? 'bad' : 'ok'}`;
}

const tokens = {
  async verify(token: string) {
    const [, payload, sig] = token.split('.');
    if (sig !== 'ok' || !payload) throw unauthenticated('bad token');
    const { sub, exp } = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { sub: string; exp: number };
    if (exp * 1000 <= Date.now()) throw unauthenticated('expired');
    return { userId: sub };
  },
};

class FakeBus {
  readonly replicas: TopicSubscription[][] = [];
  /** Hands the event to every replica; resolves once each has handled it. */
  publish(topic: string, envelope: unknown): Promise<void> {
    const deliveries = this.replicas.map((subs) => {
      const sub = subs.find((s) => s.pubsubname === 'fanout' && s.topic === topic);
      if (!sub) return Promise.resolve();
      // Concurrent, unordered delivery, as from pub/sub.
      return new Promise<void>((resolve) => {
        setTimeout(
          () => {
            void Promise.resolve(
              sub.handle({ id: randomUUID(), source: 'test', type: 'com.dapr.event.sent', topic, pubsubname: 'fanout', data: envelope }, logger),
            ).finally(resolve);
          },
          Math.floor(Math.random() * 5),
        );
      });
    });
    return Promise.all(deliveries).then(() => undefined);
  }
}

export class FakeChat implements ChatApi {
  readonly rooms = new Map<string, { members: Set<string>; messages: ChatMessage[]; membersVersion: number }>();
  private readonly bus: FakeBus;
  constructor(bus: FakeBus) {
    this.bus = bus;
  }

  private emit(topic: string, roomId: string, data: unknown, extra: Partial<FanoutEnvelope> = {}): void {
    const envelope: FanoutEnvelope = { roomId, occurredAt: new Date().toISOString(), data, ...extra };
    void this.bus.publish(topic, envelope);
  }

  private member(userId: string, roomId: string) {
    const room = this.rooms.get(roomId);
    if (!room) throw new AppError('not_found', 'No such room');
    if (!room.members.has(userId)) throw forbidden('Not a member');
    return room;
  }

  createRoom(members: string[]): string {
    const id = randomUUID();
    this.rooms.set(id, { members: new Set(members), messages: [], membersVersion: 1 });
    return id;
  }

  /** Changes the member list; `announce: false` loses the event on the way (a broker that dropped it). */
  addMember(roomId: string, userId: string, options: { announce?: boolean } = {}): number {
    return this.changeMember(roomId, userId, true, options.announce !== false);
  }

  removeMember(roomId: string, userId: string, options: { announce?: boolean } = {}): number {
    return this.changeMember(roomId, userId, false, options.announce !== false);
  }

  private changeMember(roomId: string, userId: string, joined: boolean, announce: boolean): number {
    const room = this.rooms.get(roomId)!;
    if (joined) room.members.add(userId);
    else room.members.delete(userId);
    const membersVersion = ++room.membersVersion;
    const topic = joined ? FANOUT_TOPICS.memberJoined : FANOUT_TOPICS.memberLeft;
    if (announce) this.emit(topic, roomId, { roomId, userId }, { membersVersion });
    return membersVersion;
  }

  /** Stores a message, or answers a repeated clientMsgId with the first one (`repeated`), as chat-service does. */
  async send(caller: { userId: string }, roomId: string, input: { body: string; clientMsgId: string }, options: { announce?: boolean } = {}) {
    const room = this.member(caller.userId, roomId);
    if (input.body.trim().length === 0)
      throw new AppError('validation_failed', 'The request is not valid', { details: [{ path: 'body.body', message: 'must not be empty' }] });
    const first = room.messages.find((m) => m.authorId === caller.userId && m.clientMsgId === input.clientMsgId);
    if (first) return { message: { ...first }, repeated: true };
    const message: ChatMessage = {
      id: randomUUID(),
      roomId,
      seq: room.messages.length + 1,
      authorId: caller.userId,
      body: input.body,
      createdAt: new Date().toISOString(),
      clientMsgId: input.clientMsgId,
    };
    room.messages.push(message);
    // `announce: false` loses the event on the way (a replica that never heard of the message).
    if (options.announce !== false) this.emit(FANOUT_TOPICS.messagesCreated, roomId, { messages: [message] });
    return { message, repeated: false };
  }

  async sendBatch(_requestId: string, roomId: string, sends: BatchedSend[]) {
    return Promise.all(
      sends.map(({ caller, body, clientMsgId }) =>
        this.send(caller, roomId, { body, clientMsgId }).catch((error: unknown) => {
          if (error instanceof AppError) return error;
          throw error;
        }),
      ),
    );
  }

  async edit(caller: { userId: string }, roomId: string, seq: number, body: string) {
    const room = this.member(caller.userId, roomId);
    const message = room.messages[seq - 1];
    if (!message) throw new AppError('not_found', 'No such message');
    if (message.authorId !== caller.userId) throw forbidden('Only the author edits');
    Object.assign(message, { body, editedAt: new Date().toISOString() });
    this.emit(FANOUT_TOPICS.messageUpdated, roomId, message);
    return { ...message };
  }

  async remove(caller: { userId: string }, roomId: string, seq: number) {
    const room = this.member(caller.userId, roomId);
    const message = room.messages[seq - 1];
    if (!message) throw new AppError('not_found', 'No such message');
    Object.assign(message, { body: '', deleted: true });
    this.emit(FANOUT_TOPICS.messageDeleted, roomId, { roomId, seq });
  }

  async history(caller: { userId: string }, roomId: string, afterSeq: number, limit: number) {
    const room = this.member(caller.userId, roomId);
    const messages = room.messages.filter((m) => m.seq > afterSeq).slice(0, limit);
    return { messages: messages.map((m) => ({ ...m })), hasMore: room.messages.length > afterSeq + messages.length };
  }

  async markRead(caller: { userId: string }, roomId: string, seq: number) {
    this.member(caller.userId, roomId);
    this.emit(FANOUT_TOPICS.readUpdated, roomId, { roomId, userId: caller.userId, seq });
  }

  async members(caller: { userId: string }, roomId: string) {
    const room = this.member(caller.userId, roomId);
    return { members: [...room.members].map((userId) => ({ userId })), membersVersion: room.membersVersion };
  }

  async roomIds(caller: { userId: string }) {
    return [...this.rooms].filter(([, room]) => room.members.has(caller.userId)).map(([id]) => id);
  }
}

export const SETTINGS: RealtimeSettings = {
  reorderWindowMs: 50,
  gapHoldMs: 1_000,
  sendRatePerSecond: 10,
  sendBurst: 20,
  typingTtlMs: 5_000,
  presenceHeartbeatMs: 10_000,
  upstreamTimeoutMs: 2_000,
  // The socket limits as the gateway starts with them.
  maxSocketsPerUser: settings.maxSocketsPerUser.default,
  handshakeLimit: settings.handshakeLimit.default,
  connectLimit: settings.connectLimit.default,
  syncLimit: settings.syncLimit.default,
  readLimit: settings.readLimit.default,
  typingLimit: settings.typingLimit.default,
  refreshLimit: settings.refreshLimit.default,
  eventLimit: settings.eventLimit.default,
  membershipCheckMs: settings.membershipCheckMs.default,
  refusalLimit: settings.refusalLimit.default,
  maxQueuedBytes: settings.maxQueuedBytes.default,
  transportLimit: settings.transportLimit.default,
  maxConnectionsPerAddress: settings.maxConnectionsPerAddress.default,
  connectTimeoutMs: settings.connectTimeoutMs.default,
};

export interface Rig {
  chat: FakeChat;
  /** Publishes on the fake fanout, as chat-service or another replica would; resolves once every replica handled it. */
  publish: (topic: string, envelope: FanoutEnvelope) => Promise<void>;
  /** Base URLs of the replicas. */
  urls: string[];
  /** The replicas' real-time edges, in the order of `urls`. */
  realtimes: Realtime[];
}

/** Starts `replicas` in-process gateways sharing one bus, state and chat; all closed by teardown. */
export async function startRig(
  t: { teardown: (fn: () => void | Promise<void>) => void },
  options: { replicas?: number; settings?: Partial<RealtimeSettings>; clientAddress?: RealtimeDeps['clientAddress'] } = {},
): Promise<Rig> {
  const bus = new FakeBus();
  const chat = new FakeChat(bus);
  const records = fakePresenceRecords();
  const fanout = { publish: async (topic: string, envelope: unknown) => bus.publish(topic, envelope) };
  const urls: string[] = [];
  const realtimes: Realtime[] = [];
  for (let i = 0; i < (options.replicas ?? 1); i++) {
    const presence = new PresenceStore({ records, logger, ttlSeconds: 30 });
    const realtime = createRealtime({
      logger,
      fanout,
      tokens,
      presence,
      chat,
      settings: { ...SETTINGS, ...options.settings },
      ...(options.clientAddress ? { clientAddress: options.clientAddress } : {}),
    });
    bus.replicas.push(realtime.subscriptions);
    realtimes.push(realtime);
    const server = createServer();
    realtime.attach(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    t.teardown(async () => {
      await realtime.close();
      await new Promise((resolve) => server.close(resolve));
    });
    urls.push(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  }
  return { chat, urls, realtimes, publish: (topic, envelope) => bus.publish(topic, envelope) };
}
