import type { AckError } from './types.js';

/**
 * Every failure the client shows, REST or socket, as one type: the contract's
 * `{error: {code, message, details?}}` (docs/errors.md) plus what the
 * transport adds (HTTP status, `Retry-After`, the request id). Two codes are
 * the client's own: `network` (no answer at all) and `timeout` (an ack that
 * did not come back in time). Code branches on `code`, never on `message`.
 */
export class ApiError extends Error {
  override name = 'ApiError';
  readonly code: string;
  readonly status: number;
  readonly details: Array<{ path: string; message: string }>;
  readonly retryAfterSeconds: number | undefined;
  readonly requestId: string | undefined;

  constructor(
    code: string,
    message: string,
    options: {
      status?: number;
      details?: Array<{ path: string; message: string }> | undefined;
      retryAfterSeconds?: number | undefined;
      requestId?: string | undefined;
    } = {},
  ) {
    super(message);
    this.code = code;
    this.status = options.status ?? 0;
    this.details = options.details ?? [];
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.requestId = options.requestId;
  }

  /** Worth trying again by itself later (nothing the user must change). */
  get transient(): boolean {
    return ['network', 'timeout', 'unavailable', 'rate_limited', 'internal'].includes(this.code);
  }

  static fromAck(error: AckError): ApiError {
    return new ApiError(error.code, error.message, { details: error.details });
  }

  /** Reads an error answer; a body that is not the contract's shape still gives a sensible error. */
  static async fromResponse(response: Response): Promise<ApiError> {
    const retryAfter = Number(response.headers.get('retry-after'));
    const options = {
      status: response.status,
      retryAfterSeconds: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
      requestId: response.headers.get('x-request-id') ?? undefined,
    };
    try {
      const body = (await response.json()) as { error?: { code?: unknown; message?: unknown; details?: unknown } };
      const { code, message, details } = body.error ?? {};
      if (typeof code === 'string' && typeof message === 'string') {
        return new ApiError(code, message, { ...options, details: Array.isArray(details) ? (details as ApiError['details']) : undefined });
      }
    } catch {
      // Not JSON: fall through to the status.
    }
    return new ApiError(response.status >= 500 ? 'unavailable' : 'internal', `The server answered ${response.status}`, options);
  }
}

const FIELD_NAMES: Record<string, string> = {
  'body.username': 'Username',
  'body.email': 'Email',
  'body.password': 'Password',
  'body.newPassword': 'New password',
  'body.displayName': 'Display name',
  'body.login': 'Username or email',
  'body.bio': 'Bio',
  'body.name': 'Name',
  'body.topic': 'Topic',
  'body.body': 'Message',
  'payload.body': 'Message',
};

const waitText = (seconds: number): string =>
  seconds >= 90 ? `${Math.ceil(seconds / 60)} minutes` : `${Math.max(1, Math.ceil(seconds))} second${seconds > 1 ? 's' : ''}`;

/** One sentence a person can act on, for any error the client meets. */
export function describeError(error: unknown): string {
  if (!(error instanceof ApiError)) return 'Something went wrong. Please try again.';
  switch (error.code) {
    case 'network':
      return 'Cannot reach the server. Check your connection; the app keeps trying.';
    case 'timeout':
      return 'The server did not answer in time. Please try again.';
    case 'rate_limited':
      return error.retryAfterSeconds !== undefined
        ? `Too many attempts. Please wait ${waitText(error.retryAfterSeconds)} and try again.`
        : 'Too many attempts. Please wait a moment and try again.';
    case 'unavailable':
      return `The service is unavailable right now. Please try again${error.retryAfterSeconds ? ` in ${waitText(error.retryAfterSeconds)}` : ' shortly'}.`;
    case 'invalid_credentials':
      return 'Wrong username, email or password.';
    case 'unauthenticated':
      return 'Your session has ended. Please sign in again.';
    case 'payload_too_large':
      return 'That is too large (images up to 1 MiB, messages up to 4000 characters).';
    case 'unsupported_media_type':
      return 'That file type is not supported: use a PNG, JPEG or WebP image.';
    case 'validation_failed':
      if (error.details.length > 0) {
        return error.details.map((d) => `${FIELD_NAMES[d.path] ?? d.path}: ${d.message}`).join('. ') + '.';
      }
      return error.message;
    case 'internal':
      return `Something went wrong on the server${error.requestId ? ` (request ${error.requestId})` : ''}. Please try again.`;
    default:
      // conflict, forbidden, not_found, ...: the server's message says what happened.
      return error.message;
  }
}
