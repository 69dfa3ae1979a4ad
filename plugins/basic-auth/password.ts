/**
 * Stored basic-auth passwords: scrypt with a random salt, in PHC form
 * (`$scrypt$ln=14,r=8,p=1$<salt>$<hash>`, base64 without padding). Kong stores
 * sha1(password .. consumer_id); Tollgate does not, since a leaked database must not give the
 * passwords away. Hashing and checking run on libuv's thread pool, never on the event loop.
 */
import { createHmac, randomBytes, scrypt, scryptSync, timingSafeEqual } from 'node:crypto';

const LN = 14;
const R = 8;
const P = 1;
const KEY_LENGTH = 32;
const PHC = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

interface Parsed {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

export function isHashedPassword(value: unknown): value is string {
  return typeof value === 'string' && parse(value) !== null;
}

function parse(stored: string): Parsed | null {
  const m = PHC.exec(stored);
  if (!m) return null;
  const ln = Number(m[1]);
  if (ln < 10 || ln > 20) return null;
  return {
    N: 2 ** ln,
    r: Number(m[2]),
    p: Number(m[3]),
    salt: Buffer.from(m[4], 'base64'),
    hash: Buffer.from(m[5], 'base64'),
  };
}

const b64 = (b: Buffer) => b.toString('base64').replace(/=+$/, '');
const options = (x: { N: number; r: number; p: number }) => ({
  N: x.N,
  r: x.r,
  p: x.p,
  maxmem: 256 * x.N * x.r,
});

function derive(password: string, salt: Buffer, x: { N: number; r: number; p: number }, length: number) {
  return new Promise<Buffer>((resolve, reject) =>
    scrypt(password, salt, length, options(x), (err, key) => (err ? reject(err) : resolve(key))),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const x = { N: 2 ** LN, r: R, p: P };
  const key = await derive(password, salt, x, KEY_LENGTH);
  return `$scrypt$ln=${LN},r=${R},p=${P}$${b64(salt)}$${b64(key)}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const x = parse(stored);
  if (!x || x.hash.length < 16) return false;
  const key = await derive(password, x.salt, x, x.hash.length);
  return timingSafeEqual(key, x.hash);
}

/** For the CLI (decK diff): a file's plain password against the stored hash. */
export function verifyPasswordSync(password: string, stored: string): boolean {
  const x = parse(stored);
  if (!x || x.hash.length < 16) return false;
  return timingSafeEqual(scryptSync(password, x.salt, x.hash.length, options(x)), x.hash);
}

/**
 * Passwords already verified, so a client sending the same credential on every request costs a
 * keyed hash, not an scrypt. Keyed by the stored hash (a changed password misses) and holding an
 * HMAC under a per-process key, never the password.
 */
export class VerifiedPasswords {
  private readonly key = randomBytes(32);
  private readonly seen = new Map<string, Buffer>();

  constructor(private readonly max = 10_000) {}

  private mac(password: string): Buffer {
    return createHmac('sha256', this.key).update(password).digest();
  }

  known(stored: string, password: string): boolean {
    const mac = this.seen.get(stored);
    return mac !== undefined && timingSafeEqual(mac, this.mac(password));
  }

  remember(stored: string, password: string): void {
    if (this.seen.size >= this.max) this.seen.delete(this.seen.keys().next().value!);
    this.seen.set(stored, this.mac(password));
  }
}
