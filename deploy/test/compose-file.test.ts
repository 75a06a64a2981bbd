/**
 * docker-compose.yml and the Dockerfile against dapr.yaml and package.json:
 * the same apps, ports and sidecar flags as `npm start`, the same components
 * folder, and an image that builds every workspace. `npm run test:compose`
 * runs the file for real; this keeps it in step without Docker.
 */
import test from 'ava';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT, readRunTemplate, sidecarArgs, templateSidecarSpec } from '@chat/devkit/testing';

const read = (path: string) => readFileSync(join(REPO_ROOT, path), 'utf8');
const template = readRunTemplate();
const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, any> };

/** `--flag value` pairs of a command line (a flag with no value maps to true). */
function flags(args: string[]): Record<string, string | true> {
  const out: Record<string, string | true> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('--')) continue;
    const next = args[i + 1];
    if (next !== undefined && !next.startsWith('--')) out[arg] = args[++i]!;
    else out[arg] = true;
  }
  return out;
}

test('each app of dapr.yaml runs its compiled service beside a daprd in its network namespace, with the flags npm start gives it', (t) => {
  for (const app of template.apps) {
    const service = compose.services[app.appID];
    const sidecar = compose.services[`${app.appID}-dapr`];
    t.truthy(service, app.appID);
    t.truthy(sidecar, `${app.appID}-dapr`);
    t.deepEqual(service.command, ['node', '--conditions=compiled', `${app.appDirPath.replace(/^\.\//, '')}/dist/main.js`]);
    t.like(service.environment, {
      APP_ID: app.appID,
      APP_PORT: String(app.appPort),
      DAPR_HTTP_PORT: String(app.daprHTTPPort),
      METRICS_PORT: app.env['METRICS_PORT'],
    });
    t.is(sidecar.network_mode, `service:${app.appID}`);

    const [binary, ...args] = sidecar.command as string[];
    t.is(binary, '/daprd');
    const expected = flags(sidecarArgs(templateSidecarSpec(template, app, { resourcesPath: '/components', configPath: '/components/config.yaml' })));
    // What differs, and why: the other sidecars invoke this one on the
    // project's network (not on loopback), at a fixed port (each sidecar has
    // a namespace of its own); its metrics are scraped there too.
    t.deepEqual(
      flags(args),
      {
        ...expected,
        '--dapr-internal-grpc-listen-address': '0.0.0.0',
        '--dapr-internal-grpc-port': '20002',
        '--metrics-listen-address': '0.0.0.0',
      },
      app.appID,
    );
    t.is(sidecar.environment.DAPR_HOST_IP, undefined, "name resolution must hand out the container's own address");
  }
  const apps = new Set(template.apps.map((a) => a.appID));
  const others = Object.keys(compose.services).filter((name) => !apps.has(name) && !apps.has(name.replace(/-dapr$/, '')));
  t.deepEqual(others.sort(), ['init', 'redis']);
});

