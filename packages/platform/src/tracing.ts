/**
 * W3C trace context (https://www.w3.org/TR/trace-context/) through the
 * platform: the active span of the current request, socket command or event
 * delivery is kept in an AsyncLocalStorage, so that
 * - every call to the sidecar carries it (`traceparent`, `tracestate`), and
 *   daprd continues the trace through invocation, publish and delivery (its
 *   tracing configuration is in components/<profile>/config.yaml);
 * - every log line written inside it names it (`traceId`, `spanId`, see
 *   logger.ts);
 * - the app's own spans (a request it served, a socket command, a socket
 *   emit) can be sent to a Zipkin-compatible collector, beside daprd's.
 *
 * Span export is configured once per process by `bootstrap` (TRACE_EXPORT_URL);
 * without it spans still propagate and name log lines, and nothing is sent.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import type { Logger } from './logger.js';

export interface SpanContext {
  /** 32 lowercase hex digits. */
  traceId: string;
  /** 16 lowercase hex digits. */
  spanId: string;
  sampled: boolean;
  /** The `tracestate` that came with it, passed on as it is. */
  traceState?: string | undefined;
}

export type SpanKind = 'SERVER' | 'CLIENT' | 'PRODUCER' | 'CONSUMER';

const active = new AsyncLocalStorage<SpanContext>();

/** The span the current code runs in, if any. */
export function activeSpan(): SpanContext | undefined {
  return active.getStore();
}

