/**
 * What each fanout event does on this replica: which Socket.IO event its
 * payload becomes, and for which sockets. New messages go through the
 * sequencer (in `seq` order per room); an edit or deletion waits until the
 * message it concerns was emitted; membership changes move sockets in and out
 * of the room; presence and profile changes go to the rooms the event names. Every event of a
 * room also lets the member audit check that room's sockets, so live
 * delivery follows the member list.
 */
import { FANOUT_TOPICS, SOCKET_ROOMS, type FanoutTopic, type MembershipChange } from '@chat/platform';
import type { FanoutHandler, FanoutHandlers } from './fanout.js';
import type { MemberAudit } from './member-audit.js';
import type { MessageDelivery } from './message-delivery.js';
import type { Membership } from './membership.js';
import type { TypingRelay } from './typing.js';
import type { RealtimeServer } from './types.js';

export interface FanoutRelayDeps {
  io: RealtimeServer;
  delivery: MessageDelivery;
  membership: Membership;
  audit: MemberAudit;
  typing: TypingRelay;
}

export function fanoutRelay({ io, delivery, membership, audit, typing }: FanoutRelayDeps): FanoutHandlers {
  const { sequencer } = delivery;

  /** The handler, after the audit heard of an event of the envelope's room. */
  const audited =
    <T extends FanoutTopic>(handler: FanoutHandler<T>): FanoutHandler<T> =>
    (data, envelope) => {
      if (envelope.roomId) audit.touch(envelope.roomId);
      handler(data, envelope);
    };

  /**
   * A join puts the sockets in first, so the new member hears of its own
   * joining; a removal tells the room (the leaver included) and then stops
   * delivering at once. A change older than one already applied for this
   * member is dropped (pub/sub reorders).
   */
  const memberChanged = (joined: boolean) =>
    audited<typeof FANOUT_TOPICS.memberJoined | typeof FANOUT_TOPICS.memberLeft>((change: MembershipChange, envelope) =>
      membership.apply({ roomId: change.roomId, userId: change.userId, joined, version: envelope.membersVersion }, () =>
        io.to(SOCKET_ROOMS.room(change.roomId)).emit(joined ? 'room:member_joined' : 'room:member_left', change),
      ),
    );

  return {
    [FANOUT_TOPICS.messagesCreated]: audited((data, envelope) => {
      for (const message of data.messages ?? []) delivery.arrived(message);
      // The senders' read markers that came with the messages: each after the message at its seq.
      for (const read of data.reads ?? []) {
        sequencer.afterEmitted(read.roomId, read.seq, () => io.to(SOCKET_ROOMS.room(envelope.roomId)).emit('read', read));
      }
    }),
    [FANOUT_TOPICS.messageUpdated]: audited((message, envelope) =>
      sequencer.afterEmitted(message.roomId, message.seq, () => io.to(SOCKET_ROOMS.room(envelope.roomId)).emit('message:updated', message)),
    ),
    [FANOUT_TOPICS.messageDeleted]: audited((ref, envelope) =>
      sequencer.afterEmitted(ref.roomId, ref.seq, () => io.to(SOCKET_ROOMS.room(envelope.roomId)).emit('message:deleted', ref)),
    ),
    [FANOUT_TOPICS.memberJoined]: memberChanged(true),
    [FANOUT_TOPICS.memberLeft]: memberChanged(false),
    [FANOUT_TOPICS.roomUpdated]: audited((room, envelope) => void io.to(SOCKET_ROOMS.room(envelope.roomId)).emit('room:updated', room)),
    [FANOUT_TOPICS.readUpdated]: audited((marker, envelope) => void io.to(SOCKET_ROOMS.room(envelope.roomId)).emit('read', marker)),
    [FANOUT_TOPICS.typing]: audited((state) => typing.apply(state)),
    [FANOUT_TOPICS.presence]: audited((state, envelope) => {
      const rooms = (envelope.roomIds ?? []).map(SOCKET_ROOMS.room);
      if (rooms.length > 0) io.to(rooms).except(SOCKET_ROOMS.user(state.userId)).emit('presence', state);
    }),
    // To the profile's user too: their other tabs show the new name and avatar.
    [FANOUT_TOPICS.profile]: (profile, envelope) => {
      const rooms = (envelope.roomIds ?? []).map(SOCKET_ROOMS.room);
      if (rooms.length > 0) io.to(rooms).emit('profile:updated', profile);
    },
  };
}
