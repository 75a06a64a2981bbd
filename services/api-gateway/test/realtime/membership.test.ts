import { randomUUID } from 'node:crypto';
import test from 'ava';
import { FANOUT_TOPICS, unavailable } from '@chat/platform';
import { connectSocket, type TestSocket } from '../helpers/socket-client.js';
import { fakeToken, startRig, type Rig } from '../helpers/realtime-rig.js';

// Live delivery follows the room's member list (chat-service's authority),
// whatever happens to the events that announce its changes: lost, late, or
// out of order. In-process replicas behind fakes (test/helpers/realtime-rig.ts).

const user = () => `u-${randomUUID().slice(0, 8)}`;

async function send(rig: Rig, authorId: string, roomId: string, body: string) {
  return rig.chat.send({ userId: authorId }, roomId, { body, clientMsgId: randomUUID() });
}

/** Sends `body` and waits until `witness` has it: once a member on the same replica has it, everyone there would. */
async function sendAndWitness(rig: Rig, authorId: string, roomId: string, body: string, witness: TestSocket) {
  await send(rig, authorId, roomId, body);
  await witness.next('message:new', (m) => m.body === body);
}

const bodies = (socket: TestSocket) => socket.received('message:new').map((m) => m.body);

/**
 * A round trip on the socket's own connection: whatever the server emitted
 * to it before answering is in its log afterwards (one connection keeps order).
 */
const flush = async (socket: TestSocket) => {
  await (socket.socket.emitWithAck as (...args: unknown[]) => Promise<unknown>)('flush');
};

test("when a removal event is lost, the removed member stops receiving as soon as the room's next event is checked against the member list", async (t) => {
  const rig = await startRig(t, { replicas: 2, settings: { membershipCheckMs: 100 } });
  const [alice, mallory, bob] = [user(), user(), user()];
  const roomId = rig.chat.createRoom([alice, mallory, bob]);
  const m = await connectSocket(t, rig.urls[0]!, fakeToken(mallory));
  const b = await connectSocket(t, rig.urls[0]!, fakeToken(bob));
  // On the other replica Mallory is alone in the room: the one member it could read the list as.
  const m2 = await connectSocket(t, rig.urls[1]!, fakeToken(mallory));
  rig.chat.removeMember(roomId, mallory, { announce: false });

  await send(rig, alice, roomId, 'first after the removal');
  t.deepEqual(await m.next('room:member_left'), { roomId, userId: mallory });
  t.deepEqual(await m2.next('room:member_left'), { roomId, userId: mallory });
  await sendAndWitness(rig, alice, roomId, 'second after the removal', b);
  await Promise.all([flush(m), flush(m2)]);
  t.false(bodies(m).includes('second after the removal'));
  t.false(bodies(m2).includes('second after the removal'));
});

test("when an addition event is lost, the member's live sockets are put in the room at the room's next checked event", async (t) => {
  const rig = await startRig(t, { settings: { membershipCheckMs: 100 } });
  const [alice, carol] = [user(), user()];
  const roomId = rig.chat.createRoom([alice]);
  const a = await connectSocket(t, rig.urls[0]!, fakeToken(alice));
  const c = await connectSocket(t, rig.urls[0]!, fakeToken(carol));
  rig.chat.addMember(roomId, carol, { announce: false });
  await send(rig, alice, roomId, 'hello?');
  t.deepEqual(await c.next('room:member_joined'), { roomId, userId: carol });
  await sendAndWitness(rig, alice, roomId, 'hello carol', a);
  t.like(await c.next('message:new', (msg) => msg.body === 'hello carol'), { roomId });
});

/** A rig whose member-list check cannot run, so that only the events' order decides. */
async function eventsOnly(t: Parameters<typeof startRig>[0]) {
  const rig = await startRig(t);
  rig.chat.members = async () => {
    throw unavailable('member list unreadable in this test');
  };
  return rig;
}

const membership = (rig: Rig, topic: string, roomId: string, userId: string, membersVersion: number) =>
  rig.publish(topic, { roomId, occurredAt: new Date().toISOString(), data: { roomId, userId }, membersVersion });

test('when a join arrives after the removal that followed it, the late join is ignored and nothing more is delivered', async (t) => {
  const rig = await eventsOnly(t);
  const [alice, mallory] = [user(), user()];
  const roomId = rig.chat.createRoom([alice]);
  const a = await connectSocket(t, rig.urls[0]!, fakeToken(alice));
  const m = await connectSocket(t, rig.urls[0]!, fakeToken(mallory));
  // Version 2 added Mallory, version 3 removed her; pub/sub hands them over the wrong way round.
  rig.chat.rooms.get(roomId)!.membersVersion = 3;
  await membership(rig, FANOUT_TOPICS.memberLeft, roomId, mallory, 3);
  await membership(rig, FANOUT_TOPICS.memberJoined, roomId, mallory, 2);
  await sendAndWitness(rig, alice, roomId, 'not for mallory', a);
  await flush(m);
  t.deepEqual(m.received('room:member_joined'), []);
  t.deepEqual(bodies(m), []);
  // A newer change of hers applies as usual.
  rig.chat.addMember(roomId, mallory, { announce: false });
  await membership(rig, FANOUT_TOPICS.memberJoined, roomId, mallory, 5);
  await sendAndWitness(rig, alice, roomId, 'welcome back', a);
  t.like(await m.next('message:new', (msg) => msg.body === 'welcome back'), { roomId });
});

test('when a removal arrives after the join that followed it, the member stays in and keeps receiving', async (t) => {
  const rig = await eventsOnly(t);
  const [alice, carol] = [user(), user()];
  const roomId = rig.chat.createRoom([alice]);
  const a = await connectSocket(t, rig.urls[0]!, fakeToken(alice));
  const c = await connectSocket(t, rig.urls[0]!, fakeToken(carol));
  rig.chat.addMember(roomId, carol, { announce: false });
  await membership(rig, FANOUT_TOPICS.memberJoined, roomId, carol, 5);
  await membership(rig, FANOUT_TOPICS.memberLeft, roomId, carol, 4);
  await flush(c);
  t.deepEqual(c.received('room:member_left'), []);
  await sendAndWitness(rig, alice, roomId, 'still here, carol', a);
  t.like(await c.next('message:new', (msg) => msg.body === 'still here, carol'), { roomId });
});
