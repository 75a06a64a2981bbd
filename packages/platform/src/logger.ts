import { pino, type Logger, type DestinationStream } from 'pino';
import { activeSpan } from './tracing.js';

export type { Logger } from 'pino';

/**
 * Paths that must never reach a log line, whatever logs them: credentials in
 * headers and bodies, tokens, hashes and keys.
 */
const REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["dapr-api-token"]',
  '*.password',
  '*.currentPassword',
  '*.newPassword',
  '*.passwordHash',
  '*.accessToken',
  '*.refreshToken',
  '*.token',
  '*.privateKey',
  '*.secret',
];

export interface LoggerOptions {
  name: string;
  level?: string;
  destination?: DestinationStream;
}

/**
 * Standard output, written line by line as each is logged. Not pino's
 * default (buffered, flushed synchronously at exit): that flush retries a
 * failed write forever, so a service whose output reader was gone (the dapr
 * CLI exits as soon as `dapr stop` signals it) and that still had lines
 * queued never exited. Written at once, nothing is left to flush, and a
 * broken pipe only silences the logger.
 */
const standardOutput = (): DestinationStream => pino.destination({ dest: 1, sync: true });

/** Structured JSON logger (one object per line) with secrets redacted and the active trace named. */
export function createLogger({ name, level = 'info', destination = standardOutput() }: LoggerOptions): Logger {
  return pino(
    {
      name,
      level,
      base: { service: name },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
      // The trace of the request, command or delivery being handled (tracing.ts).
      mixin() {
        const span = activeSpan();
        return span ? { traceId: span.traceId, spanId: span.spanId } : {};
      },
    },
    destination,
  );
}
