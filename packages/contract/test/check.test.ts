import test from 'ava';
import {
  check,
  codePoints,
  CreateRoomRequest,
  HistoryQuery,
  MessageBody,
  PathParams,
  ProfilePatch,
  RegisterRequest,
  SendMessageRequest,
  SocketPayloads,
  UpdateRoomRequest,
} from '../src/index.js';

const alice = '3f0b9c1e-6a2d-4c8e-9f57-1d2e3a4b5c6d';
const bob = '4a1c8d2f-7b3e-4d9f-8a68-2e3f4b5c6d7e';

test('when a room is created with padded text and upper-case ids, the value comes back trimmed and lower-cased, the caller’s object untouched', (t) => {
  const body = { name: '  general ', visibility: 'public', memberIds: [alice.toUpperCase(), bob] };
  const result = check(CreateRoomRequest, body);
  t.deepEqual(result, { ok: true, value: { name: 'general', visibility: 'public', memberIds: [alice, bob] } });
  t.is(body.name, '  general ');
  t.is(body.memberIds[0], alice.toUpperCase());
});

test('when a member is listed twice (in any case), the second listing is named', (t) => {
  const result = check(CreateRoomRequest, { name: 'general', visibility: 'public', memberIds: [alice, bob, alice.toUpperCase()] });
  t.deepEqual(result, { ok: false, problems: [{ path: 'body.memberIds[2]', message: 'is listed twice' }] });
});

test('when a body has several problems, unknown fields come first, then the known ones in schema order', (t) => {
  const result = check(CreateRoomRequest, { memberIds: ['nope'], extra: 1, name: '   ', visibility: 'secret' });
  t.deepEqual(result, {
    ok: false,
    problems: [
      { path: 'body.extra', message: 'is not a known field' },
      { path: 'body.name', message: 'must not be empty' },
      { path: 'body.visibility', message: 'must be one of public, private' },
      { path: 'body.memberIds[0]', message: 'must be a valid id (a UUID)' },
    ],
  });
});

test('when a body is a string or an array, the answer says it must be an object', (t) => {
  t.deepEqual(check(SendMessageRequest, 'hello'), { ok: false, problems: [{ path: 'body', message: 'must be an object' }] });
  t.deepEqual(check(SendMessageRequest, [], { path: 'payload' }), { ok: false, problems: [{ path: 'payload', message: 'must be an object' }] });
});

test('when `__proto__` or `constructor` is sent as a field, it is an unknown field and changes no prototype', (t) => {
  const body = JSON.parse('{"body":"hi","__proto__":{"admin":true},"constructor":1}') as unknown;
  const result = check(SendMessageRequest, body);
  t.deepEqual(result, {
    ok: false,
    problems: [
      { path: 'body.__proto__', message: 'is not a known field' },
      { path: 'body.constructor', message: 'is not a known field' },
    ],
  });
  t.is(({} as Record<string, unknown>)['admin'], undefined);
});

test('when text is measured, lengths are code points: 4000 emoji fit a message, 4001 do not', (t) => {
  t.is(codePoints('a😀b'), 3);
  t.is(codePoints('\uD800x'), 2, 'a lone surrogate counts as one');
  t.true(check(MessageBody, '😀'.repeat(4000)).ok);
  t.deepEqual(check(MessageBody, '😀'.repeat(4001), { path: 'body.body' }), {
    ok: false,
    problems: [{ path: 'body.body', message: 'must be at most 4000 characters' }],
  });
});

test('when a message holds control characters, newline and tab pass and the others are refused', (t) => {
  t.true(check(SendMessageRequest, { body: 'line one\n\tline two' }).ok);
  t.deepEqual(check(SendMessageRequest, { body: 'bell\u0007' }), {
    ok: false,
    problems: [{ path: 'body.body', message: 'must not contain control characters' }],
  });
});

