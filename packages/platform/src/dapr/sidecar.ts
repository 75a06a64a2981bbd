/**
 * A typed client for the app's own Dapr sidecar, over the sidecar's HTTP API
 * (https://docs.dapr.io/reference/api/). It is the only way a service reaches
 * another service, a store or a broker.
 *
 * Why not the SDK's DaprClient: over HTTP its `state.get` drops the ETag
 * (dapr/js-sdk#540), `state.save` and `pubsub.publish` swallow failures into a
 * return value (js-sdk#551), and other errors carry the status inside a message
 * string. Optimistic concurrency and honest error mapping need all three, so
 * this client speaks the documented HTTP API directly and raises `AppError`s.
 */
import { Pool } from 'undici';
import { AppError, appErrorFromBody, dependencyUnavailable, validationFailed } from '../errors.js';
import { metrics } from '../metrics.js';
import { StateConflictError } from '../state.js';
import { traceHeaders } from '../tracing.js';

export interface SidecarOptions {
  httpPort: number;
  apiToken: string;
  host?: string;
  /** Default deadline for one call, in milliseconds. */
  timeoutMs?: number;
}

export interface InvokeOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  body?: unknown;
  /** Raw bytes sent as they are; `contentType` must be set. */
  rawBody?: Uint8Array;
  contentType?: string;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

/** Response headers, read by name (case-insensitive). */
export interface HeaderReader {
  get(name: string): string | null;
}

export interface InvokeResponse {
  status: number;
  headers: HeaderReader;
  body: Buffer;
  /** The body parsed as JSON (when first read), or undefined when it is empty or not JSON. */
  readonly json: unknown;
}

export interface StateItem<T> {
  key: string;
  value: T;
  etag?: string | undefined;
}

export interface SaveOptions {
  /** Write only if the stored ETag is this one (optimistic concurrency). */
  etag?: string | undefined;
  /** Write only if the key does not exist yet. */
  firstWrite?: boolean;
  ttlSeconds?: number;
}

export type TransactionOp<T = unknown> =
  ({ operation: 'upsert'; key: string; value: T } & SaveOptions) | { operation: 'delete'; key: string; etag?: string | undefined };

type RequestBody = string | Uint8Array;

/**
 * A sidecar's answer, read whole: an unread body would hold its pooled
 * connection, so every body is taken in before the answer is handed on.
 */
class SidecarResponse {
  readonly status: number;
  readonly ok: boolean;
  readonly headers: HeaderReader;
  private readonly bytes: Buffer;
  constructor(status: number, rawHeaders: Record<string, string | string[] | undefined>, bytes: Buffer) {
    this.status = status;
    this.bytes = bytes;
    this.ok = status >= 200 && status < 300;
    this.headers = {
      get(name) {
        const value = rawHeaders[name.toLowerCase()];
        return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
      },
    };
  }
  async text(): Promise<string> {
    return this.bytes.toString('utf8');
  }
  async arrayBuffer(): Promise<Buffer> {
    return this.bytes;
  }
}

/**
 * Store refusals that roll the statement back and are worth an immediate
 * retry: MySQL/MariaDB deadlock (1213), lock wait timeout (1205) and the
 * auto-increment read failure (1467) that concurrent inserts into the state
 * table sometimes meet; SQLite's busy database.
 */
const TRANSIENT_STORE_ERROR = /Error (1213|1205|1467) |database is locked|SQLITE_BUSY/;

const PATH_SAFE = /^[\w.\-~:]+$/;

/**
 * A method path for service invocation must mean what it says after daprd
 * decodes and normalises it: no dot segment, no empty segment, and no
 * encoded separator, dot or percent sign (`%2F..` would otherwise climb to
 * another route). Ids and numbers from clients are validated before they
 * get here; this refuses whatever slipped through, on every route.
 */
