/**
 * Prometheus metrics of an app (prom-client), served on a loopback port of
 * their own (METRICS_PORT, see `createMetricsServer`), never on the app's
 * port: clients of the gateway cannot read them. daprd serves its own beside
 * them (its --metrics-port). Every series carries `app` (the app-id).
 *
 * What is measured where:
 * - requests: every HTTP request an app serves (http/app.ts);
 * - sends: every publish to a pub/sub (dapr/sidecar.ts) and every socket
 *   command (the gateway's realtime/ack.ts);
 * - deliveries: every pub/sub delivery and how late it came (dapr/cloudevents.ts);
 * - sockets: connected sockets, and how late a real-time event reached them
 *   (the gateway's realtime/create-realtime.ts);
 * - the process: CPU, memory, event-loop lag (prom-client's defaults).
 */
import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const metricsRegistry = new Registry();

/** Names every series with the app-id and adds the process's own; called once by `bootstrap`. */
export function startProcessMetrics(appId: string): void {
  metricsRegistry.setDefaultLabels({ app: appId });
  collectDefaultMetrics({ register: metricsRegistry });
}

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
  new Counter<L>({ name, help, labelNames, registers: [metricsRegistry] });
const seconds = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
  new Histogram<L>({ name, help, labelNames, buckets: LATENCY_BUCKETS, registers: [metricsRegistry] });

export const metrics = {
  httpRequests: counter('http_requests_total', 'HTTP requests served, by route pattern and status.', ['method', 'route', 'status']),
  httpDuration: seconds('http_request_duration_seconds', 'Time to answer an HTTP request.', ['method', 'route']),
  publishes: counter('pubsub_publishes_total', 'Events handed to the sidecar to publish, by outcome (ok, failed).', ['pubsub', 'topic', 'outcome']),
  deliveries: counter('pubsub_deliveries_total', 'Pub/sub deliveries handled, by the answer given to the sidecar (SUCCESS, RETRY, DROP).', [
    'pubsub',
    'topic',
    'outcome',
  ]),
  deliveryLag: seconds('pubsub_delivery_lag_seconds', 'From publish (the CloudEvent time) to the delivery reaching the app.', ['pubsub', 'topic']),
  socketCommands: counter('socket_commands_total', 'Socket.IO client commands answered, by event and outcome (ok or the error code).', ['event', 'outcome']),
  sockets: new Gauge({ name: 'realtime_sockets', help: 'Sockets connected to this gateway replica.', registers: [metricsRegistry] }),
  emitLag: seconds('realtime_emit_lag_seconds', 'From the change (its occurredAt) to the event being emitted to sockets.', ['event']),
};

/** Seconds since an ISO time, or undefined when it is not one. */
export function secondsSince(iso: string | undefined, now = Date.now()): number | undefined {
  const at = iso ? Date.parse(iso) : Number.NaN;
  return Number.isNaN(at) ? undefined : Math.max(0, (now - at) / 1000);
}

/** An HTTP server answering GET /metrics (Prometheus text format) and nothing else; main.ts listens on it. */
export function createMetricsServer(): Server {
  return createServer((request, response) => {
    if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
      response.writeHead(404).end();
      return;
    }
    metricsRegistry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': metricsRegistry.contentType }).end(text),
      () => response.writeHead(500).end(),
    );
  });
}