test('when a message is sent or edited over the socket, its body is checked by the REST rule, with the same problems', (t) => {
  const bodies = ['', '   \n ', '\u0001'.repeat(10_000), 'bell\u0007', 'nul\u0000', 'del\u007f', 'c1\u0085', 'x'.repeat(4001), '😀'.repeat(4001), 42, null];
  for (const body of bodies) {
    const rest = check(SendMessageRequest, { body });
    t.false(rest.ok, JSON.stringify(body).slice(0, 20));
    const restProblems = (rest as { problems: Array<{ path: string; message: string }> }).problems.map((p) => p.message);
    for (const payload of [
      { roomId: alice, body, clientMsgId: 'c1' },
      { roomId: alice, seq: 1, body },
    ]) {
      const schema = 'clientMsgId' in payload ? SocketPayloads['message:send'] : SocketPayloads['message:edit'];
      t.deepEqual(check(schema, payload, { path: 'payload' }), {
        ok: false,
        problems: restProblems.map((message) => ({ path: 'payload.body', message })),
      });
    }
  }
  // What REST takes, the socket takes, trimmed the same way: 4000 code points of 4-byte characters, newline and tab.
  for (const body of ['😀'.repeat(4000), ` ${'"\\'.repeat(2000)}\n`, 'line one\n\tline two']) {
    const sent = check(SocketPayloads['message:send'], { roomId: alice, body, clientMsgId: 'c1' });
    t.deepEqual(sent, { ok: true, value: { roomId: alice, body: body.trim(), clientMsgId: 'c1' } });
  }
});

test('when a path or query parameter is read, digits are an integer; in a JSON body they are not', (t) => {
  t.deepEqual(check(PathParams.seq, '42', { path: 'params.seq', fromText: true }), { ok: true, value: 42 });
  t.deepEqual(check(HistoryQuery.limit, '101', { path: 'query.limit', fromText: true }), {
    ok: false,
    problems: [{ path: 'query.limit', message: 'must be at most 100' }],
  });
  t.deepEqual(check(SocketPayloads.read, { roomId: alice, seq: '3' }, { path: 'payload' }), {
    ok: false,
    problems: [{ path: 'payload.seq', message: 'must be an integer' }],
  });
});

test('when a room update changes nothing, the answer says what it must change', (t) => {
  t.deepEqual(check(UpdateRoomRequest, {}), { ok: false, problems: [{ path: 'body', message: 'must change name or topic' }] });
  t.deepEqual(check(UpdateRoomRequest, { topic: ' ' }), { ok: true, value: { topic: '' } });
});

test('when an avatar is set, null removes it and only an https: URL without credentials is taken', (t) => {
  t.deepEqual(check(ProfilePatch, { avatarUrl: null }), { ok: true, value: { avatarUrl: null } });
  t.true(check(ProfilePatch, { avatarUrl: 'https://images.example.org/a.png' }).ok);
  const problem = (avatarUrl: unknown) => (check(ProfilePatch, { avatarUrl }) as { problems: unknown[] }).problems;
  t.deepEqual(problem('http://images.example.org/a.png'), [{ path: 'body.avatarUrl', message: 'must be an https: URL' }]);
  t.deepEqual(problem('https://u:p@images.example.org/a.png'), [{ path: 'body.avatarUrl', message: 'must not carry credentials' }]);
  t.deepEqual(problem(7), [{ path: 'body.avatarUrl', message: 'must be a string or null' }]);
});

test('when someone registers, the username and e-mail are stored lower-case and the rules name each bad field', (t) => {
  t.deepEqual(check(RegisterRequest, { username: ' Ada_L ', email: 'Ada@Example.org', password: 'correct horse' }), {
    ok: true,
    value: { username: 'ada_l', email: 'ada@example.org', password: 'correct horse' },
  });
  t.deepEqual(check(RegisterRequest, { username: 'a b', email: 'ada@', password: 'short' }), {
    ok: false,
    problems: [
      { path: 'body.username', message: 'may contain only a-z, 0-9, _, . and -' },
      { path: 'body.email', message: 'must be a valid email address' },
      { path: 'body.password', message: 'must be at least 8 characters' },
    ],
  });
});

