import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from './logger.js';
import { createMetricsServer } from './metrics.js';

/** Listens and resolves with the bound port (useful with port 0). */
export function listen(server: Server, port: number, host: string): Promise<number> {
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
export function installShutdown(options: {
  server: Server;
  logger: Logger;
  closers?: Array<() => Promise<void> | void>;
  graceMs?: number;
}): void {
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
