/**
 * The messages part of docs/api.md (history, send, edit, delete, read markers) and
 * the events each change publishes, with real sidecars, through the gateway
 * with real access tokens.
 */
import { randomUUID } from 'node:crypto';
import test from 'ava';
import { inRoom, startChatHarness, type ChatHarness, type RecordedEvent, type TestUser } from '../helpers/platform.js';

let h: ChatHarness;
/** `n` registered users (typed as six, so that destructuring needs no checks). */
const users = (n: number) => Promise.all(Array.from({ length: n }, () => h.user())) as Promise<Six>;
type Six = [TestUser, TestUser, TestUser, TestUser, TestUser, TestUser];

test.before(async () => {
  h = await startChatHarness();
});
test.after.always(async () => {
  await h?.stop();
});

async function room(owner: TestUser, visibility: 'public' | 'private' = 'private', members: TestUser[] = []) {
  const reply = await h.call(owner, 'POST', 'rooms', { name: 'talk', visibility, memberIds: members.map((m) => m.id) });
  if (reply.status !== 201) throw new Error(`create answered ${reply.status}`);
  return reply.body.id as string;
}

const send = (user: TestUser, roomId: string, body: unknown) => h.call(user, 'POST', `rooms/${roomId}/messages`, body);

test('when a member sends, it answers 201 with the message, every gateway hears it in messages.created on fanout, and events gets it in chat.messages.created', async (t) => {
  const [author, reader] = await users(2);
  const roomId = await room(author, 'private', [reader]);
  const reply = await send(author, roomId, { body: '  hello\n\tworld  ', clientMsgId: 'c-1' });
  t.is(reply.status, 201);
  const message = reply.body;
  t.deepEqual(message, {
    id: message.id,
    roomId,
    seq: 1,
    authorId: author.id,
    body: 'hello\n\tworld',
    createdAt: message.createdAt,
    clientMsgId: 'c-1',
  });
  const fanout = await h.event(inRoom('fanout', 'messages.created', roomId), 'messages.created on fanout');
  t.deepEqual(fanout.data, { roomId, occurredAt: message.createdAt, data: { messages: [message] } });
  // `events` is at least once: a delivery lost under load comes again after the component's processingTimeout (30 s).
  const domain = await h.event(inRoom('events', 'message.created', roomId), 'chat.messages.created on events', 35_000);
  t.deepEqual(domain.data, { roomId, occurredAt: message.createdAt, data: { messages: [message] } });
  const second = await send(reader, roomId, { body: 'hi!' });
  t.like(second, { status: 201, body: { seq: 2, authorId: reader.id, body: 'hi!' } });
  t.false('clientMsgId' in second.body);
});