function checkMethodPath(path: string): void {
  const [pathname = ''] = path.split('?', 1);
  const unsafe = /%(2f|5c|2e|25)|\\/i.test(pathname) || pathname.split('/').some((part, i) => part === '.' || part === '..' || (part === '' && i > 0));
  if (unsafe) throw validationFailed([{ path: 'path', message: 'is not a valid resource path' }]);
}

const segment = (value: string): string => (PATH_SAFE.test(value) ? value : encodeURIComponent(value));

/** A connection closed or reset under a call, before any answer (undici's socket errors). */
const isClosedConnection = (error: unknown): boolean => ['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE'].includes((error as { code?: string }).code ?? '');

/** The sidecar's ERR_* codes that mean a first-write or ETag race was lost. */
const CONFLICT_ERRORS = new Set(['ERR_STATE_SAVE', 'ERR_STATE_TRANSACTION', 'ERR_STATE_DELETE']);
/**
 * What a lost race says when the sidecar answers 500 rather than 409. The
 * Redis store's check-and-set Lua script fails with `user_script:N: failed to
 * set key` (or `failed to delete`): a transaction whose ETag is stale, or a
 * first-write without ETag on a key written with first-write, comes back as
 * 500 ERR_STATE_TRANSACTION / ERR_STATE_SAVE with that text (seen with daprd
 * 1.18 and contrib state/redis v1.18). PostgreSQL (v1 and v2) says `no item
 * was updated` for a first-write on an existing key. MySQL/MariaDB says
 * `Error 1062 (23000): Duplicate entry '<key>' for key 'PRIMARY'` when two
 * first-writes race for a new key, or one claims a key whose TTL has passed
 * but whose row is not cleaned up yet (contrib state/mysql v1.18, measured:
 * docs/profiles.md).
 */
const CONFLICT_MESSAGE =
  /etag|first.?write|no item was updated|possible etag mismatch|already exists|duplicate key|duplicate entry|user_script:\d+: failed to (set key|delete)/i;