/** Runs `fn` inside `span` (or outside any span when undefined). */
export function withSpanContext<T>(span: SpanContext | undefined, fn: () => T): T {
  return span ? active.run(span, fn) : active.exit(fn);
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** A `traceparent` header's context, or undefined when it is missing or malformed (all-zero ids are invalid). */
export function parseTraceparent(header: string | undefined, traceState?: string): SpanContext | undefined {
  const match = TRACEPARENT.exec(header?.trim().toLowerCase() ?? '');
  if (!match || /^0+$/.test(match[1]!) || /^0+$/.test(match[2]!)) return undefined;
  return {
    traceId: match[1]!,
    spanId: match[2]!,
    sampled: (Number.parseInt(match[3]!, 16) & 1) === 1,
    ...(traceState ? { traceState: traceState.slice(0, 512) } : {}),
  };
}

export function formatTraceparent(span: SpanContext): string {
  return `00-${span.traceId}-${span.spanId}-${span.sampled ? '01' : '00'}`;
}

/** Headers that pass the active span on to the next hop (none outside a span). */
export function traceHeaders(span: SpanContext | undefined = activeSpan()): Record<string, string> {
  if (!span) return {};
  return { traceparent: formatTraceparent(span), ...(span.traceState ? { tracestate: span.traceState } : {}) };
}

/** A finished span in Zipkin's v2 JSON shape (what daprd's zipkin exporter sends too). */
export interface ZipkinSpan {
  traceId: string;
  id: string;
  parentId?: string;
  name: string;
  kind: SpanKind;
  timestamp: number;
  duration: number;
  localEndpoint: { serviceName: string };
  tags?: Record<string, string>;
}

export interface SpanOptions {
  kind: SpanKind;
  /** The span this one continues; by default the active one; `null` starts a new trace. */
  parent?: SpanContext | null | undefined;
  tags?: Record<string, string | number | boolean | undefined>;
}

export interface Span {
  readonly context: SpanContext;
  setTag(key: string, value: string | number | boolean | undefined): void;
  /** Names it once what it did is known (a route pattern, not a path with ids). */
  setName(name: string): void;
  end(): void;
}

type Sink = (span: ZipkinSpan) => void;
let sink: { service: string; send: Sink } | undefined;

/** Starts a span; `end()` records it (sent when export is on). Use `inSpan` to make it the active one. */
/**
 * Random ids from a pool refilled 4 KiB at a time: a span is started per
 * command, delivery and emit, and one random read each cost the gateway
 * about 8% of its CPU on the message path (docs/benchmarks.md).
 */
const RANDOM_POOL_BYTES = 4096;
let randomPool = Buffer.alloc(0);
let randomOffset = 0;
function randomHex(bytes: number): string {
  if (randomOffset + bytes > randomPool.length) {
    randomPool = randomBytes(RANDOM_POOL_BYTES);
    randomOffset = 0;
  }
  const hex = randomPool.toString('hex', randomOffset, randomOffset + bytes);
  randomOffset += bytes;
  return hex;
}

export function startSpan(initialName: string, options: SpanOptions): Span {
  let name = initialName;
  const parent = options.parent === undefined ? activeSpan() : (options.parent ?? undefined);
  const context: SpanContext = {
    traceId: parent?.traceId ?? randomHex(16),
    spanId: randomHex(8),
    sampled: parent?.sampled ?? true,
    ...(parent?.traceState ? { traceState: parent.traceState } : {}),
  };
  const started = Date.now();
  const startedHr = process.hrtime.bigint();
  const tags: Record<string, string> = {};
  const setTag = (key: string, value: string | number | boolean | undefined) => {
    if (value !== undefined) tags[key] = String(value);
  };
  for (const [key, value] of Object.entries(options.tags ?? {})) setTag(key, value);
  let ended = false;
  return {
    context,
    setTag,
    setName(newName) {
      name = newName;
    },
    end() {
      if (ended || !sink || !context.sampled) return;
      ended = true;
      sink.send({
        traceId: context.traceId,
        id: context.spanId,
        ...(parent ? { parentId: parent.spanId } : {}),
        name,
        kind: options.kind,
        timestamp: started * 1000,
        duration: Math.max(1, Math.round(Number(process.hrtime.bigint() - startedHr) / 1000)),
        localEndpoint: { serviceName: sink.service },
        ...(Object.keys(tags).length > 0 ? { tags } : {}),
      });
    },
  };
}

/** Runs `fn` as the active span `name`, ending it when `fn` settles (an error is tagged and rethrown). */
export async function inSpan<T>(name: string, options: SpanOptions, fn: (span: Span) => Promise<T> | T): Promise<T> {
  const span = startSpan(name, options);
  try {
    return await active.run(span.context, () => fn(span));
  } catch (error) {
    span.setTag('error', (error as Error)?.message ?? String(error));
    throw error;
  } finally {
    span.end();
  }
}

export interface SpanExportOptions {
  /** The service name the spans are recorded under (the app-id). */
  service: string;
  /** A Zipkin v2 spans endpoint, e.g. http://127.0.0.1:9411/api/v2/spans. */
  url: string;
  logger: Logger;
  /** Spans are sent in batches at least this often (default 1 s). */
  intervalMs?: number;
  /** Spans kept while the collector does not answer; newer ones are dropped beyond it. */
  maxQueued?: number;
}

/**
 * Sends this process's spans to a Zipkin-compatible collector, in batches,
 * from now on. A collector that is down costs dropped spans and one warning
 * a minute, never a failed request. Returns a function that sends what is
 * queued and stops.
 */
export function exportSpans(options: SpanExportOptions): () => Promise<void> {
  const queue: ZipkinSpan[] = [];
  const maxQueued = options.maxQueued ?? 5_000;
  let dropped = 0;
  let lastWarning = 0;
  let sending: Promise<void> = Promise.resolve();

  const flush = (): Promise<void> => {
    if (queue.length === 0) return sending;
    const batch = queue.splice(0, queue.length);
    sending = sending.then(async () => {
      try {
        const response = await fetch(options.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(batch),
          signal: AbortSignal.timeout(5_000),
        });
        if (!response.ok) throw new Error(`collector answered ${response.status}`);
      } catch (error) {
        dropped += batch.length;
        if (Date.now() - lastWarning > 60_000) {
          lastWarning = Date.now();
          options.logger.warn({ url: options.url, dropped, err: { message: (error as Error).message } }, 'spans not exported');
        }
      }
    });
    return sending;
  };

  const timer = setInterval(() => void flush(), options.intervalMs ?? 1_000);
  timer.unref();
  sink = {
    service: options.service,
    send(span) {
      if (queue.length >= maxQueued) dropped++;
      else queue.push(span);
    },
  };
  return async () => {
    clearInterval(timer);
    sink = undefined;
    await flush();
  };
}
