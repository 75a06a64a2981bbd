/**
 * Starts the platform for a test: each service as its own process beside a
 * real daprd, on free ports, against a real component profile. The app
 * listens first (the sidecar reads /dapr/subscribe while it starts), then its
 * daprd; readiness is polled with a deadline. `stop()` ends every process it
 * started, sidecars first.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { APP_IDS, type AppId } from '@chat/platform';
import { REPO_ROOT, daprdPath, prepareRunEnv, type RunEnv } from '../runtime/run-env.js';
import { WaitAbortedError, freePort, startProcess, waitFor, type ManagedProcess } from './process.js';
import { claimSlot } from './slots.js';
import { makeRunFolder } from './run-folders.js';
import { SIDECAR_ENV, SIDECAR_START_ATTEMPTS, sidecarArgs, sidecarReadiness } from '../runtime/daprd.js';
import { prepareProfile } from '../runtime/profile-setup.js';

export type ServiceName = 'api-gateway' | 'auth-service' | 'profile-service' | 'chat-service';
export const ALL_SERVICES: ServiceName[] = [APP_IDS.gateway, APP_IDS.auth, APP_IDS.profile, APP_IDS.chat];

export interface RunningService {
  name: ServiceName;
  /** The instance's own label: the app-id, or `api-gateway#2` for a second replica. */
  label: string;
  appPort: number;
  daprHttpPort: number;
  url: string;
  /** The running processes; replaced by restartApp / restartSidecar. */
  app: ManagedProcess;
  daprd: ManagedProcess;
}

/** What a port is picked for. */
export type PortUse = 'app' | 'dapr-http' | 'dapr-grpc' | 'dapr-internal-grpc' | 'dapr-metrics';

interface SidecarPorts {
  httpPort: number;
  metricsPort: number;
  start(appId: string, label: string, appPort?: number): ManagedProcess;
}

export interface PlatformOptions {
  /** Component profile under components/ (default: PROFILE env, else redis). */
  profile?: string;
  services?: ServiceName[];
  /** Number of api-gateway replicas, each with its own sidecar. */
  gatewayReplicas?: number;
  /** Number of chat-service replicas, each with its own sidecar. */
  chatReplicas?: number;
  /** Extra environment for every app, or per service. */
  env?: Record<string, string>;
  /** Extra environment for every app and every sidecar (e.g. TRACE_EXPORT_URL, which both read). */
  sharedEnv?: Record<string, string>;
  serviceEnv?: Partial<Record<ServiceName, Record<string, string>>>;
  /** Start a daprd with this app-id and no app, for tests that call services as that app. */
  callerSidecars?: AppId[];
  readyTimeoutMs?: number;
  /** Extra node options for every app process (e.g. `--cpu-prof`, which NODE_OPTIONS does not take). */
  nodeArgs?: string[];
  /**
   * What each app runs: its TypeScript sources through tsx (`sources`, the
   * default), or its compiled build as production does (`compiled`: dist/ of
   * `npm run build`, workspace packages by their `compiled` export condition).
   * Default: the PLATFORM_BUILD env, else (unset or empty) `sources`.
   */
  build?: AppBuild;
  /** The Redis server of the redis profile, host:port (default 127.0.0.1:6379), e.g. a test's own. */
  redisHost?: string;
  /** The run folder: logs, name resolution's database, secrets (default: a new one under the OS temp folder). */
  runDir?: string;
  /** daprd's --log-level for every sidecar (default: DAPRD_LOG_LEVEL env, else warn); `debug` to see why an invocation failed. */
  sidecarLogLevel?: string;
  /**
   * Where each port comes from (default: a free port from the OS, bound
   * later by the process it is for). A test can hand out a taken one to
   * provoke the race that `SidecarPortTakenError` names.
   */
  pickPort?: (use: PortUse) => Promise<number>;
}

