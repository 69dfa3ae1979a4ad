/**
 * A new embedded database is created (initdb) in a short-lived child process: initdb touches
 * ~500 MB of WASM heap that the control plane would otherwise keep resident for its whole life
 * (measured: 700 MB RSS after the first start against 155 MB after a restart). The child exits
 * and its memory goes back to the OS; the control plane then opens the existing data dir.
 *
 * Run as a program: `node embedded-initdb.js <pgdata dir>` creates the database and exits 0.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { ensurePrivateDir } from '../../shared/private-files';
import { join } from 'node:path';
import { embeddedOptions } from './embedded-settings';

export function isInitialised(dir: string): boolean {
  return existsSync(join(dir, 'PG_VERSION'));
}

/**
 * Creates the database in `dir` in a child process; rejects with its error output. It is built
 * in a sibling folder and moved into place once complete, so a start killed half-way leaves no
 * half-created database that the next start would take for a whole one (`PG_VERSION` is
 * written early in initdb).
 */
export async function initialiseInChild(dir: string): Promise<void> {
  if (existsSync(dir) && readdirSync(dir).length)
    throw new Error(`${dir} holds files but no database (no PG_VERSION): move it away to create a new one`);
  const building = `${dir}.creating`;
  rmSync(building, { recursive: true, force: true });
  ensurePrivateDir(building);
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [__filename, building], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      if (stderr.length < 8192) stderr += s;
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0 && isInitialised(building)) resolve();
      else
        reject(
          new Error(`creating the embedded database failed (${signal ?? `exit ${code}`}): ${stderr.trim()}`),
        );
    });
  });
  // `dir` is empty (checked above): a rename replaces an empty folder.
  renameSync(building, dir);
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
