import { randomUUID, timingSafeEqual, createHash } from 'node:crypto';
import Koa, { type Context, type Next } from 'koa';
import Router from '@koa/router';
import type { Logger } from '../logger.js';
import { AppError, isAppError, type ErrorBody } from '../errors.js';
import { jsonBody } from './body.js';
import { metrics } from '../metrics.js';
import { parseTraceparent, startSpan, withSpanContext } from '../tracing.js';

declare module 'koa' {
  interface Request {
    /** The parsed JSON body (see `jsonBody`); unknown until validated. */
    body?: unknown;
  }
}

/** What Koa's `ctx.state` carries on this platform. */
export interface RequestState {
  requestId: string;
  log: Logger;
  /** The app-id of the calling sidecar's app, as set by Dapr. */
  callerAppId?: string | undefined;
  /**
   * Whether the request carries this app's sidecar token (header
   * dapr-api-token, compared in constant time): a call of the sidecar
   * (a pub/sub delivery, a probe), never a client's. Any other token, or
   * none, makes it a client request.
   */
  fromSidecar: boolean;
  /** The verified user id, when a route is authenticated. */
  userId?: string | undefined;
}

export type AppContext = Context & { state: RequestState };

export interface HttpAppOptions {
  logger: Logger;
  /** Token the sidecar must present (header dapr-api-token); unset only in unit tests. */
  appApiToken?: string | undefined;
  /** Readiness checks by name; /readyz answers 503 when any fails. */
  readiness?: Record<string, () => Promise<boolean>>;
  jsonLimitBytes?: number;
  /** Routes that read their own (non-JSON) body. */
  isRawRoute?: (ctx: Context) => boolean;
  /**
   * An app that serves clients too (the gateway). By default every path but
   * exactly `/healthz` and `/readyz` requires the sidecar's token, so any
   * other spelling of a path is refused (fail closed). A client-facing app
   * has no app-wide check; whatever only its sidecar may call is mounted on
   * the returned `sidecarRouter`, whose every route requires the token.
   */
  clientFacing?: boolean;
  /**
   * Client admission (the gateway's per-address limit): runs before the
   * token check and before a body is read, for every request but the
   * sidecar's own (`fromSidecar`). The sidecar's calls (pub/sub deliveries)
   * all come from one address, and a client's limit refusing them would
   * delay every user's real-time events until the broker redelivers.
   */
  admission?: (ctx: Context, next: Next) => Promise<unknown>;
}

/**
 * Every router of the platform: paths match case-sensitively and a trailing
 * slash is significant, so one route has exactly one spelling and a guard
 * attached to a route cannot be sidestepped by another spelling of its path.
 */
