import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { bootstrap, installShutdown, listen, serveMetrics } from '@chat/platform';
import { createDaprPublisher } from './adapters/dapr/publisher.js';
import { createDaprStateStore } from './adapters/dapr/state-store.js';
import { loadConfig } from './config.js';
import { createChat } from './domain/chat.js';
import { createApp } from './http/app.js';

const { config, logger, sidecar, flushSpans } = bootstrap(loadConfig);
const store = createDaprStateStore({ sidecar, logger, insertMode: config.stateInsertMode });
const publisher = createDaprPublisher({ sidecar, logger, ackWaitMs: config.publishAckWaitMs, giveUpAfterMs: config.publishGiveUpMs });
const chat = createChat(
  { store, publisher, logger, now: () => new Date(), newId: randomUUID },
  { batchMax: config.sendBatchMax, batchBytes: config.sendBatchBytes, windowSize: config.headWindow, deadlineMs: config.sendDeadlineMs },
  {
    markDelayMs: config.outboxMarkDelayMs,
    graceMs: config.outboxGraceMs,
    sweepMs: config.outboxSweepMs,
    unlistAfterMs: config.outboxUnlistAfterMs,
  },
);
const app = createApp({ logger, sidecar, chat, appApiToken: config.appApiToken });
const server = createServer(app.callback());
logger.info({ port: await listen(server, config.port, config.host) }, 'listening');
await serveMetrics(config, logger);
// Messages another process (or this one before a restart) left unpublished.
chat.outbox.start();
// Events already handed over get a last chance before exit (what the outbox
// cannot publish now, a replica's sweep publishes later).
installShutdown({ server, logger, closers: [() => chat.sequencer.idle(), () => chat.outbox.close(), () => publisher.idle(), flushSpans] });
