/**
 * Password hashing with scrypt from node:crypto. The async `crypto.scrypt`
 * runs on the libuv thread pool, so a login storm never blocks the event loop
 * (never `scryptSync` on a request path).
 *
 * Stored format (PHC-like, parameters inside, so they can be raised later and
 * old hashes still verify):
 *
 *   $scrypt$ln=15,r=8,p=1$<salt, base64 without padding>$<key, base64 without padding>
 *
 * N = 2^15, r = 8, p = 1 is the default: 32 MiB and about 0.1-0.2 s per hash
 * on the 2-core development machine (see docs/benchmarks.md).
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { availableParallelism } from 'node:os';

export interface ScryptParams {
  /** log2 of the CPU/memory cost N. */
  logN: number;
  /** Block size. */
  r: number;
  /** Parallelism. */
  p: number;
}

export const DEFAULT_SCRYPT: ScryptParams = { logN: 15, r: 8, p: 1 };

const KEY_LENGTH = 32;
const SALT_LENGTH = 16;
const FORMAT = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

/** Bounds for parameters read back from storage, so a corrupt record cannot ask for gigabytes. */
const LIMITS = { logN: [10, 20], r: [1, 32], p: [1, 16] } as const;

export interface ParsedHash {
  params: ScryptParams;
  salt: Buffer;
  key: Buffer;
}

export function parseHash(stored: string): ParsedHash | undefined {
  const match = FORMAT.exec(stored);
  if (!match) return undefined;
  const params = { logN: Number(match[1]), r: Number(match[2]), p: Number(match[3]) };
  for (const name of ['logN', 'r', 'p'] as const) {
    const [min, max] = LIMITS[name];
    if (params[name] < min || params[name] > max) return undefined;
  }
  return { params, salt: Buffer.from(match[4]!, 'base64'), key: Buffer.from(match[5]!, 'base64') };
}

export function formatHash(params: ScryptParams, salt: Buffer, key: Buffer): string {
  const b64 = (b: Buffer) => b.toString('base64').replace(/=+$/, '');
  return `$scrypt$ln=${params.logN},r=${params.r},p=${params.p}$${b64(salt)}$${b64(key)}`;
}

/** The async scrypt of node:crypto, with maxmem sized for the parameters (the default 32 MiB is too small for N = 2^15, r = 8). */
export function scryptAsync(password: string | Buffer, salt: Buffer, params: ScryptParams, keyLength = KEY_LENGTH): Promise<Buffer> {
  const N = 2 ** params.logN;
  const maxmem = 256 * N * params.r * params.p + 1024 * 1024;
  return new Promise((resolve, reject) => {
    scrypt(password, salt, keyLength, { N, r: params.r, p: params.p, maxmem }, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/**
 * Passwords are compared as Unicode NFC, so the same password typed on two
 * keyboards (composed or decomposed accents) verifies.
 */
const normalize = (password: string): Buffer => Buffer.from(password.normalize('NFC'), 'utf8');

export interface PasswordHasher {
  readonly params: ScryptParams;
  /** How many hashes run at once (the rest queue). */
  readonly concurrency: number;
  hash(password: string): Promise<string>;
  /** False for a wrong password or a stored value that is not a hash of this format. */
  verify(password: string, stored: string): Promise<boolean>;
  /** Whether `stored` was made with weaker parameters than the current ones (rehash at next login). */
  needsRehash(stored: string): boolean;
  /**
   * Spends the same time as verifying against a real hash of the current
   * parameters, for logins of unknown accounts (no timing oracle).
   */
  verifyDummy(password: string): Promise<false>;
}

/**
 * Runs at most `limit` tasks at once, the rest wait in order. Hashing is
 * CPU- and memory-bound: more hashes at once than cores only adds memory
 * (32 MiB each) and takes CPU time from the event loop, without more
 * throughput (docs/benchmarks.md).
 */
export function createLimiter(limit: number) {
  let running = 0;
  const waiting: Array<() => void> = [];
  return async function run<T>(task: () => Promise<T>): Promise<T> {
    if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    else running++;
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  };
}

export function createPasswordHasher(params: ScryptParams = DEFAULT_SCRYPT, options: { concurrency?: number } = {}): PasswordHasher {
  const concurrency = Math.max(1, options.concurrency ?? availableParallelism());
  const limit = createLimiter(concurrency);
  const derive = (password: Buffer, salt: Buffer, hashParams: ScryptParams, length?: number) => limit(() => scryptAsync(password, salt, hashParams, length));
  const hasher: PasswordHasher = {
    params,
    concurrency,
    async hash(password) {
      const salt = randomBytes(SALT_LENGTH);
      const key = await derive(normalize(password), salt, params);
      return formatHash(params, salt, key);
    },
    async verify(password, stored) {
      const parsed = parseHash(stored);
      if (!parsed) return false;
      const key = await derive(normalize(password), parsed.salt, parsed.params, parsed.key.length);
      return key.length === parsed.key.length && timingSafeEqual(key, parsed.key);
    },
    needsRehash(stored) {
      const parsed = parseHash(stored);
      if (!parsed) return true;
      const old = parsed.params;
      return old.logN < params.logN || old.r < params.r || old.p < params.p || parsed.key.length < KEY_LENGTH;
    },
    async verifyDummy(password) {
      await hasher.verify(password, await dummy);
      return false;
    },
  };
  // Made once, at start-up, so the first unknown login costs no extra hash.
  const dummy = hasher.hash(randomBytes(18).toString('base64'));
  return hasher;
}