export function createRouter(options: { prefix?: string } = {}): Router<RequestState> {
  return new Router<RequestState>({ ...options, sensitive: true, strict: true });
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;

const sameSecret = (a: string, b: string): boolean => {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
};

/** Renders any thrown value in the contract's error shape. */
export function renderError(ctx: Context, error: unknown, log: Logger): void {
  const appError = isAppError(error) ? error : undefined;
  const status = appError?.status ?? httpStatusOf(error);
  const body: ErrorBody = {
    error: appError ? appError.toJSON() : fallbackError(status),
    requestId: (ctx.state as Partial<RequestState>).requestId ?? '',
  };
  if (status >= 500 && !(appError?.code === 'unavailable')) {
    log.error({ err: error, requestId: body.requestId }, 'request failed');
  } else if (appError?.code === 'unavailable') {
    log.warn({ err: { message: appError.message, cause: String((appError.cause as Error | undefined)?.message ?? '') } }, 'dependency unavailable');
  }
  ctx.status = status;
  ctx.body = body;
  if (status === 401) ctx.set('www-authenticate', 'Bearer');
  if (appError?.retryAfterSeconds !== undefined) ctx.set('retry-after', String(Math.max(1, Math.ceil(appError.retryAfterSeconds))));
}

/** Errors from Koa or node itself (ctx.throw, http-errors) keep their 4xx status. */
function httpStatusOf(error: unknown): number {
  const status = (error as { status?: unknown; statusCode?: unknown })?.status ?? (error as { statusCode?: unknown })?.statusCode;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : 500;
}

function fallbackError(status: number): ErrorBody['error'] {
  switch (status) {
    case 400:
      return { code: 'validation_failed', message: 'The request is not valid' };
    case 401:
      return { code: 'unauthenticated', message: 'Authentication required' };
    case 403:
      return { code: 'forbidden', message: 'Forbidden' };
    case 404:
      return { code: 'not_found', message: 'Not found' };
    case 405:
      return { code: 'not_found', message: 'Method not allowed on this path' };
    case 413:
      return { code: 'payload_too_large', message: 'The body is too large' };
    case 415:
      return { code: 'unsupported_media_type', message: 'Unsupported content type' };
    default:
      return { code: 'internal', message: 'Internal error' };
  }
}

/**
 * Builds a service's Koa app with the platform's middleware, in this order:
 * request id and access log, error rendering, client admission (not for the
 * sidecar's calls), app-token check, JSON body parsing, then `/healthz` (alive) and `/readyz` (sidecar and components).
 * The caller mounts its own routers on the returned `router` or `app`.
 * Never listens: `main.ts` does.
 */
export function createHttpApp(options: HttpAppOptions): {
  app: Koa<RequestState>;
  router: Router<RequestState>;
  sidecarRouter: Router<RequestState>;
} {
  const { logger } = options;
  const app = new Koa<RequestState>();
  app.proxy = false;
  app.silent = true;

  app.use(async function requestContext(ctx: Context, next: Next) {
    const started = process.hrtime.bigint();
    const given = ctx.get('x-request-id');
    const requestId = REQUEST_ID.test(given) ? given : randomUUID();
    const callerAppId = ctx.get('dapr-caller-app-id') || undefined;
    const state = ctx.state as RequestState;
    state.requestId = requestId;
    state.callerAppId = callerAppId;
    state.fromSidecar = carriesToken(ctx, options.appApiToken);
    state.log = logger.child({ requestId });
    ctx.set('x-request-id', requestId);
    const probe = PROBE_PATHS.has(ctx.path);
    // The trace this request continues: the one its sidecar passes on; a
    // client of the gateway starts a new one (a client's traceparent is not
    // trusted: it would choose trace ids and sampling for the platform).
    const trustedTrace = !options.clientFacing || state.fromSidecar;
    const parent = trustedTrace ? parseTraceparent(ctx.get('traceparent'), ctx.get('tracestate') || undefined) : undefined;
    const span = startSpan(ctx.method, { kind: 'SERVER', parent: parent ?? null, tags: { 'http.method': ctx.method, 'http.path': ctx.path } });
    if (!probe) ctx.set('x-trace-id', span.context.traceId);
    try {
      await withSpanContext(probe ? undefined : span.context, next);
    } catch (error) {
      withSpanContext(span.context, () => renderError(ctx, error, state.log));
    } finally {
      if (!probe) {
        const route = (ctx as Context & { _matchedRoute?: string })._matchedRoute ?? 'unmatched';
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        metrics.httpRequests.inc({ method: ctx.method, route, status: String(ctx.status) });
        metrics.httpDuration.observe({ method: ctx.method, route }, seconds);
        span.setName(`${ctx.method} ${route}`);
        span.setTag('http.status_code', ctx.status);
        span.end();
        withSpanContext(span.context, () =>
          state.log.info({ method: ctx.method, path: ctx.path, status: ctx.status, ms: seconds * 1e3, caller: callerAppId, userId: state.userId }, 'request'),
        );
      }
    }
  });

  const { admission } = options;
  if (admission) {
    app.use(async function clientAdmission(ctx: Context, next: Next) {
      await ((ctx.state as RequestState).fromSidecar ? next() : admission(ctx, next));
    });
  }

  const requireSidecar = sidecarToken(options.appApiToken);
  if (!options.clientFacing) {
    app.use(async function appToken(ctx: Context, next: Next) {
      await (PROBE_PATHS.has(ctx.path) ? next() : requireSidecar(ctx, next));
    });
  }

  app.use(
    jsonBody({ ...(options.jsonLimitBytes ? { limitBytes: options.jsonLimitBytes } : {}), ...(options.isRawRoute ? { isRawRoute: options.isRawRoute } : {}) }),
  );

  const router = createRouter();
  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    const checks = Object.entries(options.readiness ?? {});
    const results = await Promise.all(checks.map(async ([name, check]) => [name, await check().catch(() => false)] as const));
    const failing = results.filter(([, ok]) => !ok).map(([name]) => name);
    ctx.status = failing.length === 0 ? 200 : 503;
    ctx.body = { status: failing.length === 0 ? 'ok' : 'unavailable', checks: Object.fromEntries(results.map(([n, ok]) => [n, ok ? 'ok' : 'failing'])) };
  });
  const sidecarRouter = createRouter();
  sidecarRouter.use(requireSidecar);
  return { app, router, sidecarRouter };
}

