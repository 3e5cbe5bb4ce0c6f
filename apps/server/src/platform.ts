import crypto from 'node:crypto';
import { createHash, createHmac, randomBytes, randomFillSync, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';

/** Clock and id generator are injected everywhere so that tests replay exactly. */
export interface Clock {
  now(): number;
}
export interface IdGenerator {
  /** A fresh id. `scope` lets a seeded generator keep one sequence per stream (C8). */
  next(scope: string): string;
}

export const systemClock: Clock = { now: () => Date.now() };

/** 128 random bits, URL-safe. */
/**
 * Random 128-bit ids (C8: nothing sequential). Bytes come from the CSPRNG 4 KiB at a time:
 * one call per 256 ids instead of one per id (every event, message and request has one).
 */
const pool = Buffer.alloc(4096);
let used = pool.length;
export const randomIds: IdGenerator = {
  next() {
    if (used + 16 > pool.length) {
      randomFillSync(pool);
      used = 0;
    }
    used += 16;
    return pool.toString('base64url', used - 16, used);
  },
};

/** Deterministic ids for tests: one independent sequence per scope, derived from a seed. */
export function seededIds(seed: string): IdGenerator {
  const counters = new Map<string, number>();
  return {
    next(scope) {
      const n = (counters.get(scope) ?? 0) + 1;
      counters.set(scope, n);
      return createHmac('sha256', seed).update(`${scope}\u0000${n}`).digest('base64url').slice(0, 22);
    },
  };
}

/** crypto.hash (Node 20.12+): a one-shot digest without a Hash object, about twice as fast for short texts. */
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;

/** SHA-256 of a text, as hex (each event's audit entry takes two). */
export const sha256 = oneShot ? (text: string): string => oneShot('sha256', text, 'hex') : (text: string): string => createHash('sha256').update(text).digest('hex');

/** A bearer secret of `bytes` random bytes (session ids: 16+, invitation tokens: 32). */
export const newToken = (bytes: number): string => randomBytes(bytes).toString('base64url');

/** Tokens are stored hashed: a database leak does not hand out sessions or invitations. */
export const hashToken = (token: string): string => createHash('sha256').update(`caucus-token\u0000${token}`).digest('hex');

const SCRYPT = { N: 1 << 15, r: 8, p: 1, keylen: 32, maxmem: 64 * 1024 * 1024 };

function scrypt(password: string, salt: Buffer, params: typeof SCRYPT): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCb(password.normalize('NFKC'), salt, params.keylen, { N: params.N, r: params.r, p: params.p, maxmem: params.maxmem }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

/** scrypt with its parameters in the stored string, so that they can be raised later. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, SCRYPT);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [alg, n, r, p, salt, key] = stored.split('$');
  if (alg !== 'scrypt' || !n || !r || !p || !salt || !key) return false;
  const expected = Buffer.from(key, 'base64url');
  const actual = await scrypt(password, Buffer.from(salt, 'base64url'), { ...SCRYPT, N: Number(n), r: Number(r), p: Number(p), keylen: expected.length });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
