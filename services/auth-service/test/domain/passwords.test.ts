import test from 'ava';
import scryptJs from 'scrypt-js';
import { createPasswordHasher, formatHash, parseHash, scryptAsync } from '../../src/domain/passwords.js';

// Small parameters keep the unit tests fast; the format carries them, so the
// code path is the one of the real N = 2^15.
const fast = { logN: 10, r: 8, p: 1 };

test('when node:crypto scrypt and scrypt-js get the same inputs, they derive the same key', async (t) => {
  const cases = [
    { password: 'correct horse battery staple', salt: Buffer.from('0123456789abcdef'), params: { logN: 10, r: 8, p: 1 }, length: 32 },
    { password: 'pässwörd ✓ with ünïcode', salt: Buffer.from('a2c4e6g8i0k2m4o6', 'utf8'), params: { logN: 12, r: 4, p: 2 }, length: 32 },
    { password: '', salt: Buffer.alloc(16, 7), params: { logN: 11, r: 8, p: 1 }, length: 64 },
    // The production parameters, once.
    { password: 'production parameters', salt: Buffer.from('fedcba9876543210'), params: { logN: 15, r: 8, p: 1 }, length: 32 },
  ];
  for (const { password, salt, params, length } of cases) {
    const ours = await scryptAsync(Buffer.from(password, 'utf8'), salt, params, length);
    const reference = await scryptJs.scrypt(Buffer.from(password, 'utf8'), salt, 2 ** params.logN, params.r, params.p, length);
    t.is(ours.toString('hex'), Buffer.from(reference).toString('hex'), `logN=${params.logN} r=${params.r} p=${params.p}`);
  }
});

test('when a password is hashed, the stored string carries its parameters and a fresh salt', async (t) => {
  const hasher = createPasswordHasher(fast);
  const a = await hasher.hash('the same password');
  const b = await hasher.hash('the same password');
  t.regex(a, /^\$scrypt\$ln=10,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
  t.not(a, b);
  t.false(a.includes('the same password'));
  t.like(parseHash(a), { params: fast });
});

test('when the right password is given it verifies, and a wrong one or a corrupt hash does not', async (t) => {
  const hasher = createPasswordHasher(fast);
  const stored = await hasher.hash('right password');
  t.true(await hasher.verify('right password', stored));
  t.false(await hasher.verify('Right password', stored));
  const parsed = parseHash(stored)!;
  parsed.key[0] = parsed.key[0]! ^ 1;
  t.false(await hasher.verify('right password', formatHash(parsed.params, parsed.salt, parsed.key)));
  t.false(await hasher.verify('right password', 'plaintext'));
  t.false(await hasher.verify('right password', '$scrypt$ln=40,r=8,p=1$AAAA$AAAA'));
  t.false(await hasher.verifyDummy('anything'));
});

test('when a password is typed composed or decomposed (NFC vs NFD), it verifies the same', async (t) => {
  const hasher = createPasswordHasher(fast);
  const stored = await hasher.hash('caf\u00e9 cr\u00e8me');
  t.true(await hasher.verify('cafe\u0301 cre\u0300me', stored));
});

test('when the stored parameters are below the current ones, a rehash is due; equal or above, not', async (t) => {
  const current = createPasswordHasher({ logN: 11, r: 8, p: 1 });
  const older = await createPasswordHasher({ logN: 10, r: 8, p: 1 }).hash('pw');
  const stronger = await createPasswordHasher({ logN: 12, r: 8, p: 1 }).hash('pw');
  t.true(current.needsRehash(older));
  t.false(current.needsRehash(await current.hash('pw')));
  t.false(current.needsRehash(stronger));
  t.true(current.needsRehash('garbage'));
  // Old hashes still verify with their own parameters.
  t.true(await current.verify('pw', older));
  t.true(await current.verify('pw', stronger));
});

test('when a hash is formatted and parsed again, nothing is lost', (t) => {
  const salt = Buffer.from('0123456789abcdef');
  const key = Buffer.alloc(32, 0xab);
  const parsed = parseHash(formatHash({ logN: 15, r: 8, p: 1 }, salt, key));
  t.deepEqual(parsed, { params: { logN: 15, r: 8, p: 1 }, salt, key });
});

test('when more hashes are asked for than the concurrency, only that many run at once and all finish in order', async (t) => {
  const { createLimiter } = await import('../../src/domain/passwords.js');
  const limit = createLimiter(2);
  let running = 0;
  let peak = 0;
  const finished: number[] = [];
  await Promise.all(
    Array.from({ length: 7 }, (_, i) =>
      limit(async () => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((resolve) => setTimeout(resolve, 5));
        running--;
        finished.push(i);
      }),
    ),
  );
  t.is(peak, 2);
  t.deepEqual(finished, [0, 1, 2, 3, 4, 5, 6]);
});