test('when the gateway sends a batch, each send is answered on its own, in order, and the good ones are committed together', async (t) => {
  const [author, reader, stranger] = await users(3);
  const roomId = await room(author, 'private', [reader]);
  const batch = (sends: unknown[]) => h.internal(undefined, 'POST', `rooms/${roomId}/message-batches`, { sends });
  const reply = await batch([
    { authorId: author.id, body: 'one', clientMsgId: 'b-1' },
    { authorId: stranger.id, body: 'not a member' },
    { authorId: reader.id, body: '   ' },
    { authorId: author.id, body: 'one again', clientMsgId: 'b-1' },
    { authorId: reader.id, body: 'two', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
  ]);
  t.is(reply.status, 200);
  type Result = { status: number; message?: { seq: number; body: string }; error?: { code: string }; repeated?: boolean };
  const results = reply.body.results as Result[];
  // A send answered with an earlier send's message says so (the gateway does not deliver it live again).
  t.deepEqual(
    results.map((r) => [r.status, r.message?.body ?? r.error?.code, r.repeated]),
    [
      [201, 'one', undefined],
      [404, 'not_found', undefined],
      [400, 'validation_failed', undefined],
      [201, 'one', true],
      [201, 'two', undefined],
    ],
  );
  t.is(results[0]!.message!.seq, results[3]!.message!.seq);
  t.deepEqual(results.flatMap((r) => (r.message ? [r.message.seq] : [])).sort(), [1, 1, 2]);
  const again = await batch([{ authorId: author.id, body: 'one', clientMsgId: 'b-1' }]);
  t.deepEqual(
    (again.body.results as Result[]).map((r) => [r.message?.seq, r.repeated]),
    [[results[0]!.message!.seq, true]],
  );
  // What is not a batch is refused as a whole.
  for (const body of [{}, { sends: 'x' }, { sends: Array.from({ length: 101 }, () => ({ authorId: author.id, body: 'x' })) }]) {
    t.like(await h.internal(undefined, 'POST', `rooms/${roomId}/message-batches`, body), { status: 400, body: { error: { code: 'validation_failed' } } });
  }
});

test('when the same clientMsgId is sent again by the same user, the first message is answered, never a second one', async (t) => {
  const [author, other] = await users(2);
  const roomId = await room(author, 'private', [other]);
  const first = await send(author, roomId, { body: 'once', clientMsgId: 'same' });
  const repeats = await Promise.all([1, 2, 3].map(() => send(author, roomId, { body: 'once', clientMsgId: 'same' })));
  for (const repeat of repeats) t.deepEqual(repeat, { ...repeat, status: 201, body: first.body });
  const theirs = await send(other, roomId, { body: 'mine', clientMsgId: 'same' });
  t.like(theirs, { status: 201, body: { seq: 2, authorId: other.id } });
  const history = await h.call(author, 'GET', `rooms/${roomId}/messages`);
  t.deepEqual(
    history.body.messages.map((m: { seq: number }) => m.seq),
    [1, 2],
  );
});

test('when a body breaks the rules, the send answers 400 naming body.body', async (t) => {
  const [author] = await users(1);
  const roomId = await room(author);
  for (const body of ['', '   \n ', 'x'.repeat(4001), 'bell\u0007', 'nul\u0000', 42]) {
    const reply = await send(author, roomId, { body });
    t.is(reply.status, 400, JSON.stringify(body));
    t.deepEqual(
      reply.body.error.details.map((d: { path: string }) => d.path),
      ['body.body'],
    );
  }
  t.like(await send(author, roomId, { body: 'ok', clientMsgId: 'x'.repeat(65) }), {
    status: 400,
    body: { error: { details: [{ path: 'body.clientMsgId' }] } },
  });
  t.like(await send(author, roomId, { body: 'ok', extra: true }), { status: 400, body: { error: { details: [{ path: 'body.extra' }] } } });
  t.like(await send(author, roomId, { body: `${'é'.repeat(4000)}` }), { status: 201 });
  t.like(await h.call(author, 'POST', `rooms/${roomId}/messages`, 'not json'), { status: 400, body: { error: { code: 'invalid_json' } } });
});

test('when a non-member touches messages, a public room answers 403 and a private one 404', async (t) => {
  const [owner, stranger] = await users(2);
  const open = await room(owner, 'public');
  const closed = await room(owner, 'private');
  await send(owner, open, { body: 'one' });
  await send(owner, closed, { body: 'one' });
  for (const [roomId, status] of [
    [open, 403],
    [closed, 404],
    [randomUUID(), 404],
  ] as const) {
    t.is((await send(stranger, roomId, { body: 'hi' })).status, status);
    t.is((await h.call(stranger, 'GET', `rooms/${roomId}/messages`)).status, status);
    t.is((await h.call(stranger, 'PATCH', `rooms/${roomId}/messages/1`, { body: 'x' })).status, status);
    t.is((await h.call(stranger, 'DELETE', `rooms/${roomId}/messages/1`)).status, status);
    t.is((await h.call(stranger, 'POST', `rooms/${roomId}/read`, { seq: 1 })).status, status);
  }
});

test('when history is read, pages are ascending, cursors exclusive, hasMore points the way, and bad queries are 400', async (t) => {
  const [author] = await users(1);
  const roomId = await room(author);
  const sent = [];
  for (let i = 1; i <= 12; i++) sent.push((await send(author, roomId, { body: `m${i}` })).body);
  const page = async (query: string) => (await h.call(author, 'GET', `rooms/${roomId}/messages${query}`)).body;
  t.deepEqual(await page('?limit=5'), { messages: sent.slice(7), hasMore: true });
  t.deepEqual(await page('?before=8&limit=5'), { messages: sent.slice(2, 7), hasMore: true });
  t.deepEqual(await page('?before=3&limit=5'), { messages: sent.slice(0, 2), hasMore: false });
  t.deepEqual(await page('?after=0&limit=5'), { messages: sent.slice(0, 5), hasMore: true });
  t.deepEqual(await page('?after=9'), { messages: sent.slice(9), hasMore: false });
  t.deepEqual(await page('?after=12'), { messages: [], hasMore: false });
  t.deepEqual(await page(''), { messages: sent, hasMore: false });
  for (const [query, path] of [
    ['?limit=0', 'query.limit'],
    ['?limit=101', 'query.limit'],
    ['?before=0', 'query.before'],
    ['?after=-1', 'query.after'],
    ['?after=x', 'query.after'],
    ['?before=5&after=1', 'query.before'],
  ]) {
    const reply = await h.call(author, 'GET', `rooms/${roomId}/messages${query}`);
    t.is(reply.status, 400, query);
    t.is(reply.body.error.details[0].path, path, query);
  }
});

test('when a message is edited, only its author may, editedAt is set, and members hear message.updated', async (t) => {
  const [author, other] = await users(2);
  const roomId = await room(author, 'private', [other]);
  const original = (await send(author, roomId, { body: 'draft', clientMsgId: 'e1' })).body;
  t.like(await h.call(other, 'PATCH', `rooms/${roomId}/messages/1`, { body: 'hijack' }), { status: 403, body: { error: { code: 'forbidden' } } });
  t.like(await h.call(author, 'PATCH', `rooms/${roomId}/messages/9`, { body: 'x' }), { status: 404 });
  t.like(await h.call(author, 'PATCH', `rooms/${roomId}/messages/0`, { body: 'x' }), { status: 400, body: { error: { details: [{ path: 'params.seq' }] } } });
  t.like(await h.call(author, 'PATCH', `rooms/${roomId}/messages/1`, { body: ' ' }), { status: 400 });
  const edited = await h.call(author, 'PATCH', `rooms/${roomId}/messages/1`, { body: 'final' });
  t.is(edited.status, 200);
  t.deepEqual(edited.body, { ...original, body: 'final', editedAt: edited.body.editedAt });
  t.true(edited.body.editedAt >= original.createdAt);
  const event = await h.event(inRoom('fanout', 'message.updated', roomId), 'message.updated');
  t.deepEqual(event.data.data, edited.body);
  t.deepEqual((await h.call(other, 'GET', `rooms/${roomId}/messages`)).body.messages, [edited.body]);
});

test('when a message is deleted, author, owner or admin may; it stays as a tombstone and members hear message.deleted', async (t) => {
  const [owner, admin, author, other] = await users(4);
  const roomId = await room(owner, 'public', [admin, author, other]);
  await h.call(owner, 'PATCH', `rooms/${roomId}/members/${admin.id}`, { role: 'admin' });
  for (let i = 0; i < 3; i++) await send(author, roomId, { body: `m${i}` });
  t.like(await h.call(other, 'DELETE', `rooms/${roomId}/messages/1`), { status: 403 });
  t.is((await h.call(author, 'DELETE', `rooms/${roomId}/messages/1`)).status, 204);
  t.is((await h.call(admin, 'DELETE', `rooms/${roomId}/messages/2`)).status, 204);
  t.is((await h.call(owner, 'DELETE', `rooms/${roomId}/messages/3`)).status, 204);
  t.is((await h.call(owner, 'DELETE', `rooms/${roomId}/messages/3`)).status, 204);
  t.like(await h.call(owner, 'DELETE', `rooms/${roomId}/messages/4`), { status: 404 });
  const deleted = await h.event((e) => inRoom('fanout', 'message.deleted', roomId)(e) && (e.data.data as { seq: number }).seq === 2, 'deleted');
  t.deepEqual(deleted.data.data, { roomId, seq: 2 });
  const { messages } = (await h.call(other, 'GET', `rooms/${roomId}/messages`)).body;
  t.deepEqual(
    messages.map((m: { seq: number; body: string; deleted?: boolean }) => [m.seq, m.body, m.deleted]),
    [
      [1, '', true],
      [2, '', true],
      [3, '', true],
    ],
  );
  t.like(await h.call(author, 'PATCH', `rooms/${roomId}/messages/1`, { body: 'back' }), { status: 409, body: { error: { code: 'conflict' } } });
  t.is(h.events.filter(inRoom('fanout', 'message.deleted', roomId)).length, 3);
});

test('when a reader marks messages read, the marker only moves forward, stops at lastSeq, and members hear read', async (t) => {
  const [author, reader] = await users(2);
  const roomId = await room(author, 'private', [reader]);
  for (let i = 0; i < 4; i++) await send(author, roomId, { body: `m${i}` });
  const unread = async () => (await h.call(reader, 'GET', 'rooms')).body.rooms.find((r: { id: string }) => r.id === roomId).unread;
  t.is(await unread(), 4);
  t.is((await h.call(reader, 'POST', `rooms/${roomId}/read`, { seq: 3 })).status, 204);
  t.is(await unread(), 1);
  t.is((await h.call(reader, 'POST', `rooms/${roomId}/read`, { seq: 1 })).status, 204);
  t.is(await unread(), 1);
  t.is((await h.call(reader, 'POST', `rooms/${roomId}/read`, { seq: 1000 })).status, 204);
  t.is(await unread(), 0);
  const byReader = (seq: number) => (e: RecordedEvent) =>
    inRoom('fanout', 'read.updated', roomId)(e) &&
    (e.data.data as { userId: string; seq: number }).seq === seq &&
    (e.data.data as { userId: string }).userId === reader.id;
  const read = await h.event(byReader(3), 'read');
  t.deepEqual(read.data.data, { roomId, userId: reader.id, seq: 3 });
  await h.event(byReader(4), 'read to the end');
  t.is(h.events.filter((e) => e.pubsub === 'fanout' && (byReader(1)(e) || byReader(2)(e))).length, 0);
  for (const body of [{ seq: 0 }, { seq: '3' }, {}, { seq: 1.5 }]) {
    t.like(await h.call(reader, 'POST', `rooms/${roomId}/read`, body), { status: 400, body: { error: { code: 'validation_failed' } } });
  }
});
