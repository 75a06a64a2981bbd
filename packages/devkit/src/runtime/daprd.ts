/** The daprd command line for one app, shared by `npm start` and the test harness. */
export interface SidecarSpec {
  appId: string;
  /** Omit for a sidecar with no app (a caller only). */
  appPort?: number | undefined;
  httpPort: number;
  grpcPort: number;
  internalGrpcPort?: number | undefined;
  metricsPort: number;
  resourcesPath: string;
  configPath: string;
  logLevel?: string;
  /** Have daprd probe the app's /healthz and stop deliveries while it fails. */
  appHealthCheck?: boolean;
}

/**
 * Environment every local daprd needs besides its tokens: the address it
 * registers with name resolution, so that sidecars reach each other on the
 * loopback they listen on (daprd otherwise registers the host's first
 * non-loopback address).
 */
export const SIDECAR_ENV = { DAPR_HOST_IP: '127.0.0.1' } as const;

/**
 * Loopback only, every listener: the API (HTTP and gRPC), the internal gRPC
 * that sidecars invoke each other on (no token, no mTLS without Sentry), and
 * metrics. Across hosts, see docs/security.md (mTLS). Also added by the daprd
 * script the dapr CLI runs (scripts/cli-run-files.ts).
 */
export const LOOPBACK_LISTEN_ARGS = [
  '--dapr-listen-addresses',
  '127.0.0.1',
  '--dapr-internal-grpc-listen-address',
  '127.0.0.1',
  '--metrics-listen-address',
  '127.0.0.1',
] as const;

export function sidecarArgs(spec: SidecarSpec): string[] {
  return [
    '--app-id',
    spec.appId,
    '--dapr-http-port',
    String(spec.httpPort),
    '--dapr-grpc-port',
    String(spec.grpcPort),
    ...(spec.internalGrpcPort ? ['--dapr-internal-grpc-port', String(spec.internalGrpcPort)] : []),
    '--metrics-port',
    String(spec.metricsPort),
    '--resources-path',
    spec.resourcesPath,
    '--config',
    spec.configPath,
    '--log-level',
    spec.logLevel ?? 'warn',
    ...LOOPBACK_LISTEN_ARGS,
    // No placement or scheduler: this platform uses no actors, workflows or jobs.
    '--placement-host-address',
    '',
    ...(spec.appPort
      ? [
          '--app-port',
          String(spec.appPort),
          '--app-protocol',
          'http',
          ...(spec.appHealthCheck ? ['--enable-app-health-check', '--app-health-check-path', '/healthz', '--app-health-probe-interval', '1'] : []),
        ]
      : []),
  ];
}

/**
 * The components a running daprd could not initialize, from its metrics
 * (`dapr_runtime_component_init_fail_total`), e.g. `nameResolution sqlite
 * (init)`. daprd 1.18 logs a failed name-resolution init and carries on: it
 * answers its health check, but never registers, so no other sidecar finds
 * its app. The SQLite resolver fails that way when sidecars that start
 * together find its database locked by another's migration or registration.
 * Asked once healthz answers, it is final: daprd initializes name resolution
 * before its HTTP API listens. A daprd without metrics is taken as whole.
 */
export async function failedComponentInits(metricsPort: number): Promise<string[]> {
  let text: string;
  try {
    const response = await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { signal: AbortSignal.timeout(2_000) });
    if (!response.ok) return [];
    text = await response.text();
  } catch {
    return [];
  }
  const failed: string[] = [];
  for (const line of text.split('\n')) {
    const sample = /^dapr_runtime_component_init_fail_total\{(.*)\}\s+(\S+)$/.exec(line);
    if (!sample || !(Number(sample[2]) > 0)) continue;
    const labels = new Map([...sample[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
    failed.push(`${labels.get('component') ?? '?'} ${labels.get('componentName') ?? '?'} (${labels.get('reason') ?? '?'})`);
  }
  return failed;
}

/** How many times a launcher starts a sidecar that came up without a component before it gives up. */
export const SIDECAR_START_ATTEMPTS = 3;

/**
 * A daprd's readiness: undefined while its healthz does not answer 204 (or
 * at all), then what it went on without (see failedComponentInits), an
 * empty list when it came up whole.
 */
export async function sidecarReadiness(ports: { httpPort: number; metricsPort: number }): Promise<string[] | undefined> {
  try {
    const response = await fetch(`http://127.0.0.1:${ports.httpPort}/v1.0/healthz`, { signal: AbortSignal.timeout(1_000) });
    if (response.status !== 204) return undefined;
  } catch {
    return undefined;
  }
  return failedComponentInits(ports.metricsPort);
}
