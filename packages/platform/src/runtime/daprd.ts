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

export function sidecarArgs(spec: SidecarSpec): string[] {
  return [
    '--app-id', spec.appId,
    '--dapr-http-port', String(spec.httpPort),
    '--dapr-grpc-port', String(spec.grpcPort),
    ...(spec.internalGrpcPort ? ['--dapr-internal-grpc-port', String(spec.internalGrpcPort)] : []),
    '--metrics-port', String(spec.metricsPort),
    '--resources-path', spec.resourcesPath,
    '--config', spec.configPath,
    '--log-level', spec.logLevel ?? 'warn',
    // Loopback only: nothing but this machine's apps may call a sidecar.
    '--dapr-listen-addresses', '127.0.0.1',
    // No placement or scheduler: this platform uses no actors, workflows or jobs.
    '--placement-host-address', '',
    ...(spec.appPort
      ? [
          '--app-port', String(spec.appPort),
          '--app-protocol', 'http',
          ...(spec.appHealthCheck ? ['--enable-app-health-check', '--app-health-check-path', '/healthz', '--app-health-probe-interval', '1'] : []),
        ]
      : []),
  ];
}
