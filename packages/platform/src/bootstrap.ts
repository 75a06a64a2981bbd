import { createSidecar, type Sidecar } from './dapr/sidecar.js';
import { loadOrExit } from './config.js';
import { createLogger, type Logger } from './logger.js';

interface BaseConfig {
  appId: string;
  logLevel: string;
  daprHttpPort: number;
  daprApiToken: string;
  sidecarTimeoutMs: number;
}

/**
 * The start of every `main.ts`: config read and validated once (exit 1 with
 * what to set when it is wrong), the logger, and the sidecar client.
 */
export function bootstrap<C extends BaseConfig>(loadConfig: () => C): { config: C; logger: Logger; sidecar: Sidecar } {
  const config = loadOrExit(loadConfig);
  const logger = createLogger({ name: config.appId, level: config.logLevel });
  const sidecar = createSidecar({
    httpPort: config.daprHttpPort,
    apiToken: config.daprApiToken,
    timeoutMs: config.sidecarTimeoutMs,
  });
  return { config, logger, sidecar };
}
