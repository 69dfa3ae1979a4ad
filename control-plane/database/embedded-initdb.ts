/**
 * A new embedded database is created (initdb) in a short-lived child process: initdb touches
 * ~500 MB of WASM heap that the control plane would otherwise keep resident for its whole life
 * (measured: 700 MB RSS after the first start against 155 MB after a restart). The child exits
 * and its memory goes back to the OS; the control plane then opens the existing data dir.
 *
 * Run as a program: `node embedded-initdb.js <pgdata dir>` creates the database and exits 0.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { embeddedOptions } from './embedded-settings';

export function isInitialised(dir: string): boolean {
  return existsSync(join(dir, 'PG_VERSION'));
}

/** Creates the database in `dir` in a child process; rejects with its error output. */
export function initialiseInChild(dir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [__filename, dir], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      if (stderr.length < 8192) stderr += s;
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0 && isInitialised(dir)) resolve();
      else
        reject(
          new Error(`creating the embedded database failed (${signal ?? `exit ${code}`}): ${stderr.trim()}`),
        );
    });
  });
}

async function initialise(dir: string): Promise<void> {
  const { PGlite } = await import('@electric-sql/pglite');
  const db = await PGlite.create(dir, await embeddedOptions());
  await db.close();
}

if (require.main === module) {
  initialise(process.argv[2]).then(
    () => process.exit(0),
    (err) => {
      process.stderr.write(`${(err as Error).stack ?? err}\n`);
      process.exit(1);
    },
  );
}
