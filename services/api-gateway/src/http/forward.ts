import type { Context } from 'koa';
import { USER_ID_HEADER, dependencyUnavailable, type APP_IDS, type InvokeOptions, type InvokeResponse, type RequestState } from '@chat/platform';

/** A service behind the gateway. */
export type UpstreamService = (typeof APP_IDS)['auth' | 'profile' | 'chat'];

/**
 * Calls a service behind the gateway and answers what it answered, whatever
 * the status (a 4xx or 5xx of the service is an answer, not an error; an
 * unreachable service rejects). adapters/dapr/service-invocation.ts
 * implements it.
 */
export interface Upstream {
  call(service: UpstreamService, path: string, request: InvokeOptions): Promise<InvokeResponse>;
}

/** Response headers a service may set that reach the client. */
const PASSED_HEADERS = ['content-type', 'retry-after', 'www-authenticate', 'etag', 'cache-control', 'last-modified', 'location'];

/** A method a service is called with. */
export type UpstreamMethod = NonNullable<InvokeOptions['method']>;

export interface ForwardOptions extends Omit<InvokeOptions, 'headers' | 'method'> {
  /**
   * The service's method for this route, chosen by the route and never the
   * request's own: Koa serves HEAD with a GET route (the service is asked
   * GET, once, and Koa drops the body), and a service would answer any
   * other method daprd passed on.
   */
  method: UpstreamMethod;
  timeoutMs?: number;
  headers?: Record<string, string>;
}

/**
 * Calls `path` on `service` on behalf of the current request and answers
 * the client with what the service answered (status, body, and the headers
 * in PASSED_HEADERS), and resolves with that answer for a route that
 * reshapes it (its `json` is parsed when first read). The verified user id and
 * the request id travel downstream; the user id header is always overwritten,
 * so a client can never pass one of its own.
 */
export async function forward(
  ctx: Context & { state: RequestState },
  upstream: Upstream,
  service: UpstreamService,
  path: string,
  options: ForwardOptions,
): Promise<InvokeResponse> {
  const headers: Record<string, string> = { ...options.headers, 'x-request-id': ctx.state.requestId };
  if (ctx.state.userId) headers[USER_ID_HEADER] = ctx.state.userId;
  else delete headers[USER_ID_HEADER];
  const response = await upstream.call(service, path, { ...options, headers });
  ctx.status = response.status;
  for (const name of PASSED_HEADERS) {
    const value = response.headers.get(name);
    if (value) ctx.set(name, value);
  }
  if (response.status === 204 || response.status === 304) {
    ctx.body = null;
    return response;
  }
  // Errors keep the contract's shape; the request id is the gateway's.
  if (response.status >= 400 && response.json && typeof response.json === 'object' && 'error' in response.json) {
    ctx.body = { ...(response.json as object), requestId: ctx.state.requestId };
    return response;
  }
  // Passed on as the bytes the service sent, with its content-type: no parse
  // and re-serialization of every answer.
  ctx.body = response.body;
  return response;
}

/**
 * The JSON a service answered with, for a route that reshapes a 2xx answer
 * rather than passing it on: `expected` says what the route needs. Anything
 * else (no body, not JSON, another shape) is the service answering out of
 * its contract: 503 unavailable (logged at warn), never a TypeError and a 500.
 */
export function answeredJson<T>(service: UpstreamService, response: InvokeResponse, expected: (json: unknown) => json is T): T {
  const json = response.json;
  if (!expected(json)) throw dependencyUnavailable(`${service} answered ${response.status} without the JSON the gateway reads from it`);
  return json;
}
