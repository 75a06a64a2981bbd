/**
 * dapr.yaml, the platform's one description of its apps (ids, ports, folders,
 * commands): read by npm start's launcher, the dapr CLI run files, and the
 * tests that hold Compose, Kubernetes and the CLI path against it.
 */
import { readFileSync } from 'node:fs';
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
