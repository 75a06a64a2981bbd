import { parse, readConfig, serviceSettings } from '@chat/platform';

export const settings = {
  ...serviceSettings,
  sendBatchMax: {
    env: 'SEND_BATCH_MAX',
    doc: 'Most messages one room-head write commits (sends to one room queue up in each replica; 1 = one message per head write).',
    parse: parse.int(1, 200),
    default: 100,
  },
  sendBatchBytes: {
    env: 'SEND_BATCH_BYTES',
    doc: 'Most bytes of message bodies one room-head write commits, with SEND_BATCH_MAX (a larger message is committed alone); bounds the head.',
    parse: parse.int(1, 1_048_576),
    default: 65_536,
  },
  headWindow: {
    env: 'HEAD_WINDOW',
    doc: "How many of the newest messages a room head keeps besides those of its last commit (readers use them until the messages are stored in their blocks); the outbox relay's marker write trims the head back to this many once they are stored.",
    parse: parse.int(0, 200),
    default: 8,
  },
  // Together well under the 5 s invocation timeout of the resiliency policy:
  // daprd resends a call that timed out, and a send without clientMsgId
  // would then be sent twice.
  sendDeadlineMs: {
    env: 'SEND_DEADLINE_MS',
    doc: 'A send that cannot be committed within this many milliseconds (a very busy room) is answered 503; the client resends with its clientMsgId.',
    parse: parse.int(100, 60_000),
    default: 3_000,
  },
  outboxMarkDelayMs: {
    env: 'OUTBOX_MARK_DELAY_MS',
    doc: "How long a room stays quiet in this replica before the outbox relay writes the room's published marker with a head write of its own (until then the next send carries it).",
    parse: parse.int(0, 60_000),
    default: 250,
  },
  outboxGraceMs: {
    env: 'OUTBOX_GRACE_MS',
    doc: 'Messages another committer (another replica, or this one before a restart) left unpublished for this long are published by this replica.',
    parse: parse.int(100, 600_000),
    default: 3_000,
  },
  outboxSweepMs: {
    env: 'OUTBOX_SWEEP_MS',
    doc: 'How often the outbox index (rooms that may have unpublished messages) is swept; also swept at start.',
    parse: parse.int(100, 600_000),
    default: 5_000,
  },
  outboxUnlistAfterMs: {
    env: 'OUTBOX_UNLIST_AFTER_MS',
    doc: 'A fully published room leaves the outbox index after this long without a message.',
    parse: parse.int(0, 86_400_000),
    default: 60_000,
  },
  publishAckWaitMs: {
    env: 'PUBLISH_ACK_WAIT_MS',
    doc: 'How long a request waits for its best-effort events (edits, deletions, membership, read markers) to reach the broker before answering; after that they are retried in the background.',
    parse: parse.int(0, 30_000),
    default: 500,
  },
  publishGiveUpMs: {
    env: 'PUBLISH_GIVE_UP_MS',
    doc: 'How long a best-effort event is retried before it is logged as not published (messages go through the outbox and are retried until published).',
    parse: parse.int(1_000, 3_600_000),
    default: 60_000,
  },
  stateInsertMode: {
    env: 'STATE_INSERT_MODE',
    doc: 'How "write only if absent" is sent to the state store: auto (by its type), first-write, or etag-sentinel (Redis).',
    parse: parse.oneOf('auto', 'first-write', 'etag-sentinel'),
    default: 'auto' as const,
  },
};

export const loadConfig = (env: NodeJS.ProcessEnv = process.env) => readConfig(settings, env);
export type Config = ReturnType<typeof loadConfig>;
