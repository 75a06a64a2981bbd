/**
 * dapr.yaml, the platform's one description of its apps (ids, ports, folders,
 * commands): read by npm start's launcher, the dapr CLI run files, and the
 * tests that hold Compose, Kubernetes and the CLI path against it.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { SidecarSpec } from './daprd.js';
import { REPO_ROOT } from './run-env.js';

/** One app of the template, with the fields this platform sets. */
export interface RunTemplateApp {
  appID: string;
  appDirPath: string;
  appPort: number;
  daprHTTPPort: number;
  daprGRPCPort: number;
  metricsPort: number;
  runtimePath?: string;
  env: Record<string, string>;
  command: string[];
}

export interface RunTemplate {
  common: { resourcesPath: string; configFilePath: string; logLevel?: string };
  apps: RunTemplateApp[];
}

export const RUN_TEMPLATE_PATH = join(REPO_ROOT, 'dapr.yaml');

/** The daprd command line of a template app, as npm start runs it, with the components at `paths`. */
export function templateSidecarSpec(template: RunTemplate, app: RunTemplateApp, paths: { resourcesPath: string; configPath: string }): SidecarSpec {
  return {
    appId: app.appID,
    appPort: app.appPort,
    httpPort: app.daprHTTPPort,
    grpcPort: app.daprGRPCPort,
    metricsPort: app.metricsPort,
    resourcesPath: paths.resourcesPath,
    configPath: paths.configPath,
    logLevel: template.common.logLevel ?? 'warn',
    appHealthCheck: true,
  };
}

export function readRunTemplate(path = RUN_TEMPLATE_PATH): RunTemplate {
  const template = parseYaml(readFileSync(path, 'utf8')) as RunTemplate;
  for (const app of template.apps) app.env ??= {};
  return template;
}

/**
 * A sidecar's internal gRPC port (sidecar-to-sidecar invocation) is its gRPC
 * port plus this (20002 for the gateway's 20001). Left to daprd, both gateway
 * replicas would pick the same "stable" port from their app id, and when they
 * start together both register it in name resolution: the later registration
 * replaces the earlier, and that sidecar exits ("Host registration lost").
 */
const INTERNAL_GRPC_OFFSET = 1;

/** One process pair that npm start runs: a template app, or one replica of the gateway. */
export interface StartInstance extends RunTemplateApp {
  label: string;
  internalGrpcPort: number;
}

/**
 * What npm start runs from the template, with `gatewayReplicas` gateways:
 * replica i listens on appPort + i - 1 (8080, 8081, ...) and its sidecar's
 * ports move by 100.
 */
export function startInstances(template: RunTemplate, gatewayReplicas: number): StartInstance[] {
  const instances: StartInstance[] = [];
  for (const app of template.apps) {
    const count = app.appID === 'api-gateway' ? gatewayReplicas : 1;
    for (let i = 1; i <= count; i++) {
      instances.push({
        ...app,
        label: count === 1 ? app.appID : `${app.appID}-${i}`,
        appPort: app.appPort + i - 1,
        daprHTTPPort: app.daprHTTPPort + 100 * (i - 1),
        daprGRPCPort: app.daprGRPCPort + 100 * (i - 1),
        internalGrpcPort: app.daprGRPCPort + INTERNAL_GRPC_OFFSET + 100 * (i - 1),
        metricsPort: app.metricsPort + 100 * (i - 1),
      });
    }
  }
  return instances;
}

/** The fixed ports an instance listens on: the app's and its sidecar's. */
export const instancePorts = (instance: StartInstance): number[] => [
  instance.appPort,
  instance.daprHTTPPort,
  instance.daprGRPCPort,
  instance.internalGrpcPort,
  instance.metricsPort,
];

/** Whether a server could listen on the port now: nothing listens there, and no connection's local end holds it. */
export function portBindable(port: number): Promise<boolean> {
  return new Promise((done) => {
    const server = createServer();
    server.once('error', () => done(false));
    server.listen(port, '127.0.0.1', () => server.close(() => done(true)));
  });
}
