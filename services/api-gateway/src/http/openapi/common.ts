import type { HeaderOrRef, Operation, ParameterOrRef, Response, Schema } from './types.js';

/** `{"$ref": "#/components/schemas/<name>"}`. */
export const schemaRef = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
export const paramRef = (name: string): ParameterOrRef => ({ $ref: `#/components/parameters/${name}` });
export const headerRef = (name: string): HeaderOrRef => ({ $ref: `#/components/headers/${name}` });

export const JSON_TYPE = 'application/json';

export const jsonContent = (schema: Schema, example?: unknown) => ({
  [JSON_TYPE]: example === undefined ? { schema } : { schema, example },
});

/** Every response carries X-Request-Id and X-Trace-Id; `extra` adds more headers. */
export const withRequestId = (extra: Record<string, HeaderOrRef> = {}): Record<string, HeaderOrRef> => ({
  'X-Request-Id': headerRef('XRequestId'),
  'X-Trace-Id': headerRef('XTraceId'),
  ...extra,
});

/** A success response with a JSON body. */
export const ok = (description: string, schema: Schema, example?: unknown): Response => ({
  description,
  headers: withRequestId(),
  content: jsonContent(schema, example),
});

/** A success response without a body (204, or a 201 that says nothing more). */
export const empty = (description: string): Response => ({ description, headers: withRequestId() });

/** The contract's codes that each status can carry. */
const CODES_BY_STATUS: Record<number, string[]> = {
  400: ['validation_failed', 'invalid_json'],
  401: ['unauthenticated'],
  403: ['forbidden'],
  404: ['not_found'],
  409: ['conflict'],
  413: ['payload_too_large'],
  415: ['unsupported_media_type'],
  429: ['rate_limited'],
  500: ['internal'],
  503: ['unavailable'],
};

const EXAMPLE_MESSAGE: Record<string, string> = {
  validation_failed: 'The request is not valid',
  invalid_json: 'The body is not valid JSON',
  unauthenticated: 'A valid access token is required',
  invalid_credentials: 'Wrong login or password',
  forbidden: 'Forbidden',
  not_found: 'Not found',
  conflict: 'Conflict',
  payload_too_large: 'The body is larger than 64 KiB',
  unsupported_media_type: 'The body must be application/json',
  rate_limited: 'Too many requests, retry later',
  unavailable: 'A service is unavailable, retry later',
  internal: 'Internal error',
};

/**
 * An error response in the contract's shape, its `error.code` narrowed to
 * `codes` (by default the ones the status always carries), with the headers
 * that status brings: WWW-Authenticate on 401, Retry-After on 429 and 503.
 */
export function errorResponse(status: number, description: string, codes: string[] = CODES_BY_STATUS[status] ?? ['internal']): Response {
  const headers: Record<string, HeaderOrRef> = {};
  if (status === 401) headers['WWW-Authenticate'] = headerRef('WWWAuthenticate');
  if (status === 429) headers['Retry-After'] = headerRef('RetryAfterRequired');
  if (status === 503) headers['Retry-After'] = headerRef('RetryAfter');
  const code = codes[0] ?? 'internal';
  const example: Record<string, unknown> = {
    error: {
      code,
      message: EXAMPLE_MESSAGE[code] ?? 'Error',
      ...(code === 'validation_failed' ? { details: [{ path: 'body.field', message: 'must not be empty' }] } : {}),
    },
    requestId: '5f0c6f2e-8a1b-4a53-9a53-2f5b1c0e7d11',
  };
  return {
    description,
    headers: withRequestId(headers),
    content: jsonContent(
      {
        allOf: [schemaRef('Error'), { type: 'object', properties: { error: { type: 'object', properties: { code: { enum: codes } } } } }],
      },
      example,
    ),
  };
}

export interface StandardErrors {
  /** The route needs an access token: 401 unauthenticated. */
  auth: boolean;
  /** A JSON body may come in (every POST, PUT, PATCH and DELETE): 400 invalid_json, 413, 415. */
  body: boolean;
  /** Said in 400 (what is validated), when there is something to validate. */
  validation?: string;
  /** Every other error status of the operation, with why it happens. */
  more?: Record<number, Response>;
}

/**
 * The error responses of one operation: the ones from its own rules
 * (`more`), plus what every route of its kind can answer: 400, 401, 413,
 * 415 as they apply, 429 (the gateway rate-limits), 500 and 503 (a service
 * or its sidecar is down or too slow: never a hang).
 */
export function standardErrors(options: StandardErrors): Record<string, Response> {
  const out: Record<number, Response> = {};
  if (options.validation !== undefined || options.body) {
    const parts = [options.validation, options.body ? '`invalid_json`: the body is not valid JSON.' : undefined].filter(Boolean);
    out[400] = errorResponse(
      400,
      parts.join(' '),
      options.validation !== undefined && options.body ? ['validation_failed', 'invalid_json'] : options.body ? ['invalid_json'] : ['validation_failed'],
    );
  }
  if (options.auth) {
    out[401] = errorResponse(401, 'The access token is missing, malformed, expired or forged (`unauthenticated`).');
  }
  if (options.body) {
    out[413] = errorResponse(413, 'The JSON body is larger than 64 KiB.');
    out[415] = errorResponse(415, 'A body was sent whose Content-Type is not `application/json`.');
  }
  Object.assign(out, options.more ?? {});
  out[429] ??= errorResponse(429, 'Too many requests from this client or for this account; wait `Retry-After` seconds.');
  out[500] = errorResponse(500, 'An unexpected failure; the message never reveals internals.');
  out[503] = errorResponse(503, "A service behind the gateway, or its sidecar, is down or did not answer within the gateway's timeout.");
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => Number(a) - Number(b)));
}

/** The parameters every operation takes: the optional X-Request-Id header. */
export const commonParameters = (...more: ParameterOrRef[]): ParameterOrRef[] => [...more, paramRef('XRequestIdIn')];

export const BEARER: Operation['security'] = [{ bearerAuth: [] }];
export const PUBLIC: Operation['security'] = [];
