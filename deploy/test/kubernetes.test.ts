/**
 * deploy/kubernetes against dapr.yaml, the platform's one description of its
 * apps: the same app-ids and app ports, the same component names and scopes
 * (with managed stores in place of local ones), the same resiliency; and
 * the manifests against each other (selectors, backends, secrets). Field
 * names and types are checked by deploy/kubernetes/check (Go, strict
 * decoding into the API types): `npm run test:kubernetes`.
 */
import test from 'ava';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { REPO_ROOT, readRunTemplate } from '@chat/devkit/testing';

interface Resource {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string>; labels?: Record<string, string> };
  spec?: any;
  scopes?: string[];
  file: string;
}

const k8sDir = join(REPO_ROOT, 'deploy', 'kubernetes');
const template = readRunTemplate();
const profileDir = join(REPO_ROOT, template.common.resourcesPath);

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'check' ? [] : yamlFiles(path);
    return name.endsWith('.yaml') ? [path] : [];
  });
}

function resourcesOf(file: string): Resource[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((doc) => doc.toJS() as Omit<Resource, 'file'> | null)
    .filter((doc): doc is Omit<Resource, 'file'> => doc !== null)
    .map((doc) => ({ ...doc, file: relative(k8sDir, file) }));
}

const manifests = yamlFiles(k8sDir).filter((f) => !f.endsWith('kustomization.yaml'));
const resources = manifests.flatMap(resourcesOf);
const profile = yamlFiles(profileDir).flatMap(resourcesOf);
const ofKind = (list: Resource[], kind: string) => list.filter((r) => r.kind === kind);
const deployments = ofKind(resources, 'Deployment');
const daprId = (d: Resource) => d.spec.template.metadata.annotations?.['dapr.io/app-id'];
const appContainer = (d: Resource) => d.spec.template.spec.containers.find((c: any) => c.name === 'app');
const envOf = (container: any, name: string) => container.env.find((e: any) => e.name === name);

test('every app of dapr.yaml is a Deployment with its app-id, app port and metrics port, and there are no others', (t) => {
  t.deepEqual(deployments.map(daprId).sort(), template.apps.map((a) => a.appID).sort());
  for (const app of template.apps) {
    const deployment = deployments.find((d) => daprId(d) === app.appID)!;
    const annotations = deployment.spec.template.metadata.annotations;
    t.is(annotations['dapr.io/enabled'], 'true', app.appID);
    t.is(annotations['dapr.io/app-port'], String(app.appPort), app.appID);
    t.is(annotations['dapr.io/metrics-port'], String(app.metricsPort), app.appID);
    t.is(annotations['dapr.io/app-health-check-path'], '/healthz', app.appID);
    const container = appContainer(deployment);
    t.is(envOf(container, 'APP_ID').value, app.appID);
    t.is(envOf(container, 'APP_PORT').value, String(app.appPort));
    t.is(envOf(container, 'METRICS_PORT').value, app.env['METRICS_PORT']);
    t.deepEqual(container.ports, [
      { name: 'http', containerPort: app.appPort },
      { name: 'metrics', containerPort: Number(app.env['METRICS_PORT']) },
    ]);
    // The compiled service of the app's own folder.
    t.deepEqual(container.command, ['node', '--conditions=compiled', `${app.appDirPath.replace(/^\.\//, '')}/dist/main.js`]);
  }
});

test('each app and its sidecar share a token pair kept in Secrets: the app reads by reference what the annotations give daprd', (t) => {
  for (const deployment of deployments) {
    const annotations = deployment.spec.template.metadata.annotations;
    const container = appContainer(deployment);
    t.deepEqual(envOf(container, 'DAPR_API_TOKEN').valueFrom.secretKeyRef, { name: annotations['dapr.io/api-token-secret'], key: 'token' });
    t.deepEqual(envOf(container, 'APP_API_TOKEN').valueFrom.secretKeyRef, { name: annotations['dapr.io/app-token-secret'], key: 'token' });
    t.not(annotations['dapr.io/api-token-secret'], annotations['dapr.io/app-token-secret']);
  }
});

test("the components of dapr.yaml's profile exist with the same names, scopes and kinds of building block, on managed stores", (t) => {
  const local = ofKind(profile, 'Component');
  const cluster = ofKind(resources, 'Component');
  t.deepEqual(cluster.map((c) => c.metadata.name).sort(), local.map((c) => c.metadata.name).sort());
  for (const component of local) {
    const twin = cluster.find((c) => c.metadata.name === component.metadata.name)!;
    t.deepEqual([...(twin.scopes ?? [])].sort(), [...(component.scopes ?? [])].sort(), component.metadata.name);
    const block = (type: string) => type.split('.')[0];
    t.is(block(twin.spec.type), block(component.spec.type), component.metadata.name);
    t.false(/localstorage|local\.file|local\.env|sqlite|in-memory/.test(twin.spec.type), `${component.metadata.name} is ${twin.spec.type}`);
    // Secrets by reference: no password in a value, nothing read from the sidecar's environment.
    for (const item of twin.spec.metadata ?? []) {
      t.false('envRef' in item, `${component.metadata.name}.${item.name}`);
      if (/connectionString|password|secretKey|accessKey/i.test(item.name)) t.truthy(item.secretKeyRef, `${component.metadata.name}.${item.name}`);
    }
  }
  const types = Object.fromEntries(cluster.map((c) => [c.metadata.name, c.spec.type]));
  t.is(types['statestore'], 'state.postgresql');
  t.true(['pubsub.rabbitmq', 'pubsub.kafka'].includes(types['events']));
});

