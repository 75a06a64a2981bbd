import { parse, readConfig, serviceSettings } from '@chat/platform';

export const settings = {
  ...serviceSettings,
  host: { ...serviceSettings.host, doc: 'Address the gateway binds to (clients connect here).' },
  healthTimeoutMs: {
    env: 'HEALTH_TIMEOUT_MS',
    doc: 'How long /api/health waits for each service before marking it down, in milliseconds.',
    parse: parse.int(100, 10_000),
    default: 1_500,
  },
  upstreamTimeoutMs: {
    env: 'UPSTREAM_TIMEOUT_MS',
    doc: 'Deadline for one call from the gateway to a service, in milliseconds; past it the client gets 503.',
    parse: parse.int(100, 60_000),
    default: 8_000,
  },
};

export const loadConfig = (env: NodeJS.ProcessEnv = process.env) => readConfig(settings, env);
export type Config = ReturnType<typeof loadConfig>;
