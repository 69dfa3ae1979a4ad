/**
 * A new embedded database is created (initdb) in a short-lived child process: initdb touches
 * ~500 MB of WASM heap that the control plane would otherwise keep resident for its whole life
 * (measured: 700 MB RSS after the first start against 155 MB after a restart). The child exits
 * and its memory goes back to the OS; the control plane then opens the existing data dir.
 *
 * It is built in place (the folder may be a mount point) under a marker file, removed once the
 * child has finished: a start killed half-way leaves the marker, and the next start creates the
 * database again instead of taking the half-made one (`PG_VERSION` comes early) for whole.
 *
 * Run as a program: `node embedded-initdb.js <pgdata dir>` creates the database and exits 0.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { writePrivateFile } from '../../shared/private-files';
import { embeddedOptions } from './embedded-settings';

const CREATING = '.tollgate-creating';
/** initdb takes seconds; a child still busy after this is stuck. */
const INITDB_TIMEOUT_MS = 180_000;
/** What a fresh file system puts in a new volume's root. */
const VOLUME_ENTRIES = new Set(['lost+found']);

export function isInitialised(dir: string): boolean {
  return existsSync(join(dir, 'PG_VERSION')) && !existsSync(join(dir, CREATING));
}

/** Creates the database in `dir` (which exists) in a child process; rejects with its error output. */
export async function initialiseInChild(dir: string): Promise<void> {
  const marker = join(dir, CREATING);
  const entries = readdirSync(dir).filter((e) => e !== CREATING && !VOLUME_ENTRIES.has(e));
  if (existsSync(marker)) {
    // A creation of ours that never finished: nothing was ever stored in it.
    for (const e of entries) rmSync(join(dir, e), { recursive: true, force: true });
  } else if (entries.length) {
    throw new Error(`${dir} holds files but no database (no PG_VERSION): move it away to create a new one`);
  }
  writePrivateFile(marker, '');
  await new Promise<void>((resolve, reject) => {
    // The IPC channel lets the child notice its parent is gone (and stop, never racing the
    // creation a restarted control plane begins).
    const child = spawn(process.execPath, [__filename, dir], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), INITDB_TIMEOUT_MS);
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (s: string) => {
      if (stderr.length < 8192) stderr += s;
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0 && existsSync(join(dir, 'PG_VERSION'))) resolve();
      else
        reject(
          new Error(`creating the embedded database failed (${signal ?? `exit ${code}`}): ${stderr.trim()}`),
        );
    });
  });
  unlinkSync(marker);
}

async function initialise(dir: string): Promise<void> {
  const { PGlite } = await import('@electric-sql/pglite');
  const db = await PGlite.create(dir, await embeddedOptions());
  await db.close();
}

if (require.main === module) {
  process.on('disconnect', () => process.exit(1));
  initialise(process.argv[2]).then(
    () => process.exit(0),
    (err) => {
      process.stderr.write(`${(err as Error).stack ?? err}\n`);
      process.exit(1);
    },
  );
}