export interface Platform {
  /** The run's environment; `runEnv.tokens(appId)` is an app-id's token pair. */
  runEnv: RunEnv;
  profile: string;
  instances: RunningService[];
  /** The first gateway's base URL, e.g. http://127.0.0.1:41234. */
  gatewayUrl: string;
  /** Ports of app-less sidecars started with `callerSidecars`. */
  callerSidecars: Record<string, { daprHttpPort: number; daprd: ManagedProcess }>;
  instance(label: string): RunningService;
  /** Starts one more instance of a service (a replica, or a restart of a stopped one). */
  startInstance(name: ServiceName, label?: string): Promise<RunningService>;
  /** Stops an instance's app (not its sidecar), as when a service crashes. */
  stopApp(label: string): Promise<void>;
  /**
   * Starts an instance's app again, same ports and settings, beside its
   * running sidecar (after `instance.app.kill()`, as a supervisor would).
   */
  restartApp(label: string): Promise<RunningService>;
  /** Starts an instance's sidecar again on the same ports (after `instance.daprd.kill()`). */
  restartSidecar(label: string): Promise<RunningService>;
  /** Stops an instance: its sidecar, then its app. */
  stopInstance(label: string): Promise<void>;
  stop(): Promise<void>;
}

const node = process.execPath;

export type AppBuild = 'sources' | 'compiled';

function appBuildFromEnv(): AppBuild {
  const value = process.env['PLATFORM_BUILD'] || 'sources';
  if (value !== 'sources' && value !== 'compiled') throw new Error(`PLATFORM_BUILD must be sources or compiled, not ${JSON.stringify(value)}`);
  return value;
}

/** How node starts a service's app from its sources or from its compiled build. */
function appEntry(name: ServiceName, build: AppBuild): string[] {
  if (build === 'sources') return ['--import', 'tsx', join('services', name, 'src', 'main.ts')];
  const main = join('services', name, 'dist', 'main.js');
  if (!existsSync(join(REPO_ROOT, main))) throw new Error(`${main} is missing: run \`npm run build\` first (PLATFORM_BUILD=compiled)`);
  return ['--conditions=compiled', main];
}

/**
 * What daprd says when a port it was given is taken: the harness learns a
 * free port from the OS and daprd binds it later, so another process can
 * take it in between (its API servers: "could not listen on any endpoint";
 * the others: Go's "address already in use").
 */
const PORT_TAKEN = /could not listen on any endpoint|address already in use/;

/** A sidecar exited because one of its ports was taken before it could bind it. */
export class SidecarPortTakenError extends WaitAbortedError {
  override name = 'SidecarPortTakenError';
}

/**
 * A sidecar came up without a component it could not initialize (see
 * failedComponentInits): name resolution's database held locked by the
 * sidecars starting beside it.
 */
export class SidecarInitFailedError extends WaitAbortedError {
  override name = 'SidecarInitFailedError';
}

/**
 * Settings every test platform starts with unless a test overrides them: a
 * whole suite registers its users from one address (127.0.0.1), which the
 * per-address registration limit would otherwise refuse after 20.
 */
const TEST_DEFAULTS: Partial<Record<ServiceName, Record<string, string>>> = {
  'auth-service': { REGISTER_MAX_PER_ADDRESS: '0' },
  // The same for the gateway's REST limits; the security suite starts its own platform at scale 1.
  'api-gateway': { RATE_LIMIT_SCALE: '1000' },
};

