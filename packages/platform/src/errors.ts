/**
 * The platform's one error type. Every failure a client can see is an
 * `AppError` with a stable snake_case `code` from the public contract
 * (`docs/errors.md`), mapped to the response once at each edge: the Koa error
 * middleware (`http/errors.ts`) and the Socket.IO ack sanitiser.
 */
export const ERROR_STATUS = {
  validation_failed: 400,
  invalid_json: 400,
  unauthenticated: 401,
  invalid_credentials: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface ErrorDetail {
  path: string;
  message: string;
}

export interface AppErrorOptions {
  details?: ErrorDetail[];
  cause?: unknown;
  /** Seconds a client should wait before retrying (429, 503). */
  retryAfterSeconds?: number;
  /** HTTP status when it differs from the code's usual one (rare). */
  status?: number;
  /**
   * Whether `message` may reach a client. Defaults to status < 500, and to
   * true for `unavailable`, whose messages the domain writes for users ("the
   * room is too busy"); infrastructure failures pass false (see
   * `dependencyUnavailable`), so store and sidecar text stays in the logs.
   */
  expose?: boolean;
}

export class AppError extends Error {
  override name = 'AppError';
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: ErrorDetail[] | undefined;
  readonly retryAfterSeconds: number | undefined;
  /** Whether `message` may be shown to a client; 5xx messages are not. */
  readonly expose: boolean;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status ?? ERROR_STATUS[code];
    this.details = options.details;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.expose = options.expose ?? (this.status < 500 || code === 'unavailable');
  }

  /** The contract's error body, without the request id. */
  toJSON(): ErrorBody['error'] {
    return {
      code: this.code,
      message: this.expose ? this.message : (PUBLIC_MESSAGE[this.code] ?? 'Internal error'),
      ...(this.details && this.details.length > 0 ? { details: this.details } : {}),
    };
  }
}

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: ErrorDetail[] };
  requestId?: string;
}

export const isAppError = (value: unknown): value is AppError =>
  value instanceof AppError || (typeof value === 'object' && value !== null && (value as { name?: unknown }).name === 'AppError' && 'code' in value);

export const validationFailed = (details: ErrorDetail[], message = 'The request is not valid'): AppError =>
  new AppError('validation_failed', message, { details });

export const notFound = (message = 'Not found'): AppError => new AppError('not_found', message);
export const forbidden = (message = 'Forbidden'): AppError => new AppError('forbidden', message);
export const conflict = (message: string): AppError => new AppError('conflict', message);
export const unauthenticated = (message = 'Authentication required'): AppError => new AppError('unauthenticated', message);
export const unavailable = (message: string, cause?: unknown): AppError => new AppError('unavailable', message, { cause, retryAfterSeconds: 1 });

/**
 * A store, broker or service could not be reached or failed: `message`
 * (which may quote the store's own error text) is logged, never shown; the
 * client reads only that something it needs is unavailable.
 */
export const dependencyUnavailable = (message: string, cause?: unknown): AppError =>
  new AppError('unavailable', message, { cause, retryAfterSeconds: 1, expose: false });

/** What a client reads when an error's own message is not for it. */
const PUBLIC_MESSAGE: Partial<Record<ErrorCode, string>> = {
  unavailable: 'A service this request needs is unavailable; try again shortly',
};

/**
 * Rebuilds an AppError from a contract error body that another service
 * answered with, so an error crosses service boundaries with its code intact.
 * Returns undefined when the body is not in the contract's shape.
 */
export function appErrorFromBody(status: number, body: unknown, retryAfter?: string | null): AppError | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const error = (body as { error?: unknown }).error;
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, message, details } = error as { code?: unknown; message?: unknown; details?: unknown };
  if (typeof code !== 'string' || !Object.hasOwn(ERROR_STATUS, code) || typeof message !== 'string') return undefined;
  const retry = retryAfter ? Number.parseInt(retryAfter, 10) : Number.NaN;
  return new AppError(code as ErrorCode, message, {
    status,
    ...(Array.isArray(details) ? { details: details as ErrorDetail[] } : {}),
    ...(Number.isFinite(retry) ? { retryAfterSeconds: retry } : {}),
  });
}