test("the sidecars mount dapr.yaml's components read-only, and every PLATFORM_* variable those read is set", (t) => {
  const resources = template.common.resourcesPath.replace(/^\.\//, './');
  const folder = join(REPO_ROOT, template.common.resourcesPath);
  const texts = readdirSync(folder)
    .filter((file) => file.endsWith('.yaml'))
    .map((file) => readFileSync(join(folder, file), 'utf8'));
  const used = new Set(texts.flatMap((text) => [...text.matchAll(/(?:envRef: |\$\{)(PLATFORM_\w+)/g)].map((m) => m[1]!)));
  t.true(used.has('PLATFORM_REDIS_HOST'));
  for (const app of template.apps) {
    const sidecar = compose.services[`${app.appID}-dapr`];
    t.true(sidecar.volumes.includes(`${resources}:/components:ro`), app.appID);
    for (const name of used) t.truthy(sidecar.environment[name], `${app.appID}-dapr: ${name}`);
    t.is(sidecar.environment.PLATFORM_REDIS_HOST, 'redis:6379');
  }
});

test("only the gateway listens beyond its namespace, and only on the host's loopback", (t) => {
  const published = Object.entries(compose.services).filter(([, s]) => s.ports);
  t.deepEqual(
    published.map(([name]) => name),
    ['api-gateway'],
  );
  t.deepEqual(compose.services['api-gateway'].ports, ['127.0.0.1:${GATEWAY_PORT:-8080}:8080']);
  for (const app of template.apps.filter((a) => a.appID !== 'api-gateway')) t.is(compose.services[app.appID].environment.HOST, '127.0.0.1');
});

test('the tokens come from the env file, a pair per app-id', (t) => {
  const names = new Set<string>();
  for (const app of template.apps) {
    const prefix = app.appID.toUpperCase().replace(/-/g, '_');
    for (const service of [compose.services[app.appID], compose.services[`${app.appID}-dapr`]]) {
      t.regex(service.environment.DAPR_API_TOKEN, new RegExp(`^\\$\\{${prefix}_DAPR_API_TOKEN:\\?`));
      t.regex(service.environment.APP_API_TOKEN, new RegExp(`^\\$\\{${prefix}_APP_API_TOKEN:\\?`));
    }
    names.add(`${prefix}_DAPR_API_TOKEN`).add(`${prefix}_APP_API_TOKEN`);
  }
  t.is(names.size, template.apps.length * 2);
});

test('the Dockerfile installs every workspace of package.json and builds those with a build script; a development-only one (no build) is not in the image', (t) => {
  const dockerfile = read('Dockerfile');
  const { workspaces } = JSON.parse(read('package.json')) as { workspaces: string[] };
  for (const workspace of workspaces) {
    t.true(dockerfile.includes(`COPY ${workspace}/package.json ${workspace}/`), `${workspace}/package.json`);
    const built = Boolean((JSON.parse(read(`${workspace}/package.json`)) as { scripts?: Record<string, string> }).scripts?.['build']);
    t.is(dockerfile.includes(`COPY ${workspace}/src ${workspace}/src`), built, `${workspace}/src`);
    t.is(dockerfile.includes(`COPY --from=build /app/${workspace}/dist ${workspace}/dist`), built, `${workspace}/dist`);
    t.is(dockerfile.includes(`COPY --from=build /app/${workspace}/package.json`), built, `${workspace} in the image`);
  }
});

test("deploy/compose/observability.yml sends every app's and sidecar's spans to the collector, which hands them to Jaeger, and Prometheus scrapes every metrics port of dapr.yaml", (t) => {
  const overlay = parse(read('deploy/compose/observability.yml'), { merge: true }) as { services: Record<string, any> };
  const collector = parse(read('deploy/compose/observability/otel-collector.yaml'));
  const zipkinPort = collector.receivers.zipkin.endpoint.split(':').pop();
  const traceUrl = `http://otel-collector:${zipkinPort}/api/v2/spans`;
  for (const app of template.apps) {
    for (const name of [app.appID, `${app.appID}-dapr`]) t.is(overlay.services[name]?.environment?.TRACE_EXPORT_URL, traceUrl, name);
  }
  t.deepEqual(collector.service.pipelines.traces.receivers, ['zipkin']);
  const [exporter] = collector.service.pipelines.traces.exporters as string[];
  t.regex(collector.exporters[exporter!].endpoint, /^jaeger:4317$/);
  t.truthy(overlay.services['jaeger']);
  // daprd reads the URL through the profile's config.
  t.regex(read(`${template.common.resourcesPath}/config.yaml`), /endpointAddress: "\$\{TRACE_EXPORT_URL\}"/);

  const prometheus = parse(read('deploy/compose/observability/prometheus.yml')) as {
    scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[] }> }>;
  };
  const targets = (job: string) =>
    prometheus.scrape_configs
      .find((c) => c.job_name === job)!
      .static_configs.flatMap((c) => c.targets)
      .sort();
  t.deepEqual(targets('apps'), template.apps.map((a) => `${a.appID}:${a.env['METRICS_PORT']}`).sort());
  t.deepEqual(targets('sidecars'), template.apps.map((a) => `${a.appID}:${a.metricsPort}`).sort());
  for (const app of template.apps) t.is(compose.services[app.appID].environment.METRICS_HOST, '0.0.0.0');
});

test("the Grafana dashboard queries only metrics the apps register (packages/platform/src/metrics.ts, prom-client's nodejs_*) or daprd's", (t) => {
  const dashboard = JSON.parse(read('deploy/compose/observability/grafana/dashboards/chat-platform.json')) as {
    panels: Array<{ targets: Array<{ expr: string }> }>;
  };
  const registered = new Set([...read('packages/platform/src/metrics.ts').matchAll(/'([a-z_]+_(?:total|seconds)|realtime_sockets)'/g)].map((m) => m[1]!));
  const expressions = dashboard.panels.flatMap((p) => p.targets.map((target) => target.expr));
  t.true(expressions.length >= 10);
  // A metric name: what a series is called, not a label or a function.
  const looksLikeMetric = (word: string) => /_(total|seconds|bucket|count)$|^(dapr|nodejs|realtime)_/.test(word);
  const used = new Set(
    expressions.flatMap((expr) =>
      [...expr.matchAll(/\b[a-z][a-z0-9_]*\b/g)]
        .map((m) => m[0])
        .filter(looksLikeMetric)
        .map((name) => name.replace(/_bucket$/, '')),
    ),
  );
  for (const name of used) t.true(registered.has(name) || name.startsWith('dapr_') || name.startsWith('nodejs_'), name);
  for (const name of registered) t.true(used.has(name), `${name} is on no panel`);
});
