/**
 * The data plane's last applied snapshot on disk, so it can start and serve with the control
 * plane down. Written atomically (temp file, fsync, rename); the content hash doubles as the
 * checksum, so a torn or edited file is detected and ignored.
 */
import { ensurePrivateDir } from '../../shared/private-files';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalJson } from '../../shared/canonical-json';
import { decodeSnapshotText, encodeSnapshotText, type Snapshot } from '../../shared/snapshot';

const CACHE_FILE = 'dp-config.json';

export type CacheLoad = { snapshot: Snapshot } | { snapshot: null; problem?: string };

export class ConfigCache {
  readonly file: string;

  constructor(dataDir: string) {
    ensurePrivateDir(dataDir);
    this.file = join(dataDir, CACHE_FILE);
  }

  write(snapshot: Snapshot): void {
    const tmp = `${this.file}.${process.pid}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    try {
      const canonical = snapshot.canonical ?? canonicalJson(snapshot.config);
      writeSync(fd, encodeSnapshotText(snapshot.version, snapshot.hash, canonical));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.file);
  }

  load(): CacheLoad {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (err: any) {
      if (err.code === 'ENOENT') return { snapshot: null };
      return { snapshot: null, problem: `cannot read ${this.file}: ${err.message}` };
    }
    try {
      return { snapshot: decodeSnapshotText(text) };
    } catch (err: any) {
      return { snapshot: null, problem: `${this.file} is corrupt (${err.message})` };
    }
  }
}
