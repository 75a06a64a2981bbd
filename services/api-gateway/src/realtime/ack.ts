import { randomUUID } from 'node:crypto';
import type { Static, TSchema } from '@chat/contract';
import { inSpan, isAppError, metrics, validate, type AckError, type AckResponse, type Logger } from '@chat/platform';
import type { RealtimeSocket } from './types.js';

/**
 * Maps anything a handler threw to the contract's error: an AppError keeps
 * its code (and its message when it may be shown); anything else is logged
 * and answered `internal`, with no detail leaking out.
 */
export function toAckError(error: unknown, log: Logger): AckError {
  if (isAppError(error)) {
    if (error.status >= 500 && error.code !== 'unavailable') log.error({ err: error }, 'socket command failed');
    return withFewDetails(error.toJSON());
  }
  log.error({ err: error }, 'socket command failed');
  return { code: 'internal', message: 'Internal error' };
}

/** Details an ack lists at most: a payload with thousands of unknown fields must not get a reply thousands of lines long. */
const MAX_DETAILS = 20;

function withFewDetails(error: AckError): AckError {
  if (!error.details || error.details.length <= MAX_DETAILS) return error;
  const more = error.details.length - MAX_DETAILS;
  return { ...error, details: [...error.details.slice(0, MAX_DETAILS), { path: 'payload', message: `and ${more} more problems` }] };
}

export interface CommandContext {
  userId: string;
  requestId: string;
  log: Logger;
}

/**
 * Registers a client command: validates the payload with its contract schema, runs it,
 * and always answers the ack with `{ok: true, ...result}` or `{ok: false,
 * error}`. A client that passed no ack gets nothing (typing).
 */
export function command<S extends TSchema, R extends object>(
  socket: RealtimeSocket,
  event: string,
  schema: S,
  run: (payload: Static<S>, context: CommandContext) => Promise<R>,
  options: { logger: Logger; quiet?: boolean },
): void {
  const on = socket.on.bind(socket) as unknown as (event: string, listener: (...args: unknown[]) => void) => void;
  on(event, (...args: unknown[]) => {
    const last = args.at(-1);
    const ack = typeof last === 'function' ? (last as (response: AckResponse<R>) => void) : undefined;
    const payload = args.length > 0 && typeof args[0] !== 'function' ? args[0] : undefined;
    const requestId = randomUUID();
    const userId = socket.data.userId;
    // The child logger only when something is logged: making one per message cost more than the command's own work.
    let child: Logger | undefined;
    const log = () => (child ??= options.logger.child({ requestId, userId, socketId: socket.id, event }));
    const context: CommandContext = {
      userId,
      requestId,
      get log() {
        return log();
      },
    };
    const started = process.hrtime.bigint();
    // Each command starts a trace of its own (tracing.ts): its chat-service
    // calls, their publishes and deliveries, and the socket emits carry it.
    void inSpan(`socket ${event}`, { kind: 'SERVER', parent: null, tags: { 'socket.event': event } }, async (span): Promise<AckResponse<R>> => {
      let response: AckResponse<R>;
      try {
        const input = validate(payload, schema, 'payload');
        const result = await run(input, context);
        response = { ok: true, ...result };
      } catch (error) {
        response = { ok: false, error: toAckError(error, log()) };
      }
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const level = options.quiet ? 'debug' : 'info';
      if (options.logger.isLevelEnabled(level)) log()[level]({ ms, ok: response.ok, ...(response.ok ? {} : { code: response.error.code }) }, 'socket command');
      span.setTag('outcome', response.ok ? 'ok' : response.error.code);
      metrics.socketCommands.inc({ event, outcome: response.ok ? 'ok' : response.error.code });
      return response;
    }).then((response) => ack?.(response));
  });
}