export async function startPlatform(options: PlatformOptions = {}): Promise<Platform> {
  const profile = options.profile ?? process.env['PROFILE'] ?? 'redis';
  const build = options.build ?? appBuildFromEnv();
  const runDir = options.runDir ?? makeRunFolder();
  const slot = claimSlot();
  const runEnv = prepareRunEnv({ runDir, profile, slot: slot.slot, ...(options.redisHost ? { redisHost: options.redisHost } : {}) });
  try {
    // What the profile's servers need first (JetStream streams, ...), and
    // nothing left queued for this slot's consumers by an earlier run.
    await prepareProfile(runEnv.resourcesPath, runEnv.env, { freshConsumers: true });
  } catch (error) {
    slot.release();
    throw error;
  }
  const daprd = daprdPath();
  const readyTimeoutMs = options.readyTimeoutMs ?? 60_000;
  const instances: RunningService[] = [];
  const callerSidecars: Platform['callerSidecars'] = {};
  const sidecarLogLevel = options.sidecarLogLevel ?? process.env['DAPRD_LOG_LEVEL'] ?? 'warn';
  const baseEnv = { ...process.env, ...runEnv.env, LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'info', ...options.sharedEnv };

  const pickPort = options.pickPort ?? (() => freePort());

  /** Waits until the sidecar is ready and came up whole; a sidecar that does not is stopped. */
  async function waitSidecar(ports: Pick<SidecarPorts, 'httpPort' | 'metricsPort'>, proc: ManagedProcess, label: string) {
    let exited = false;
    void proc.exited.then(() => (exited = true));
    try {
      await waitFor(
        async () => {
          if (exited) {
            const why = `daprd of ${label} exited; see ${proc.logFile}`;
            throw PORT_TAKEN.test(await proc.outputTail()) ? new SidecarPortTakenError(`${why} (a port was taken)`) : new WaitAbortedError(why);
          }
          const failed = await sidecarReadiness(ports);
          if (failed && failed.length > 0) throw new SidecarInitFailedError(`daprd of ${label} went on without ${failed.join(', ')}; see ${proc.logFile}`);
          return failed !== undefined;
        },
        { what: `the sidecar of ${label} to be ready (log: ${proc.logFile})`, timeoutMs: readyTimeoutMs, intervalMs: 100 },
      );
    } catch (error) {
      await proc.stop();
      throw error;
    }
  }

  /** How to (re)start each instance's processes on its ports. */
  const launchers = new Map<RunningService, { app: () => Promise<ManagedProcess>; daprd: () => Promise<ManagedProcess> }>();

  /**
   * Runs `start` on freshly picked sidecar ports, and again on new ones if the
   * sidecar lost a race as it started: a port taken in between (see
   * PORT_TAKEN), or name resolution's database locked by the sidecars
   * starting beside it. Any other failure, or a race lost
   * SIDECAR_START_ATTEMPTS times, is thrown.
   */
  async function onFreshPortsOnRace<T>(start: (ports: SidecarPorts) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await start(await reserveSidecar());
      } catch (error) {
        const lostARace = error instanceof SidecarPortTakenError || error instanceof SidecarInitFailedError;
        if (!lostARace || attempt >= SIDECAR_START_ATTEMPTS) throw error;
      }
    }
  }

  async function startInstance(name: ServiceName, label: string = name): Promise<RunningService> {
    const appPort = await pickPort('app');
    // Set by each attempt (see onFreshPortsOnRace); the app is told its HTTP port.
    let sidecarPorts!: SidecarPorts;
    const launchApp = async (): Promise<ManagedProcess> => {
      const app = startProcess(node, [...(options.nodeArgs ?? []), ...appEntry(name, build)], {
        env: {
          ...baseEnv,
          ...runEnv.appEnv(name),
          ...TEST_DEFAULTS[name],
          ...options.env,
          ...options.serviceEnv?.[name],
          APP_ID: name,
          APP_PORT: String(appPort),
          DAPR_HTTP_PORT: String(sidecarPorts.httpPort),
          INSTANCE_LABEL: label,
        },
        cwd: REPO_ROOT,
        logFile: join(runDir, 'logs', `${label.replace('#', '-')}.app.log`),
      });
      let appExited = false;
      void app.exited.then(() => (appExited = true));
      try {
        await waitFor(
          async () => {
            if (appExited) throw new WaitAbortedError(`${label} exited; see ${app.logFile}`);
            const response = await fetch(`http://127.0.0.1:${appPort}/healthz`, { signal: AbortSignal.timeout(1_000) });
            return response.ok;
          },
          { what: `${label} to listen (log: ${app.logFile})`, timeoutMs: readyTimeoutMs, intervalMs: 100 },
        );
      } catch (error) {
        await app.stop();
        throw error;
      }
      return app;
    };
    const launchSidecar = async (): Promise<ManagedProcess> => {
      const sidecar = sidecarPorts.start(name, label, appPort);
      await waitSidecar(sidecarPorts, sidecar, label);
      return sidecar;
    };
    // The app first: the sidecar reads its subscriptions while it starts. A
    // sidecar whose port was taken gets new ports, so the app starts again
    // with the new DAPR_HTTP_PORT.
    const { app, sidecar } = await onFreshPortsOnRace(async (ports) => {
      sidecarPorts = ports;
      const app = await launchApp();
      try {
        return { app, sidecar: await launchSidecar() };
      } catch (error) {
        await app.stop();
        throw error;
      }
    });
    const instance: RunningService = {
      name,
      label,
      appPort,
      daprHttpPort: sidecarPorts.httpPort,
      url: `http://127.0.0.1:${appPort}`,
      app,
      daprd: sidecar,
    };
    launchers.set(instance, { app: launchApp, daprd: launchSidecar });
    instances.push(instance);
    return instance;
  }

  /** Picks a sidecar's ports now and starts it later, once its app listens (no app: no app port). */
  async function reserveSidecar(): Promise<SidecarPorts> {
    const [httpPort, grpcPort, internalPort, metricsPort] = await Promise.all([
      pickPort('dapr-http'),
      pickPort('dapr-grpc'),
      pickPort('dapr-internal-grpc'),
      pickPort('dapr-metrics'),
    ]);
    return {
      httpPort,
      metricsPort,
      start(appId: string, label: string, appPort?: number): ManagedProcess {
        const args = sidecarArgs({
          appId,
          appPort,
          httpPort,
          grpcPort,
          internalGrpcPort: internalPort,
          metricsPort,
          resourcesPath: runEnv.resourcesPath,
          configPath: runEnv.configPath,
          logLevel: sidecarLogLevel,
        });
        return startProcess(daprd, args, {
          // A stable name per instance: components may use `{podName}` (the
          // fanout consumer group is one per gateway replica, reused on restart).
          env: { ...baseEnv, ...runEnv.appEnv(appId), ...SIDECAR_ENV, POD_NAME: label.replace('#', '-') },
          cwd: runDir,
          logFile: join(runDir, 'logs', `${label.replace('#', '-')}.daprd.log`),
        });
      },
    };
  }

  const platform: Platform = {
    runEnv,
    profile,
    instances,
    gatewayUrl: '',
    callerSidecars,
    instance(label) {
      const found = instances.find((i) => i.label === label);
      if (!found) throw new Error(`No running instance ${label}`);
      return found;
    },
    startInstance,
    async stopApp(label) {
      await platform.instance(label).app.stop();
    },
    async restartApp(label) {
      const found = platform.instance(label);
      await found.app.stop();
      found.app = await launchers.get(found)!.app();
      return found;
    },
    async restartSidecar(label) {
      const found = platform.instance(label);
      await found.daprd.stop();
      found.daprd = await launchers.get(found)!.daprd();
      return found;
    },
    async stopInstance(label) {
      const found = platform.instance(label);
      await found.daprd.stop();
      await found.app.stop();
      instances.splice(instances.indexOf(found), 1);
    },
    async stop() {
      const all = [...instances];
      instances.length = 0;
      await Promise.all([...all.map((i) => i.daprd.stop()), ...Object.values(callerSidecars).map((c) => c.daprd.stop())]);
      await Promise.all(all.map((i) => i.app.stop()));
      slot.release();
    },
  };

  try {
    const wanted = options.services ?? ALL_SERVICES;
    const plan: Array<[ServiceName, string]> = [];
    for (const name of wanted) {
      const replicas = name === 'api-gateway' ? (options.gatewayReplicas ?? 1) : name === 'chat-service' ? (options.chatReplicas ?? 1) : 1;
      for (let i = 1; i <= replicas; i++) plan.push([name, i === 1 ? name : `${name}#${i}`]);
    }
    // allSettled: a failure must not leave a sibling still starting after stop().
    const results = await Promise.allSettled(plan.map(([name, label]) => startInstance(name, label)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    for (const appId of options.callerSidecars ?? []) {
      await onFreshPortsOnRace(async (reserved) => {
        const proc = reserved.start(appId, `${appId}-caller`);
        callerSidecars[appId] = { daprHttpPort: reserved.httpPort, daprd: proc };
        await waitSidecar(reserved, proc, `${appId}-caller`);
      });
    }
    const gateway = instances.find((i) => i.label === 'api-gateway');
    if (gateway) platform.gatewayUrl = gateway.url;
  } catch (error) {
    await platform.stop();
    throw error;
  }
  return platform;
}