export function createSidecar(options: SidecarOptions) {
  const base = `http://${options.host ?? '127.0.0.1'}:${options.httpPort}`;
  const defaultTimeout = options.timeoutMs ?? 5_000;
  // Kept-alive connections to the one sidecar this app talks to: the global
  // fetch cost the caller several times more CPU per call (docs/benchmarks.md).
  const pool = new Pool(base, { connections: 128, keepAliveTimeout: 30_000 });

  async function call(
    path: string,
    init: { method?: string; body?: RequestBody | undefined; headers?: Record<string, string>; timeoutMs?: number | undefined },
    what: string,
  ): Promise<SidecarResponse> {
    const timeoutMs = init.timeoutMs ?? defaultTimeout;
    const method = init.method ?? 'GET';
    // A deadline cleared when the call ends: AbortSignal.timeout's timer runs
    // out after every call and makes an abort event then (about 5% of an
    // app's CPU on the message path, in a --cpu-prof of bench/offered-load.ts).
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), timeoutMs);
    const { signal } = deadline;
    try {
      return await attempts();
    } finally {
      clearTimeout(timer);
    }

    async function attempts(): Promise<SidecarResponse> {
      for (let attempt = 1; ; attempt++) {
        try {
          const response = await pool.request({
            path,
            method,
            // The active trace goes on with every call: daprd continues it (tracing.ts).
            headers: { 'dapr-api-token': options.apiToken, ...traceHeaders(), ...init.headers },
            body: init.body ?? null,
            signal,
          });
          return new SidecarResponse(response.statusCode, response.headers, Buffer.from(await response.body.arrayBuffer()));
        } catch (error) {
          // A pooled connection the sidecar closed (it restarted, or closed it as the call went out) fails
          // before any answer: one more try on a fresh connection, unless the call is an invocation that is
          // not a read, which the target may have received and must not get twice.
          if (attempt === 1 && isClosedConnection(error) && !signal.aborted && (method === 'GET' || !path.startsWith('/v1.0/invoke/'))) continue;
          const reason =
            (error as Error).name === 'TimeoutError' || signal.aborted
              ? `no answer within ${timeoutMs} ms`
              : `sidecar unreachable: ${(error as Error).message}`;
          throw dependencyUnavailable(`${what}: ${reason}`, error);
        }
      }
    }
  }

  async function readJson(response: SidecarResponse): Promise<unknown> {
    const text = await response.text();
    if (text.length === 0) return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return undefined;
    }
  }

  /** Maps a failed state-API answer: ETag races become StateConflictError. */
  async function stateFailure(response: SidecarResponse, what: string): Promise<AppError> {
    const body = (await readJson(response)) as { errorCode?: string; message?: string } | undefined;
    const message = body?.message ?? '';
    if (response.status === 409 || (body?.errorCode !== undefined && CONFLICT_ERRORS.has(body.errorCode) && CONFLICT_MESSAGE.test(message))) {
      return new StateConflictError(undefined, new Error(message));
    }
    return dependencyUnavailable(`${what} failed with ${response.status}`, new Error(`${body?.errorCode ?? ''} ${message}`));
  }

  const jsonHeaders = { 'content-type': 'application/json' };

  /**
   * A state write. A store's transient refusal (TRANSIENT_STORE_ERROR: the
   * statement was rolled back, nothing was written) is tried again, twice, a
   * few milliseconds apart; a lost race or anything else is raised at once.
   */
  async function stateWrite(path: string, init: { method: string; body?: string; headers?: Record<string, string> }, what: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const response = await call(path, init, what);
      if (response.ok) return;
      const failure = await stateFailure(response, what);
      const cause = String((failure.cause as Error | undefined)?.message ?? '');
      if (attempt >= 3 || failure instanceof StateConflictError || !TRANSIENT_STORE_ERROR.test(cause)) throw failure;
      await new Promise((resolve) => setTimeout(resolve, 10 * attempt + Math.random() * 20));
    }
  }

  /**
   * Calls `path` on another app through Dapr service invocation. Answers
   * with the target's response, whatever its status; only a sidecar that
   * cannot reach the target (or a deadline) throws `unavailable`.
   */
  async function invoke(appId: string, path: string, opts: InvokeOptions = {}): Promise<InvokeResponse> {
    checkMethodPath(path);
    const headers: Record<string, string> = { ...opts.headers };
    let body: RequestBody | undefined;
    if (opts.rawBody !== undefined) {
      body = opts.rawBody;
      headers['content-type'] = opts.contentType ?? 'application/octet-stream';
    } else if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] = 'application/json';
    }
    const response = await call(
      `/v1.0/invoke/${segment(appId)}/method/${path.replace(/^\//, '')}`,
      { method: opts.method ?? 'GET', body, headers, timeoutMs: opts.timeoutMs },
      `invoking ${appId}`,
    );
    const buffer = await response.arrayBuffer();
    // Parsed when first asked for: the gateway passes most answers on as the
    // bytes they are (parsing and re-serializing a history page was a good
    // part of its CPU per page).
    const isJson = buffer.length > 0 && /json/.test(response.headers.get('content-type') ?? '');
    let parsed: { json: unknown } | undefined;
    const json = (): unknown => {
      if (!parsed) {
        parsed = { json: undefined };
        if (isJson) {
          try {
            parsed.json = JSON.parse(buffer.toString('utf8')) as unknown;
          } catch {
            // Not JSON after all: `json` stays undefined.
          }
        }
      }
      return parsed.json;
    };
    // daprd answers 500 with an ERR_DIRECT_INVOKE body when it cannot reach
    // the target app; that is the target being unavailable, not its answer.
    const daprError = response.status >= 500 ? (json() as { errorCode?: unknown } | undefined)?.errorCode : undefined;
    if (typeof daprError === 'string' && daprError.startsWith('ERR_')) {
      throw dependencyUnavailable(`${appId} is unavailable`, new Error(`${daprError}`));
    }
    return {
      status: response.status,
      headers: response.headers,
      body: buffer,
      get json() {
        return json();
      },
    };
  }

  /**
   * Invokes and returns the JSON body of a 2xx answer; any other answer is
   * raised as the AppError the target sent (its code and status kept).
   */
  async function invokeJson<T>(appId: string, path: string, opts: InvokeOptions = {}): Promise<T> {
    const response = await invoke(appId, path, opts);
    if (response.status >= 200 && response.status < 300) return response.json as T;
    throw (
      appErrorFromBody(response.status, response.json, response.headers.get('retry-after')) ?? dependencyUnavailable(`${appId} answered ${response.status}`)
    );
  }

  return {
    invoke,
    invokeJson,

    state: {
      async get<T>(store: string, key: string): Promise<StateItem<T> | undefined> {
        const response = await call(`/v1.0/state/${segment(store)}/${segment(key)}`, {}, `reading ${store}`);
        if (response.status === 204) return undefined;
        if (!response.ok) throw await stateFailure(response, `reading ${store}`);
        const value = (await readJson(response)) as T | undefined;
        if (value === undefined) return undefined;
        return { key, value, etag: response.headers.get('etag') ?? undefined };
      },

      /** One bulk read; keys that do not exist are absent from the map. */
      async getBulk<T>(store: string, keys: string[], parallelism = 16): Promise<Map<string, StateItem<T>>> {
        const found = new Map<string, StateItem<T>>();
        if (keys.length === 0) return found;
        const response = await call(
          `/v1.0/state/${segment(store)}/bulk`,
          { method: 'POST', body: JSON.stringify({ keys, parallelism }), headers: jsonHeaders },
          `bulk reading ${store}`,
        );
        if (!response.ok) throw await stateFailure(response, `bulk reading ${store}`);
        const items = ((await readJson(response)) ?? []) as Array<{ key: string; data?: T; etag?: string; error?: string }>;
        for (const item of items) {
          if (item.error) throw dependencyUnavailable(`bulk reading ${store}: ${item.error}`);
          if (item.data !== undefined && item.data !== null) found.set(item.key, { key: item.key, value: item.data, etag: item.etag });
        }
        return found;
      },

      async save<T>(store: string, key: string, value: T, opts: SaveOptions = {}): Promise<void> {
        await stateWrite(
          `/v1.0/state/${segment(store)}`,
          { method: 'POST', body: JSON.stringify([saveRequest(key, value, opts)]), headers: jsonHeaders },
          `writing ${store}`,
        );
      },

      /**
       * Several writes in one call (each with its own ETag or first-write).
       * Not atomic: the store tries each one; if any lost its race the whole
       * call raises StateConflictError, and the others may have been written.
       */
      async saveMany<T>(store: string, items: Array<{ key: string; value: T } & SaveOptions>): Promise<void> {
        if (items.length === 0) return;
        await stateWrite(
          `/v1.0/state/${segment(store)}`,
          { method: 'POST', body: JSON.stringify(items.map((item) => saveRequest(item.key, item.value, item))), headers: jsonHeaders },
          `writing ${store}`,
        );
      },

      async delete(store: string, key: string, etag?: string): Promise<void> {
        await stateWrite(
          `/v1.0/state/${segment(store)}/${segment(key)}`,
          { method: 'DELETE', headers: etag ? { 'if-match': etag } : {} },
          `deleting from ${store}`,
        );
      },

      /** All operations apply, or none does (a lost ETag race: StateConflictError). */
      async transaction(store: string, ops: TransactionOp[]): Promise<void> {
        const operations = ops.map((op) =>
          op.operation === 'upsert'
            ? { operation: 'upsert', request: saveRequest(op.key, op.value, op) }
            : { operation: 'delete', request: { key: op.key, ...(op.etag ? { etag: op.etag } : {}) } },
        );
        await stateWrite(
          `/v1.0/state/${segment(store)}/transaction`,
          { method: 'POST', body: JSON.stringify({ operations }), headers: jsonHeaders },
          `transaction on ${store}`,
        );
      },
    },

    /** Publishes one event; resolves once the broker has accepted it. */
    async publish(pubsub: string, topic: string, data: unknown, metadata: Record<string, string> = {}): Promise<void> {
      const query = new URLSearchParams(Object.entries(metadata).map(([k, v]): [string, string] => [`metadata.${k}`, v])).toString();
      const response = await call(
        `/v1.0/publish/${segment(pubsub)}/${segment(topic)}${query ? `?${query}` : ''}`,
        { method: 'POST', body: JSON.stringify(data), headers: jsonHeaders },
        `publishing ${topic}`,
      ).catch((error: unknown) => {
        metrics.publishes.inc({ pubsub, topic, outcome: 'failed' });
        throw error;
      });
      metrics.publishes.inc({ pubsub, topic, outcome: response.ok ? 'ok' : 'failed' });
      if (!response.ok) {
        const body = (await readJson(response)) as { message?: string } | undefined;
        throw dependencyUnavailable(`publishing ${topic} failed with ${response.status}`, new Error(body?.message ?? ''));
      }
    },

    /** Invokes an output binding; answers the binding's response bytes. */
    async binding(
      name: string,
      operation: string,
      data: string | undefined,
      metadata: Record<string, string> = {},
    ): Promise<{ status: number; body: Buffer; headers: HeaderReader }> {
      const response = await call(
        `/v1.0/bindings/${segment(name)}`,
        { method: 'POST', body: JSON.stringify({ operation, data, metadata }), headers: jsonHeaders },
        `binding ${name}`,
      );
      return { status: response.status, body: await response.arrayBuffer(), headers: response.headers };
    },

    /** Reads one secret: a map of key to value (a single key for most stores). */
    async secret(store: string, name: string): Promise<Record<string, string> | undefined> {
      const response = await call(`/v1.0/secrets/${segment(store)}/${segment(name)}`, {}, `reading secret ${name}`);
      if (response.status === 204) return undefined;
      if (!response.ok) {
        const body = (await readJson(response)) as { errorCode?: string; message?: string } | undefined;
        if (response.status === 404 || /not found/i.test(body?.message ?? '')) return undefined;
        throw dependencyUnavailable(`reading secret ${name} failed with ${response.status}`, new Error(body?.message ?? ''));
      }
      return (await readJson(response)) as Record<string, string>;
    },

    /** The sidecar's own readiness: true when daprd and its components are up. */
    async healthy(timeoutMs = 1_000): Promise<boolean> {
      try {
        const response = await call('/v1.0/healthz', { timeoutMs }, 'sidecar health');
        return response.status === 204 || response.ok;
      } catch {
        return false;
      }
    },

    /** The components this sidecar loaded (name and type), from its metadata API. */
    async components(timeoutMs = 1_000): Promise<Array<{ name: string; type: string }>> {
      const response = await call('/v1.0/metadata', { timeoutMs }, 'sidecar metadata');
      if (!response.ok) throw dependencyUnavailable(`sidecar metadata answered ${response.status}`);
      const body = (await readJson(response)) as { components?: Array<{ name: string; type: string }> } | undefined;
      return body?.components ?? [];
    },
  };
}

export type Sidecar = ReturnType<typeof createSidecar>;

function saveRequest(key: string, value: unknown, opts: SaveOptions) {
  return {
    key,
    value,
    ...(opts.etag ? { etag: opts.etag } : {}),
    ...(opts.etag || opts.firstWrite ? { options: { concurrency: 'first-write' } } : {}),
    ...(opts.ttlSeconds ? { metadata: { ttlInSeconds: String(opts.ttlSeconds) } } : {}),
  };
}
