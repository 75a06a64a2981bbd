import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from './logger.js';
import { createMetricsServer } from './metrics.js';

/**
 * How long an idle keep-alive connection stays open. daprd calls its app
 * through Go's HTTP client, which reuses an idle connection for up to 90 s;
 * Node closes one after 5 s by default, so a call that reuses a connection
 * the app is just closing fails (ERR_DIRECT_INVOKE, a 503 to the client).
 * The app must keep connections longer than its caller does.
 */
const KEEP_ALIVE_MS = 95_000;

/** Listens and resolves with the bound port (useful with port 0). */
export function listen(server: Server, port: number, host: string): Promise<number> {
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  // Must outlast the keep-alive, or Node closes an idle connection early with a 408.
  server.headersTimeout = KEEP_ALIVE_MS + 5_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Serves GET /metrics on its own port (METRICS_PORT on METRICS_HOST) when one is set. */
export async function serveMetrics(config: { metricsPort: number; metricsHost: string }, logger: Logger): Promise<void> {
  if (config.metricsPort === 0) return;
  const server = createMetricsServer();
  server.unref();
  logger.info({ metricsPort: await listen(server, config.metricsPort, config.metricsHost) }, 'metrics listening');
}

/**
 * On SIGTERM or SIGINT: stop accepting connections, run `closers` (Socket.IO,
 * timers), let in-flight requests finish, then exit. A second signal, or
 * `graceMs` passing, forces the exit.
 */
export function installShutdown(options: { server: Server; logger: Logger; closers?: Array<() => Promise<void> | void>; graceMs?: number }): void {
  const { server, logger } = options;
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      logger.warn('shutdown grace period over; exiting');
      process.exit(1);
    }, options.graceMs ?? 5_000);
    force.unref();
    void (async () => {
      for (const close of options.closers ?? []) await Promise.resolve(close()).catch(() => undefined);
      server.closeIdleConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      process.exit(0);
    })();
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}
