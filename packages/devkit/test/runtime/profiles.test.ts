/**
 * The profile folders and what their setup reads, without any server:
 * every profile offers the same components to the same apps, and what the
 * setup derives from the YAML and the shared names is well formed.
 */
import test from 'ava';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { EVENT_TOPICS, FANOUT_TOPICS } from '@chat/platform';
import { REPO_ROOT, prepareRunEnv } from '../../src/runtime/run-env.js';
import { allTopics, parseMySqlDsn, readProfileComponents, streamName } from '../../src/runtime/profile-setup.js';

const profilesDir = join(REPO_ROOT, 'components');
const profiles = readdirSync(profilesDir).sort();

/** name → {type, scopes} of every Component, and the kinds of the other resources. */
function resources(profile: string) {
  const components = new Map<string, { type: string; scopes: string[] }>();
  const kinds: string[] = [];
  for (const file of readdirSync(join(profilesDir, profile)).filter((f) => f.endsWith('.yaml'))) {
    for (const doc of parseAllDocuments(readFileSync(join(profilesDir, profile, file), 'utf8'))) {
      const r = doc.toJS() as { kind: string; metadata: { name: string }; spec: { type?: string }; scopes?: string[] };
      kinds.push(r.kind);
      if (r.kind === 'Component') components.set(r.metadata.name, { type: r.spec.type!, scopes: [...(r.scopes ?? [])].sort() });
    }
  }
  return { components, kinds: kinds.sort() };
}

test('when a profile is added, it has the same component names and scopes as redis, plus one Configuration and one Resiliency', (t) => {
  const reference = resources('redis');
  t.true(profiles.length >= 4, profiles.join(','));
  for (const profile of profiles) {
    const { components, kinds } = resources(profile);
    t.deepEqual([...components.keys()].sort(), [...reference.components.keys()].sort(), profile);
    for (const [name, { scopes }] of reference.components) t.deepEqual(components.get(name)?.scopes, scopes, `${profile}/${name} scopes`);
    t.deepEqual(
      kinds.filter((k) => k !== 'Component'),
      ['Configuration', 'Resiliency'],
      profile,
    );
  }
});

test('when the setup reads a profile with the run env, envRef values are filled in and marked as coming from the env', (t) => {
  const runEnv = prepareRunEnv({ runDir: mkdtempSync(join(tmpdir(), 'profiles-unit-')), profile: 'sqlite', slot: 7 });
  const events = readProfileComponents(runEnv.resourcesPath, runEnv.env).find((c) => c.name === 'events')!;
  t.like(events, { type: 'pubsub.jetstream', metadata: { durableName: 't7-{appID}', queueGroupName: 't7-{appID}', deliverPolicy: 'new' } });
  t.true(events.fromEnv.has('durableName'));
  t.false(events.fromEnv.has('natsURL'));
  const mysql = readProfileComponents(join(profilesDir, 'mysql'), prepareRunEnv({ runDir: runEnv.runDir, profile: 'mysql', slot: 7 }).env);
  t.like(
    mysql.find((c) => c.name === 'statestore'),
    { metadata: { tableName: 'chat_state_7', schemaName: 'test' } },
  );
});

test('when a topic is published, it belongs to events or to fanout, never both (one exchange, stream or subject per name)', (t) => {
  const fanout = new Set<string>(Object.values(FANOUT_TOPICS));
  t.deepEqual(
    EVENT_TOPICS.filter((topic) => fanout.has(topic)),
    [],
  );
  t.is(allTopics().length, EVENT_TOPICS.length + fanout.size);
  for (const topic of allTopics()) t.regex(streamName(topic), /^platform_[A-Za-z0-9_-]+$/);
});

test('when the MySQL connection string is a Go DSN, the setup reads user, password, host and port from it', (t) => {
  t.deepEqual(parseMySqlDsn('root:@tcp(127.0.0.1:3306)/?allowNativePasswords=true'), { user: 'root', password: '', host: '127.0.0.1', port: 3306 });
  t.deepEqual(parseMySqlDsn('app:s3cret@tcp(db.local:3307)/test'), { user: 'app', password: 's3cret', host: 'db.local', port: 3307 });
  t.throws(() => parseMySqlDsn('mysql://root@localhost'), { message: /cannot read the MySQL connectionString/ });
});

test("when a profile uses SQLite name resolution, the resolver's cleanup is off (it would delete the live registrations, and every sidecar would exit)", (t) => {
  for (const profile of profiles) {
    const config = parseAllDocuments(readFileSync(join(profilesDir, profile, 'config.yaml'), 'utf8'))[0]!.toJS() as {
      spec: { nameResolution?: { component: string; configuration?: Record<string, unknown> } };
    };
    const resolver = config.spec.nameResolution;
    if (resolver?.component !== 'sqlite') continue;
    t.is(resolver.configuration?.['cleanupInterval'], '0', profile);
  }
});
