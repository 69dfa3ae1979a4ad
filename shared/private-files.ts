/**
 * Owner-only files and folders (the embedded database, config cache, analytics spool, keys,
 * node id): created 0700 / 0600 and set so again, whatever the umask or an earlier start left.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';

export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

export function writePrivateFile(file: string, data: string | Buffer): void {
  writeFileSync(file, data, { mode: 0o600 });
  chmodSync(file, 0o600);
}

/** Server processes create nothing others can read (PGlite writes its own files). */
export function restrictUmask(): void {
  process.umask(0o077);
}