test("the sidecars run with the profile's resiliency, metrics and tracing on (to the apps' collector), mTLS on and invocation open to the gateway only", (t) => {
  const [resiliency] = ofKind(resources, 'Resiliency');
  const [localResiliency] = ofKind(profile, 'Resiliency');
  t.deepEqual(resiliency!.spec, localResiliency!.spec);

  const configurations = ofKind(resources, 'Configuration');
  const platform = configurations.find((c) => c.metadata.namespace === 'chat-platform')!;
  for (const deployment of deployments) t.is(deployment.spec.template.metadata.annotations['dapr.io/config'], platform.metadata.name);
  t.true(platform.spec.metrics.enabled);
  // Sidecars send spans where their apps do, and follow the apps' sampling.
  t.is(platform.spec.tracing.samplingRate, '1');
  for (const deployment of deployments) {
    t.is(envOf(appContainer(deployment), 'TRACE_EXPORT_URL').value, platform.spec.tracing.zipkin.endpointAddress, daprId(deployment));
  }
  t.is(platform.spec.accessControl.defaultAction, 'deny');
  t.deepEqual(
    platform.spec.accessControl.policies.map((p: any) => [p.appId, p.defaultAction]),
    [['api-gateway', 'allow']],
  );
  const system = configurations.find((c) => c.metadata.name === 'daprsystem')!;
  t.is(system.metadata.namespace, 'dapr-system');
  t.true(system.spec.mtls.enabled);
});

test("the gateway is reached through a Service and an Ingress with session affinity and timeouts above Socket.IO's ping window, and scaled by an autoscaler", (t) => {
  const gateway = deployments.find((d) => daprId(d) === 'api-gateway')!;
  const labels = gateway.spec.template.metadata.labels;
  t.deepEqual(gateway.spec.selector.matchLabels, { 'app.kubernetes.io/name': labels['app.kubernetes.io/name'] });
  t.is(envOf(appContainer(gateway), 'HOST').value, '0.0.0.0');

  const [service] = ofKind(resources, 'Service');
  t.like(labels, service!.spec.selector);
  const [ingress] = ofKind(resources, 'Ingress');
  const backend = ingress!.spec.rules[0].http.paths[0].backend.service;
  t.is(backend.name, service!.metadata.name);
  t.true(service!.spec.ports.some((p: any) => p.name === backend.port.name));

  const annotations = ingress!.metadata.annotations!;
  t.is(annotations['nginx.ingress.kubernetes.io/affinity'], 'cookie');
  // engine.io's defaults: a ping every 25 s, answered within 20 s.
  const pingWindowSeconds = 25 + 20;
  t.true(Number(annotations['nginx.ingress.kubernetes.io/proxy-read-timeout']) > pingWindowSeconds);
  t.true(Number(annotations['nginx.ingress.kubernetes.io/proxy-send-timeout']) > pingWindowSeconds);

  const [autoscaler] = ofKind(resources, 'HorizontalPodAutoscaler');
  t.like(autoscaler!.spec.scaleTargetRef, { kind: 'Deployment', name: gateway.metadata.name });
  t.true(autoscaler!.spec.minReplicas >= 2);
  t.is(gateway.spec.replicas, undefined, 'the autoscaler owns the replica count');
  const [budget] = ofKind(resources, 'PodDisruptionBudget');
  t.like(labels, budget!.spec.selector.matchLabels);
});

test("the other services listen on their pod's loopback only: their sidecar is their one caller", (t) => {
  for (const deployment of deployments.filter((d) => daprId(d) !== 'api-gateway')) {
    t.is(envOf(appContainer(deployment), 'HOST').value, '127.0.0.1', daprId(deployment));
  }
});

test("kustomization.yaml applies every manifest but the control plane's own, and docs/deploy.md makes every Secret they refer to", (t) => {
  const kustomization = parse(readFileSync(join(k8sDir, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
  const expected = manifests.map((f) => relative(k8sDir, f)).filter((f) => f !== 'dapr/mtls.yaml');
  t.deepEqual([...kustomization.resources].sort(), expected.sort());

  const secrets = new Set<string>();
  const collect = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(collect);
    else if (value && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) {
        if (key === 'secretKeyRef') secrets.add((inner as { name: string }).name);
        else if (key === 'resourceNames') (inner as string[]).forEach((name) => secrets.add(name));
        else collect(inner);
      }
    }
  };
  resources.forEach(collect);
  for (const deployment of deployments) {
    const annotations = deployment.spec.template.metadata.annotations;
    secrets.add(annotations['dapr.io/api-token-secret']).add(annotations['dapr.io/app-token-secret']);
  }
  const ingressTls = ofKind(resources, 'Ingress').flatMap((i) => i.spec.tls.map((tls: any) => tls.secretName));
  const docs = readFileSync(join(REPO_ROOT, 'docs', 'deploy.md'), 'utf8');
  for (const name of [...secrets, ...ingressTls]) t.true(docs.includes(name), `docs/deploy.md does not say how to make the Secret ${name}`);
});
