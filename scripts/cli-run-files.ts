/**
 * Writes what `dapr run -f dapr.yaml` needs besides the template, for the
 * real dapr CLI (`npm run cli` runs this after building it). The CLI starts
 * each daprd with the CLI's own environment and its own flags, and each app
 * with that environment plus the template's static `env:`; the platform needs
 * more than that, per app. So for each app of dapr.yaml:
 *
 * - the daprd its `runtimePath` names (`<runtimePath>/.dapr/bin/daprd`): a
 *   script that loads the sidecar's environment (its tokens, POD_NAME for the
 *   `{podName}` consumer group, the run folder's paths the components read),
 *   drops the placement and scheduler addresses the CLI adds (the platform
 *   uses neither, and daprd reports unhealthy while it cannot reach them),
 *   adds the listen addresses the template has no field for (internal gRPC,
 *   metrics: loopback), and runs the platform's daprd;
 * - the file its `env.PLATFORM_ENV_FILE` names: the app's side of the same
 *   tokens (packages/platform/src/config.ts reads it).
 *
 * Tokens are new on every run of this script, one pair per app (unless set
 * as for npm start: <APP_ID>_DAPR_API_TOKEN, <APP_ID>_APP_API_TOKEN). The run
 * folder (.dapr/run/<profile>: signing keys, name resolution, avatars) is
 * npm start's, so both ways of running see the same data.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { LOOPBACK_LISTEN_ARGS, REPO_ROOT, SIDECAR_ENV, daprdPath, prepareProfile, prepareRunEnv, readRunTemplate } from '@chat/devkit/runtime';
import { PROFILE_NEEDS, reachable } from './profiles.js';

const say = (line: string) => process.stdout.write(`[cli] ${line}\n`);

/** A value in single quotes, read the same by `sh` (the sidecar script) and by Node's parseEnv (the app). */
function quoted(what: string, value: string): string {
  if (/['\n\r]/.test(value)) throw new Error(`${what} holds a quote or a line break, which the run files cannot carry: ${value}`);
  return `'${value}'`;
}

const envFile = (vars: Record<string, string>) =>
  Object.entries(vars)
    .map(([key, value]) => `${key}=${quoted(key, value)}\n`)
    .join('');

function sidecarScript(appId: string, envPath: string, daprd: string): string {
  return `#!/bin/sh
# The daprd that \`dapr run -f dapr.yaml\` starts for ${appId}, written by
# \`npm run cli\` (scripts/cli-run-files.ts explains each step).
set -a
. ${quoted('the sidecar env path', envPath)}
set +a
skip=
for arg do
  shift
  if [ -n "$skip" ]; then skip=; continue; fi
  case $arg in
    --placement-host-address|--scheduler-host-address) skip=1; continue ;;
    --placement-host-address=*|--scheduler-host-address=*) continue ;;
  esac
  set -- "$@" "$arg"
done
exec ${quoted('the daprd path', daprd)} "$@" ${LOOPBACK_LISTEN_ARGS.join(' ')}
`;
}

async function main() {
  const template = readRunTemplate();
  const profile = basename(template.common.resourcesPath);
  for (const dep of PROFILE_NEEDS[profile] ?? []) {
    if (!(await reachable(dep.port))) say(`warning: ${dep.name} is not answering on 127.0.0.1:${dep.port}; the sidecars need it: ${dep.hint}`);
  }
  const runEnv = prepareRunEnv({ runDir: join(REPO_ROOT, '.dapr', 'run', profile), profile, given: process.env });
  for (const action of (await prepareProfile(runEnv.resourcesPath, runEnv.env)).actions) say(action);
  const daprd = daprdPath();

  for (const app of template.apps) {
    const appDir = resolve(REPO_ROOT, app.appDirPath);
    const appEnvPath = app.env?.['PLATFORM_ENV_FILE'];
    if (!app.runtimePath || !appEnvPath) {
      throw new Error(`dapr.yaml: app ${app.appID} needs runtimePath and env.PLATFORM_ENV_FILE (see the comment at its top)`);
    }
    const pair = runEnv.tokens(app.appID);
    const tokens = { DAPR_API_TOKEN: pair.daprApiToken, APP_API_TOKEN: pair.appApiToken };

    const runtimeDir = resolve(appDir, app.runtimePath);
    const sidecarEnvPath = join(runtimeDir, 'daprd.env');
    const scriptPath = join(runtimeDir, '.dapr', 'bin', 'daprd');
    mkdirSync(dirname(scriptPath), { recursive: true });
    writeFileSync(sidecarEnvPath, envFile({ ...runEnv.env, ...SIDECAR_ENV, ...tokens, POD_NAME: app.appID, PLATFORM_CLI_METADATA: 'open' }), { mode: 0o600 });
    chmodSync(sidecarEnvPath, 0o600);
    writeFileSync(scriptPath, sidecarScript(app.appID, sidecarEnvPath, daprd), { mode: 0o755 });
    chmodSync(scriptPath, 0o755);

    const appEnvFile = resolve(appDir, appEnvPath);
    mkdirSync(dirname(appEnvFile), { recursive: true });
    writeFileSync(appEnvFile, envFile(tokens), { mode: 0o600 });
    chmodSync(appEnvFile, 0o600);
  }
  say(`run files written for ${template.apps.map((a) => a.appID).join(', ')} (profile ${profile}, daprd ${daprd})`);
}

main().catch((error: Error) => {
  process.stderr.write(`[cli] ${error.message}\n`);
  process.exit(1);
});