/** Every field that names a person or a room, as each request spells it. */
const nameFields: Array<[string, (name: string) => ReturnType<typeof check>]> = [
  ['a profile', (name) => check(ProfilePatch, { displayName: name })],
  ['a registration', (name) => check(RegisterRequest, { username: 'ada_l', email: 'ada@example.org', password: 'correct horse', displayName: name })],
  ['a new room', (name) => check(CreateRoomRequest, { name, visibility: 'public' })],
  ['a renamed room', (name) => check(UpdateRoomRequest, { name })],
];
const messagesOf = (result: ReturnType<typeof check>) => (result.ok ? [] : result.problems.map((p) => p.message));

test('when a name would turn the text around it or hide, it is refused in every field that names a person or a room', (t) => {
  const turned = [
    'admin\u202E', // right-to-left override: what follows the name is shown backwards
    '\u202Dada', // left-to-right override
    'a\u202Ab\u202C', // embeddings and their pop
    'a\u202Bb',
    '\u2066ada\u2069', // isolates
    '\u2067ada',
    '\u2068ada',
    'ad\u200Ba', // zero-width space
    'ada\u2060', // word joiner
    'a\u2062b', // invisible times
    'a\u00ADda', // soft hyphen
    'a\uFEFFda', // byte order mark (at either end it is trimmed as white space)
    '\u3164', // Hangul fillers: letters that show as nothing
    'ada\u115F\u1160',
    'a\uFFA0',
    'a\u034Fda', // combining grapheme joiner
    'ada\u206A', // deprecated format characters
    'ada\uFFF9', // interlinear annotation
    'ada\u{E0041}\u{E0044}\u{E0041}', // tag characters that spell text no one sees
    'ada\u{1D173}',
  ];
  for (const [field, checkName] of nameFields) {
    for (const name of turned) {
      t.deepEqual(messagesOf(checkName(name)), ['must not contain invisible or direction-changing characters'], `${field}: ${JSON.stringify(name)}`);
    }
    for (const name of ['a\u2028b', 'a\u2029b']) t.deepEqual(messagesOf(checkName(name)), ['must be one line'], `${field}: ${JSON.stringify(name)}`);
  }
});

test('when a name shows nothing, it is refused; names in every script, with emoji, flags and direction marks, pass', (t) => {
  const blank = ['\u2800', '\u200D', '\u200C\u200E', '\u0301', '\uFE0F', '\u3000\u200F\u3000'];
  const names = [
    'Ada Lovelace',
    'Zoë',
    'e\u0301', // é as a letter and a combining accent
    'محمد\u200F', // Arabic with a right-to-left mark
    'عمر 2',
    'میخواهم\u200Cرفت', // Persian needs the zero-width non-joiner
    'क्\u200Dष', // Devanagari with a zero-width joiner
    '👩\u200D💻 dev', // an emoji sequence joined by ZWJ
    '❤\uFE0F',
    '\u{1F3F4}\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F} Scot', // the flag of Scotland: tag characters in a flag
    '홍길동',
    'ᠮᠣᠩᠭᠣᠯ',
  ];
  for (const [field, checkName] of nameFields) {
    for (const name of blank) {
      t.deepEqual(messagesOf(checkName(name)), ['must show at least one visible character'], `${field}: ${JSON.stringify(name)}`);
    }
    for (const name of names) t.deepEqual(messagesOf(checkName(name)), [], `${field}: ${name}`);
  }
});

test('when text that is not a name holds these characters, it passes: people may write about them', (t) => {
  t.true(check(SendMessageRequest, { body: 'an override looks like \u202Ethis' }).ok);
  t.true(check(UpdateRoomRequest, { topic: 'zero\u200Bwidth' }).ok);
  t.true(check(ProfilePatch, { bio: '\u2067isolated\u2069' }).ok);
});