/** The only paths a service answers without the sidecar's token (probes). */
const PROBE_PATHS = new Set(['/healthz', '/readyz']);

/** Whether the request presents exactly the app token (header dapr-api-token) its sidecar sends; never without a token configured. */
function carriesToken(ctx: Context, appApiToken: string | undefined): boolean {
  const presented = ctx.get('dapr-api-token');
  return appApiToken !== undefined && appApiToken !== '' && presented !== '' && sameSecret(presented, appApiToken);
}

/** Refuses a request that does not carry the app token its sidecar presents (unless no token is configured: unit tests). */
function sidecarToken(appApiToken: string | undefined) {
  return async function requireSidecar(ctx: Context, next: Next) {
    if (appApiToken && !(ctx.state as RequestState).fromSidecar) {
      throw new AppError('unauthenticated', 'This service accepts calls only from its Dapr sidecar');
    }
    await next();
  };
}

/** Mounts a router and answers unknown paths with the contract's 404. */
export function finishApp(app: Koa<RequestState>, ...routers: Router<RequestState>[]): Koa<RequestState> {
  for (const router of routers) app.use(router.routes()).use(router.allowedMethods());
  app.use(function notFoundRoute() {
    throw new AppError('not_found', 'No such route');
  });
  return app;
}

/**
 * Refuses a request unless the calling app (the `dapr-caller-app-id` header
 * that the caller's sidecar sets) is one of `allowed`. Behind the app-token
 * check, that header can be trusted.
 */
export function allowCallers(...allowed: string[]) {
  return async function callerAllowList(ctx: Context, next: Next) {
    const caller = (ctx.state as RequestState).callerAppId;
    if (!caller || !allowed.includes(caller)) {
      throw new AppError('forbidden', 'This route is served to the api-gateway only');
    }
    await next();
  };
}

/**
 * Refuses every request that came through service invocation (it carries
 * the `dapr-caller-app-id` that the calling sidecar sets): for operator
 * routes, called on the app's port with its app token and by no app.
 */
export async function directCallsOnly(ctx: Context, next: Next) {
  if ((ctx.state as RequestState).callerAppId !== undefined) throw new AppError('forbidden', 'This route is not served through Dapr');
  await next();
}

/**
 * The user id the gateway verified and passed downstream (header
 * `x-user-id`, which the gateway always overwrites). Use behind
 * `allowCallers('api-gateway')`.
 */
export const USER_ID_HEADER = 'x-user-id';

export function requireUserId(ctx: Context): string {
  const id = ctx.get(USER_ID_HEADER);
  if (!id) throw new AppError('unauthenticated', 'No verified user on this request');
  (ctx.state as RequestState).userId = id;
  return id;
}
