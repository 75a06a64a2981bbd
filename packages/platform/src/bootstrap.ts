import { createSidecar, type Sidecar } from './dapr/sidecar.js';
import { loadOrExit } from './config.js';
import { createLogger, type Logger } from './logger.js';
import { startProcessMetrics } from './metrics.js';
import { exportSpans } from './tracing.js';

interface BaseConfig {
  appId: string;
  logLevel: string;
  daprHttpPort: number;
  daprApiToken: string;
  sidecarTimeoutMs: number;
  traceExportUrl: string;
}

/**
 * The start of every `main.ts`: config read and validated once (exit 1 with
 * what to set when it is wrong), the logger, the sidecar client, metrics
 * labelled with the app-id, and span export when TRACE_EXPORT_URL is set.
 * `flushSpans` sends what is queued (a closer for `installShutdown`).
 */
export function bootstrap<C extends BaseConfig>(loadConfig: () => C): { config: C; logger: Logger; sidecar: Sidecar; flushSpans: () => Promise<void> } {
  const config = loadOrExit(loadConfig);
  const logger = createLogger({ name: config.appId, level: config.logLevel });
  startProcessMetrics(config.appId);
  const flushSpans = config.traceExportUrl ? exportSpans({ service: config.appId, url: config.traceExportUrl, logger }) : () => Promise.resolve();
  const sidecar = createSidecar({
    httpPort: config.daprHttpPort,
    apiToken: config.daprApiToken,
    timeoutMs: config.sidecarTimeoutMs,
  });
  return { config, logger, sidecar, flushSpans };
}
