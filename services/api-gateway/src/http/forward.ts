import type { Context } from 'koa';
import { USER_ID_HEADER, type APP_IDS, type InvokeOptions, type InvokeResponse, type RequestState } from '@chat/platform';

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

export interface ForwardOptions extends Omit<InvokeOptions, 'headers'> {
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
  options: ForwardOptions = {},
): Promise<InvokeResponse> {
  const headers: Record<string, string> = { ...options.headers, 'x-request-id': ctx.state.requestId };
  if (ctx.state.userId) headers[USER_ID_HEADER] = ctx.state.userId;
  else delete headers[USER_ID_HEADER];
  const response = await upstream.call(service, path, { ...options, method: options.method ?? (ctx.method as NonNullable<InvokeOptions['method']>), headers });
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
