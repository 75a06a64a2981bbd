import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { ConfigError, readConfig, parse, appErrorFromBody } from '@chat/platform';

const schema = {
  port: { env: 'APP_PORT', doc: 'Port.', parse: parse.port },
  token: { env: 'TOKEN', doc: 'Token.', parse: parse.secret(16) },
  level: { env: 'LEVEL', doc: 'Level.', parse: parse.oneOf('info', 'debug'), default: 'info' as const },
};

test('when settings are missing or invalid, one ConfigError names every variable to set', (t) => {
  const error = t.throws(() => readConfig(schema, { APP_PORT: '70000' }), { instanceOf: ConfigError });
  t.deepEqual(error?.problems, ['APP_PORT="70000" is invalid (expected 0..65535): Port.', 'TOKEN is required: Token.']);
});

test('when settings are valid, the config is typed, defaulted and frozen', (t) => {
  const config = readConfig(schema, { APP_PORT: '8080', TOKEN: 'x'.repeat(16) });
  t.deepEqual({ ...config }, { port: 8080, token: 'x'.repeat(16), level: 'info' });
  t.true(Object.isFrozen(config));
});

test('when PLATFORM_ENV_FILE names a file, its values win over the environment; an unreadable one is a config problem', (t) => {
  const file = join(mkdtempSync(join(tmpdir(), 'config-')), 'app.env');
  writeFileSync(file, `TOKEN='${'f'.repeat(16)}'\nLEVEL=debug\n`);
  const config = readConfig(schema, { APP_PORT: '8080', TOKEN: 'e'.repeat(16), PLATFORM_ENV_FILE: file });
  t.deepEqual({ ...config }, { port: 8080, token: 'f'.repeat(16), level: 'debug' });

  const error = t.throws(() => readConfig(schema, { APP_PORT: '8080', TOKEN: 'e'.repeat(16), PLATFORM_ENV_FILE: `${file}.missing` }), {
    instanceOf: ConfigError,
  });
  t.regex(error?.problems[0] ?? '', /^PLATFORM_ENV_FILE=".*app\.env\.missing" cannot be read/);
});

test('when another service answered with a contract error, its code and status survive the hop', (t) => {
  const error = appErrorFromBody(409, { error: { code: 'conflict', message: 'Username taken' } });
  t.like(error, { code: 'conflict', status: 409, message: 'Username taken' });
  t.is(appErrorFromBody(500, { errorCode: 'ERR_DIRECT_INVOKE' }), undefined);
});
