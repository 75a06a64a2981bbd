import test from 'ava';
import { generateKeyPairSync } from 'node:crypto';
import { parseSigningKeys, SigningKeysError } from '../../src/domain/signing-keys.js';
import { signingKeyRecord } from '../helpers/index.js';

test('when the secret holds several keys, the newest (last) signs and every public key is published', (t) => {
  const records = [signingKeyRecord(), signingKeyRecord()];
  const { keys, skipped } = parseSigningKeys(JSON.stringify(records));
  t.is(keys.signing.kid, records[1]!.kid);
  t.deepEqual(
    keys.publicKeys.map((k) => k.kid),
    records.map((r) => r.kid),
  );
  t.like(keys.publicKeys[0], { kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
  t.false('d' in keys.publicKeys[0]!);
  t.deepEqual(skipped, []);
});

test('when an entry is not an ES256 P-256 key, it is skipped and named by kid only', (t) => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const good = signingKeyRecord();
  const { keys, skipped } = parseSigningKeys(
    JSON.stringify([good, { ...signingKeyRecord(), kid: 'rsa-key', privateKeyPem: rsa }, { kid: 'broken', alg: 'ES256', privateKeyPem: 'nope' }]),
  );
  t.is(keys.signing.kid, good.kid);
  t.deepEqual(skipped, ['rsa-key', 'broken']);
});

test('when the secret is not a JSON array of usable keys, parsing fails without echoing the secret', (t) => {
  for (const value of ['not json', '{"a":1}', '[]', JSON.stringify([{ kid: 'x', alg: 'HS256', privateKeyPem: 'secret-material' }])]) {
    const error = t.throws(() => parseSigningKeys(value), { instanceOf: SigningKeysError });
    t.false(error.message.includes('secret-material'));
  }
});
