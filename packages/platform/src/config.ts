/**
 * Configuration read once from the environment at start-up. A service
 * declares its settings as a schema; `readConfig` parses every one, collects
 * all the problems, and throws a single `ConfigError` that names each variable
 * to set. Nothing outside a service's `config.ts` reads `process.env`.
 */
import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';

export interface Setting<T> {
  /** Environment variable name. */
  env: string;
  /** One sentence a user reads when the value is missing or wrong. */
  doc: string;
  parse: (raw: string) => T;
  /** Used when the variable is unset or empty; no default means required. */
  default?: T;
}

export type ConfigOf<S extends Record<string, Setting<unknown>>> = {
  readonly [K in keyof S]: S[K] extends Setting<infer T> ? T : never;
};

export class ConfigError extends Error {
  override name = 'ConfigError';
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.problems = problems;
  }
}

export function readConfig<S extends Record<string, Setting<unknown>>>(schema: S, given: NodeJS.ProcessEnv = process.env): ConfigOf<S> {
  const problems: string[] = [];
  const env = withEnvFile(given, problems);
  const out: Record<string, unknown> = {};
  for (const [key, setting] of Object.entries(schema)) {
    const raw = env[setting.env];
    if (raw === undefined || raw === '') {
      if ('default' in setting) out[key] = setting.default;
      else problems.push(`${setting.env} is required: ${setting.doc}`);
      continue;
    }
    try {
      out[key] = setting.parse(raw);
    } catch (error) {
      problems.push(`${setting.env}=${JSON.stringify(raw)} is invalid (${(error as Error).message}): ${setting.doc}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(out) as ConfigOf<S>;
}

/**
 * PLATFORM_ENV_FILE names a file of KEY=value lines whose values take
 * precedence over the environment's. `dapr run -f dapr.yaml` uses it to hand
 * each app its own tokens: the dapr CLI gives every app the CLI's environment
 * plus the template's static `env:`, which cannot hold a secret.
 */
function withEnvFile(env: NodeJS.ProcessEnv, problems: string[]): NodeJS.ProcessEnv {
  const file = env['PLATFORM_ENV_FILE'];
  if (!file) return env;
  try {
    return { ...env, ...parseEnv(readFileSync(file, 'utf8')) };
  } catch (error) {
    problems.push(`PLATFORM_ENV_FILE=${JSON.stringify(file)} cannot be read (${(error as Error).message})`);
    return env;
  }
}

/** Parsers for `Setting.parse`; each throws a short reason. */
export const parse = {
  string: (raw: string): string => raw,
  int:
    (min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER) =>
    (raw: string): number => {
      if (!/^-?\d+$/.test(raw.trim())) throw new Error('expected an integer');
      const value = Number.parseInt(raw, 10);
      if (value < min || value > max) throw new Error(`expected ${min}..${max}`);
      return value;
    },
  port: (raw: string): number => parse.int(0, 65_535)(raw),
  bool: (raw: string): boolean => {
    if (/^(1|true|yes|on)$/i.test(raw)) return true;
    if (/^(0|false|no|off)$/i.test(raw)) return false;
    throw new Error('expected true or false');
  },
  oneOf:
    <T extends string>(...values: T[]) =>
    (raw: string): T => {
      if (!(values as string[]).includes(raw)) throw new Error(`expected one of ${values.join(', ')}`);
      return raw as T;
    },
  url: (raw: string): string => {
    const url = new URL(raw);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('expected an http(s) URL');
    return url.toString();
  },
  secret:
    (minLength = 16) =>
    (raw: string): string => {
      if (raw.length < minLength) throw new Error(`expected at least ${minLength} characters`);
      return raw;
    },
};

/** Settings every service has: its ports, its sidecar, its tokens, its logs. */
export const serviceSettings = {
  appId: { env: 'APP_ID', doc: 'The Dapr app-id of this service.', parse: parse.string },
  host: { env: 'HOST', doc: 'Address the HTTP server binds to.', parse: parse.string, default: '127.0.0.1' },
  port: {
    env: 'APP_PORT',
    doc: 'Port the HTTP server listens on (0 picks a free one); the sidecar calls the app here.',
    parse: parse.port,
  },
  daprHttpPort: {
    env: 'DAPR_HTTP_PORT',
    doc: "Port of this service's own Dapr sidecar HTTP API.",
    parse: parse.port,
    default: 3500,
  },
  daprApiToken: {
    env: 'DAPR_API_TOKEN',
    doc: 'Token the app sends to its sidecar (header dapr-api-token); the sidecar must have the same.',
    parse: parse.secret(),
  },
  appApiToken: {
    env: 'APP_API_TOKEN',
    doc: 'Token the sidecar sends to the app; requests without it are refused.',
    parse: parse.secret(),
  },
  logLevel: {
    env: 'LOG_LEVEL',
    doc: 'pino log level.',
    parse: parse.oneOf('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'),
    default: 'info' as const,
  },
  sidecarTimeoutMs: {
    env: 'SIDECAR_TIMEOUT_MS',
    doc: 'Deadline for one call to the sidecar, in milliseconds.',
    parse: parse.int(50, 120_000),
    default: 5_000,
  },
  // Observability (tracing.ts, metrics.ts, docs/observability.md).
  traceExportUrl: {
    env: 'TRACE_EXPORT_URL',
    doc: "A Zipkin v2 spans endpoint (e.g. http://127.0.0.1:9411/api/v2/spans) this app sends its spans to; daprd's config sends the sidecar's there too. Unset: nothing is sent.",
    parse: parse.url,
    default: '',
  },
  metricsPort: {
    env: 'METRICS_PORT',
    doc: 'Port serving Prometheus GET /metrics, apart from the app port; 0: not served.',
    parse: parse.port,
    default: 0,
  },
  metricsHost: {
    env: 'METRICS_HOST',
    doc: 'Address the metrics port binds to.',
    parse: parse.string,
    default: '127.0.0.1',
  },
} satisfies Record<string, Setting<unknown>>;

/** Loads config at start-up; on a ConfigError prints what to set and exits 1. */
export function loadOrExit<T>(load: () => T): T {
  try {
    return load();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}
